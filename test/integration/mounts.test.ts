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
import { FIXTURE_ROOTFS, TS_RUNC, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';

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

  // Before: the bind went over the container's core_pattern file (exit 0).
  withRunc('a bind mount inside /proc, or of something else than procfs on /proc, is refused, as runc\'s checkProcMount', () => {
    const file = join(box.dir, 'pattern');
    writeFileSync(file, '|/tmp/x\n');
    for (const [destination, words] of [['/proc/sys/kernel/core_pattern', 'because it is inside /proc'], ['/proc', 'because it is not of type proc']]) {
      const edit = (s: Spec) => { s.mounts!.push({ destination, type: 'bind', source: destination === '/proc' ? box.dir : file, options: ['bind'] }); };
      const mine = ours(['true'], edit);
      expect(mine.status).not.toBe(0);
      expect(mine.stderr).toContain(words);
      const theirs = runc(['true'], edit);
      expect(theirs.status).not.toBe(0);
      expect(theirs.stderr).toContain(words);
    }
  });

  // Before: the bind went through the image's symlink over the container's core_pattern (exit 0).
  withRunc('a bind mount led into /proc by a symlink of the image is refused too, as runc resolves it first', () => {
    const rootfs = rootfsWithSymlink('kernel-settings', '/proc/sys/kernel');
    const file = join(box.dir, 'pattern');
    writeFileSync(file, '|/tmp/x\n');
    const edit = (s: Spec) => {
      s.root = { path: rootfs, readonly: false };
      s.mounts!.push({ destination: '/kernel-settings/core_pattern', type: 'bind', source: file, options: ['bind'] });
    };
    const mine = ours(['true'], edit);
    expect(mine.status).not.toBe(0);
    expect(mine.stderr).toContain('/proc/sys/kernel/core_pattern" cannot be mounted because it is inside /proc');
    const theirs = runc(['true'], edit);
    expect(theirs.status).not.toBe(0);
    expect(theirs.stderr).toContain('/proc/sys/kernel/core_pattern\\" cannot be mounted because it is inside /proc');
  });

  /**
   * Counts the procfs and sysfs superblocks mounted anywhere in the mount namespace of a
   * pid, hidden mounts included: /proc/PID/mountinfo shows only the mounts under the
   * process's root, so this asks the kernel with listmount(2) and statmount(2) (Linux 6.8;
   * NS_GET_MNTNS_ID names another process's namespace since 6.11).
   */
  function superblockCounter(): (pid: number) => string {
    const source = join(box.dir, 'count-proc-sysfs.c');
    writeFileSync(source, COUNT_PROC_SYSFS);
    const program = join(box.dir, 'count-proc-sysfs');
    const cc = spawnSync('cc', ['-O2', '-o', program, source], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    return (pid) => {
      const r = spawnSync(program, [String(pid)], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    };
  }

  // Before: "proc:2 sysfs:2": the host's /proc and /sys stayed in the container's mount
  // namespace, under the moved rootfs (checked by stashing the fix).
  withRunc('--no-pivot detaches the host\'s /proc and /sys before moving the rootfs, as runc does', () => {
    const count = superblockCounter();
    const edit = (s: Spec) => {
      s.root!.path = realpathSync(s.root!.path);
      s.linux!.cgroupsPath = `ts-runc-test-${Math.random().toString(36).slice(2, 8)}`;
    };
    const bundle = box.bundle(['sleep', '30'], edit);
    const counted = (runtime: string, args: string[], id: string): string => {
      const started = spawnSync(runtime, [...args, 'run', '-d', '--no-pivot', '-b', bundle, id], { stdio: 'ignore', timeout: 20_000 });
      expect(started.status).toBe(0);
      const state = spawnSync(runtime, [...args, 'state', id], { encoding: 'utf8' });
      const pid = (JSON.parse(state.stdout) as { pid: number }).pid;
      try {
        return count(pid);
      } finally {
        spawnSync(runtime, [...args, 'delete', '--force', id]);
      }
    };
    const mine = counted(TS_RUNC, ['--root', box.root], 'nopivot');
    // Only the container's own procfs and sysfs are left.
    expect(mine).toBe('proc:1 sysfs:1\n');
    expect(counted(RUNC!, ['--root', join(box.dir, 'runc-state')], 'nopivot-runc')).toBe(mine);
  });

  // CVE-2024-21626: a host directory fd left open by the runtime, or a cwd outside the
  // rootfs, would let the container reach the host's files through /proc/self/fd or "..".
  withRunc('--no-pivot leaves no fd and no cwd of the host in the container, as with pivot_root and runc', () => {
    // fds 0-2 are the caller's stdio (files here, pipes under runc); anything above is a leak
    // (the glob's own directory fd is listed too, but gone by the time of readlink).
    const look = ['sh', '-c', 'for fd in /proc/self/fd/*; do case ${fd##*/} in 0|1|2) ;; *) l=$(readlink $fd) && echo "fd ${fd##*/}: $l";; esac; done; readlink /proc/self/cwd; ls /proc/self/cwd/.. | head -3'];
    const edit = (s: Spec) => { s.process!.cwd = '/'; };
    const mine = ours(look, edit, ['--no-pivot']);
    expect(mine.stderr).toBe('');
    expect(mine.stdout).toBe(ours(look, edit).stdout);
    expect(mine.stdout).toBe(runc(look, edit, ['--no-pivot']).stdout);
  });

  /** A bind source the container's root (host uid 200000) cannot reach: the sandbox
   *  directory is root's, mode 0700 (mkdtemp). */
  function unreachableSource(): string {
    const data = join(box.dir, 'data');
    mkdirSync(data, { mode: 0o755 });
    writeFileSync(join(data, 'hello'), 'hello from the host\n', { mode: 0o644 });
    return data;
  }

  // Before: create failed: "mount(<dir>/data, /data): EACCES" (the init, already uid 200000
  // in the user namespace, could not look the source up).
  withRunc('bind sources the user namespace cannot reach are opened before it, and exec works in the container, as in runc', () => {
    const data = unreachableSource();
    const edit = (s: Spec) => {
      inUserNamespace(s);
      s.mounts!.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'ro'] });
    };
    // ...and none of the fds stage 0 opened reaches the container (CVE-2024-21626).
    const cat = ['sh', '-c', 'cat /data/hello; for fd in /proc/self/fd/*; do case ${fd##*/} in 0|1|2) ;; *) l=$(readlink $fd) && echo "leaked fd ${fd##*/}: $l";; esac; done'];
    const mine = ours(cat, edit);
    expect(mine.stderr).toBe('');
    expect(mine.stdout).toBe('hello from the host\n');
    expect(runc(cat, edit).stdout).toBe(mine.stdout);

    expect(box.run(['run', '-d', '-b', box.bundle(['sleep', '30'], edit), 'reach']).status).toBe(0);
    const exec = box.run(['exec', 'reach', 'cat', '/data/hello']);
    expect(exec.stderr).toBe('');
    expect(exec.stdout).toBe('hello from the host\n');
  });
});

