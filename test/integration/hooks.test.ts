/**
 * Hooks run where and how runc runs them (issue 10 item 11; runc 1.1.5
 * libcontainer/rootfs_linux.go prepareRootfs, configs/config.go Command.Run):
 * prestart and createRuntime in the runtime's namespaces, after the container's mounts and
 * before pivot_root, from the bundle directory; createContainer in the container's mount
 * namespace with the rootfs as its working directory; the environment exactly `env`, or
 * the runtime's own when the hook has none. Where runc is installed, the same bundle runs
 * under both and the records are compared.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_ROOTFS, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;

/** What a hook saw, by kind, from the files the hook script below writes. */
type Records = Record<string, Record<string, string>>;

suite('hooks where runc runs them', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  /**
   * A bundle whose hooks record their cwd, mount namespace and environment in OUT/<kind>;
   * the createRuntime hook also counts, through nsenter(1) by the state's pid, the mounts
   * on the rootfs's /proc in the container's mount namespace; the createContainer hook
   * bind-mounts a file of ours over ./etc/hostname (relative: it must start in the rootfs).
   */
  function hookBundle(name: string): { bundle: string; out: string } {
    const out = join(box.dir, `out-${name}`);
    const rootfs = realpathSync(FIXTURE_ROOTFS);
    const script = join(box.dir, `hook-${name}.sh`);
    writeFileSync(join(box.dir, 'marker'), 'from-the-hook\n');
    writeFileSync(script, `#!/bin/sh
kind=$1
pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p')
mkdir -p ${out}
{ echo "pwd=$(pwd)"; echo "mnt=$(readlink /proc/self/ns/mnt)"; echo "env=$(env | grep -v '^PWD=' | sort | tr '\\n' ' ')"; } > ${out}/$kind
case $kind in
createRuntime) echo "procmounts=$(nsenter -t "$pid" -m cat /proc/self/mountinfo | grep -c " ${rootfs}/proc ")" >> ${out}/$kind ;;
createContainer) mount --bind ${join(box.dir, 'marker')} ./etc/hostname ;;
esac
`);
    chmodSync(script, 0o755);
    const bundle = box.bundle(['cat', '/etc/hostname'], (spec) => {
      spec.root = { path: rootfs, readonly: true };
      const hook = (kind: string, env?: string[]) => ({ path: script, args: ['hook', kind], ...(env ? { env } : {}) });
      spec.hooks = {
        prestart: [hook('prestart', ['A=1', 'B=two words'])],
        createRuntime: [hook('createRuntime', ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'])],
        createContainer: [hook('createContainer', ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'])],
        // No env at all: the runtime's own environment (Go's os/exec with a nil Env).
        poststop: [hook('poststop')],
      };
    });
    return { bundle, out };
  }

  const records = (out: string): Records => Object.fromEntries(['prestart', 'createRuntime', 'createContainer', 'poststop'].map((kind) => [
    kind, Object.fromEntries(readFileSync(join(out, kind), 'utf8').trim().split('\n').map((line) => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)];
    })),
  ]));

  it('runs createRuntime after the mounts, createContainer in the rootfs inside the container, with env as given', () => {
    const { bundle, out } = hookBundle('ts');
    const r = box.run(['run', '-b', bundle, 'hooks'], { env: { ...process.env, FROM_CALLER: 'yes' } });
    expect(r.status, r.stderr).toBe(0);
    // The createContainer hook's bind mount landed in the container's /etc.
    expect(r.stdout).toBe('from-the-hook\n');
    const ours = records(out);
    const hostMnt = readlinkSync('/proc/self/ns/mnt');
    // The runtime's hooks: the host's mount namespace, the bundle as cwd, env exactly as given.
    expect(ours.prestart).toEqual({ pwd: bundle, mnt: hostMnt, env: 'A=1 B=two words' });
    expect(ours.createRuntime).toMatchObject({ pwd: bundle, mnt: hostMnt, procmounts: '1' });
    // In the container's mount namespace, in the rootfs.
    expect(ours.createContainer!.pwd).toBe(realpathSync(FIXTURE_ROOTFS));
    expect(ours.createContainer!.mnt).not.toBe(hostMnt);
    expect(ours.createContainer!.env).toBe('PATH=/usr/sbin:/usr/bin:/sbin:/bin');
    // No env: the runtime's environment, the caller's variable included.
    expect(ours.poststop!.env).toContain('FROM_CALLER=yes');

    if (!RUNC) return;
    const theirs = hookBundle('runc');
    const runc = spawnSync('runc', ['--root', join(box.dir, 'runc-state'), 'run', '-b', theirs.bundle, 'hooks-runc'],
      { encoding: 'utf8', timeout: 20_000, env: { ...process.env, FROM_CALLER: 'yes' } });
    expect(runc.status, runc.stderr).toBe(0);
    expect(runc.stdout).toBe('from-the-hook\n');
    const same = (r: Records) => ({
      prestart: r.prestart!.env, createRuntime: [r.createRuntime!.procmounts, r.createRuntime!.mnt === hostMnt],
      createContainer: [r.createContainer!.pwd, r.createContainer!.mnt !== hostMnt, r.createContainer!.env],
      poststop: r.poststop!.env!.includes('FROM_CALLER=yes'),
    });
    expect(same(ours)).toEqual(same(records(theirs.out)));
    expect(records(theirs.out).prestart!.pwd).toBe(theirs.bundle);
  });

  it("kills a hook that runs past its timeout, in the runtime and in the container, with runc's words", () => {
    const sleepy = { path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 };
    for (const kind of ['createRuntime', 'createContainer'] as const) {
      const bundle = box.bundle(['true'], (spec) => {
        spec.root = { path: realpathSync(FIXTURE_ROOTFS), readonly: true };
        spec.hooks = { [kind]: [sleepy] };
      });
      const r = box.run(['run', '-b', bundle, `slow-${kind.toLowerCase()}`]);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`${kind} hook /bin/sleep`);
      expect(r.stderr).toContain('ran past specified timeout of 1.0s');
      if (RUNC) {
        const theirs = spawnSync('runc', ['--root', join(box.dir, 'runc-state'), 'run', '-b', bundle, `slow-${kind.toLowerCase()}`],
          { encoding: 'utf8', timeout: 20_000 });
        expect(theirs.status).toBe(1);
        expect(theirs.stderr).toContain('hook ran past specified timeout of 1.0s');
      }
    }
  });
});
