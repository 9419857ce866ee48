/**
 * Mounts as runc 1.1.5 makes them (issue 10 item 7): recursive attributes (`rro`), a
 * read-only /dev, a rootfs whose /proc or /sys is a symlink, `--no-pivot`, and bind sources
 * that the container's user namespace cannot reach. Where Debian's runc is installed, each
 * test runs the same bundle under it too and expects the same answer.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/spec/schema.js';
import { FIXTURE_ROOTFS, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;
const withRunc = RUNC ? it : it.skip;

/** A user namespace mapping container root to host uid/gid 200000, as lifecycle.test.ts. */
function inUserNamespace(s: Spec): void {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  // sysfs and cgroupfs cannot be mounted in a user namespace without a new net/cgroup owner
  s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup' && m.destination !== '/sys');
}

suite('mounts as runc makes them', () => {
  let box: Sandbox;
  let cleanups: (() => void)[];
  beforeEach(() => { box = sandbox(); cleanups = []; });
  afterEach(() => {
    for (const undo of cleanups.reverse()) undo();
    box.cleanup();
  });

  /** The same bundle under runc: its own --root, a cgroup below ours (a relative
   *  cgroupsPath), and the rootfs by its real path (runc refuses one through a symlink). */
  function runc(bundleArgs: string[], edit: (s: Spec) => void, extra: string[] = []): Result {
    const id = `runc-${Math.random().toString(36).slice(2, 8)}`;
    const bundle = box.bundle(bundleArgs, (s) => {
      edit(s);
      s.root!.path = realpathSync(s.root!.path);
      s.linux!.cgroupsPath = `ts-runc-test-${id}`;
    });
    const r = spawnSync(RUNC!, ['--root', join(box.dir, 'runc-state'), 'run', ...extra, '-b', bundle, id], { encoding: 'utf8', timeout: 20_000 });
    spawnSync(RUNC!, ['--root', join(box.dir, 'runc-state'), 'delete', '--force', id]);
    return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  }

  function ours(args: string[], edit: (s: Spec) => void, extra: string[] = []): Result {
    return box.run(['run', ...extra, '-b', box.bundle(args, edit), `ours-${Math.random().toString(36).slice(2, 8)}`]);
  }

  /** A host directory with a tmpfs mounted on its "sub" directory. */
  function treeWithSubmount(): string {
    const tree = join(box.dir, 'tree');
    mkdirSync(join(tree, 'sub'), { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', 'tmpfs', join(tree, 'sub')]).status).toBe(0);
    cleanups.push(() => { spawnSync('umount', ['-l', join(tree, 'sub')]); });
    return tree;
  }

  const writes = ['sh', '-c', 'touch /data/top 2>/dev/null && echo top-rw || echo top-ro; touch /data/sub/x 2>/dev/null && echo sub-rw || echo sub-ro'];

  // Before: "rro" was refused ("recursive mount attributes (mount_setattr(2)) are not supported").
  withRunc('rbind,rro makes the bind mount and its submounts read-only, rbind,ro only the top one, as in runc', () => {
    const tree = treeWithSubmount();
    const bind = (options: string[]) => (s: Spec) => { s.mounts!.push({ destination: '/data', type: 'bind', source: tree, options }); };
    for (const options of [['rbind', 'rro'], ['rbind', 'ro']]) {
      const mine = ours(writes, bind(options));
      expect(mine.stderr).toBe('');
      expect({ options, out: mine.stdout }).toEqual({ options, out: runc(writes, bind(options)).stdout });
    }
    expect(ours(writes, bind(['rbind', 'rro'])).stdout).toBe('top-ro\nsub-ro\n');
    // The later option wins, as for ro/rw (runc 1.1.5 keeps both bits and stays read-only;
    // later runc fixed that to this).
    expect(ours(writes, bind(['rbind', 'rro', 'rrw'])).stdout).toBe('top-rw\nsub-rw\n');
  });

  // Before: create failed with EROFS making /dev/pts (and the device nodes) in the read-only tmpfs.
  withRunc('a read-only /dev gets its nodes and /dev/pts first, then turns read-only, as in runc', () => {
    const readOnlyDev = (s: Spec) => { s.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro'); };
    const script = ['sh', '-c', 'test -c /dev/null && echo null; grep -c " /dev/pts devpts" /proc/self/mounts; touch /dev/x 2>/dev/null && echo dev-rw || echo dev-ro; grep " /dev tmpfs" /proc/self/mounts | cut -d" " -f4 | cut -d, -f1'];
    const mine = ours(script, readOnlyDev);
    expect(mine.stderr).toBe('');
    expect(mine.stdout).toBe('null\n1\ndev-ro\nro\n');
    expect(mine.stdout).toBe(runc(script, readOnlyDev).stdout);
  });

  /** A copy of the fixture rootfs whose `dir` is a symlink to `to`. */
  function rootfsWithSymlink(dir: string, to: string): string {
    const rootfs = join(box.dir, `rootfs-${dir}`);
    cpSync(realpathSync(FIXTURE_ROOTFS), rootfs, { recursive: true, verbatimSymlinks: true });
    rmSync(join(rootfs, dir), { recursive: true, force: true });
    mkdirSync(join(rootfs, 'elsewhere'), { recursive: true });
    symlinkSync(to, join(rootfs, dir));
    return rootfs;
  }

  // Before: proc was mounted where the symlink pointed (/elsewhere), leaving /proc a link to it.
  withRunc('a rootfs whose /proc or /sys is a symlink is refused, as runc refuses it (CVE-2019-19921)', () => {
    for (const [dir, fstype] of [['proc', 'proc'], ['sys', 'sysfs']] as const) {
      const rootfs = rootfsWithSymlink(dir, '/elsewhere');
      const edit = (s: Spec) => { s.root = { path: rootfs, readonly: false }; };
      const mine = ours(['true'], edit);
      expect(mine.status).not.toBe(0);
      expect(mine.stderr).toContain(`filesystem "${fstype}" must be mounted on ordinary directory`);
      const theirs = runc(['true'], edit);
      expect(theirs.status).not.toBe(0);
      // runc's text, inside its logrus quoting: filesystem \"proc\" must be...
      expect(theirs.stderr).toContain(`filesystem \\"${fstype}\\" must be mounted on ordinary directory`);
    }
  });
});