const COUNT_PROC_SYSFS = `#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>
struct mnt_id_req { uint32_t size, spare; uint64_t mnt_id, param, mnt_ns_id; };
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, uint64_t)
#define LSMT_ROOT 0xffffffffffffffffULL
int main(int argc, char **argv) {
  char path[64]; snprintf(path, sizeof path, "/proc/%s/ns/mnt", argv[1]);
  int fd = open(path, O_RDONLY); uint64_t ns = 0;
  if (fd < 0 || ioctl(fd, NS_GET_MNTNS_ID, &ns) < 0) { perror("ns id"); return 2; }
  struct mnt_id_req req = { .size = sizeof req, .mnt_id = LSMT_ROOT, .mnt_ns_id = ns };
  uint64_t ids[4096];
  long n = syscall(458, &req, ids, 4096, 0);
  if (n < 0) { perror("listmount"); return 2; }
  int proc = 0, sys = 0; uint64_t seen[4096]; int nseen = 0;
  static uint64_t buf[512];
  for (long i = 0; i < n; i++) {
    struct mnt_id_req q = { .size = sizeof q, .mnt_id = ids[i], .param = 1 /* STATMOUNT_SB_BASIC */, .mnt_ns_id = ns };
    if (syscall(457, &q, buf, sizeof buf, 0) < 0) { perror("statmount"); return 2; }
    uint64_t magic = buf[3]; /* sb_magic at offset 24 */
    uint64_t dev = buf[2]; /* sb_dev_major, sb_dev_minor at offset 16 */
    int dup = 0; for (int j = 0; j < nseen; j++) dup |= seen[j] == dev;
    if (dup) continue;
    seen[nseen++] = dev;
    if (magic == 0x9fa0) proc++;
    if (magic == 0x62656572) sys++;
  }
  printf("proc:%d sysfs:%d\\n", proc, sys);
  return 0;
}
`;
