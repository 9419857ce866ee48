/**
 * `update` as runc 1.1.5 does it, side by side with Debian's runc on the same bundle where
 * it can show the behaviour. cgroup v1 files: this hybrid host (the v2 VM runs
 * cgroups.test.ts, not this file).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectMode } from '../../src/cgroups/hierarchy.js';
import type { Spec } from '../../src/spec/schema.js';
import { FIXTURE_ROOTFS, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const v1 = detectMode() !== 'unified';
const RUNC = spawnSync('runc', ['--version']).status === 0;
const suite = isRoot && haveFixture && v1 ? describe : describe.skip;
const CPU = '/sys/fs/cgroup/cpu';
const DEVICES = '/sys/fs/cgroup/devices';

suite('update (runc update)', () => {
  let box: Sandbox;
  let pod: string | undefined;
  let pods = 0;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => {
    spawnSync('runc', ['--root', join(box.dir, 'runc-state'), 'delete', '-f', 'r'], { stdio: 'ignore' });
    box.cleanup();
    // The pod directory was made in every hierarchy (by us in cpu, by create in the others).
    for (const hierarchy of pod ? readdirSync('/sys/fs/cgroup') : []) {
      for (const dir of [join(pod!, 'ts'), join(pod!, 'r'), pod!]) {
        try { rmdirSync(join('/sys/fs/cgroup', hierarchy, dir)); } catch { /* not made there */ }
      }
    }
    pod = undefined;
  });
  const read = (file: string) => readFileSync(file, 'utf8').trim();
  // `run -d`'s container inherits stdout and stderr: not pipes, or spawnSync waits for it.
  const runc = (args: string[]) => spawnSync('runc', ['--root', join(box.dir, 'runc-state'), ...args], { timeout: 20_000, stdio: 'ignore' });
  const stored = (id: string) => JSON.parse(read(join(box.root, id, 'state.json'))).resources as Spec['linux'] extends infer L ? L extends { resources?: infer R } ? R : never : never;
  /** A bundle both runtimes run: runc refuses a root.path through a symlink. */
  const bundleFor = (cgroupsPath: string, edit: (s: Spec) => void = () => {}) => box.bundle(['sleep', '100'], (s) => {
    s.root = { path: realpathSync(FIXTURE_ROOTFS), readonly: true };
    s.linux!.cgroupsPath = cgroupsPath;
    edit(s);
  });

  // issue 10 item 5: before the CLI rework, both exited 0 and changed nothing.
  it('reads flags after the container id and refuses an unknown flag', () => {
    pod = `ts-runc-upd-${process.pid}-${++pods}`;
    expect(box.run(['run', '-d', '-b', bundleFor(`/${pod}/ts`), 'ts']).status).toBe(0);
    expect(box.run(['update', 'ts', '--cpu-quota', '30000']).status).toBe(0);
    expect(read(join(CPU, pod, 'ts', 'cpu.cfs_quota_us'))).toBe('30000');
    const bogus = box.run(['update', 'ts', '--bogus', '1']);
    expect(bogus.status).not.toBe(0);
    expect(bogus.stderr).toContain('--bogus');
  });

  // issue 10 item 5: before the fix, the period was written first and the kernel refused it
  // (EINVAL: 40000/50000 is more than the pod's 50000/100000), so the update failed.
  it('lowers period and quota together under a pod cgroup that has a quota, as runc does', () => {
    pod = `ts-runc-upd-${process.pid}-${++pods}`;
    mkdirSync(join(CPU, pod));
    writeFileSync(join(CPU, pod, 'cpu.cfs_quota_us'), '50000'); // half a CPU for the pod
    const edit = (s: Spec) => { s.linux!.resources = { cpu: { quota: 40000, period: 100000 } }; };
    const names = RUNC ? ['ts', 'r'] : ['ts'];
    for (const name of names) {
      const bundle = bundleFor(`/${pod}/${name}`, edit);
      const update = ['update', '--cpu-period', '50000', '--cpu-quota', '20000', name];
      if (name === 'ts') {
        expect(box.run(['run', '-d', '-b', bundle, name]).status).toBe(0);
        const u = box.run(update);
        expect(u.stderr).toBe('');
        expect(u.status).toBe(0);
      } else {
        expect(runc(['run', '-d', '-b', bundle, name]).status).toBe(0);
        expect(runc(update).status).toBe(0);
      }
      expect([read(join(CPU, pod, name, 'cpu.cfs_quota_us')), read(join(CPU, pod, name, 'cpu.cfs_period_us'))]).toEqual(['20000', '50000']);
    }
    expect(stored('ts')?.cpu).toMatchObject({ quota: 20000, period: 50000 });
  });

  // issue 10 item 5: before the fix, --cpu-rt-period/--cpu-rt-runtime were unknown flags.
  // runc 1.1.5 writes the rt period first and fails when runtime/period exceeds the pod's; the
  // period is written again after the runtime here, so lowering both works (as runc does
  // for the cfs period and quota).
  it('sets the real-time period and runtime, lowering both in either order', () => {
    pod = `ts-runc-upd-${process.pid}-${++pods}`;
    mkdirSync(join(CPU, pod));
    writeFileSync(join(CPU, pod, 'cpu.rt_runtime_us'), '200000'); // 0.2 of a CPU's rt time for the pod
    expect(box.run(['run', '-d', '-b', bundleFor(`/${pod}/ts`), 'ts']).status).toBe(0);
    const rt = () => [read(join(CPU, pod!, 'ts', 'cpu.rt_period_us')), read(join(CPU, pod!, 'ts', 'cpu.rt_runtime_us'))];
    const u1 = box.run(['update', '--cpu-rt-period', '500000', '--cpu-rt-runtime', '50000', 'ts']);
    expect(u1.stderr).toBe('');
    expect(rt()).toEqual(['500000', '50000']);
    // 50000/200000 is more than the pod's 200000/1000000: the period alone is refused first.
    const u2 = box.run(['update', '--cpu-rt-period', '200000', '--cpu-rt-runtime', '20000', 'ts']);
    expect(u2.stderr).toBe('');
    expect(rt()).toEqual(['200000', '20000']);
    if (RUNC) {
      expect(runc(['run', '-d', '-b', bundleFor(`/${pod}/r`), 'r']).status).toBe(0);
      expect(runc(['update', '--cpu-rt-period', '500000', '--cpu-rt-runtime', '50000', 'r']).status).toBe(0);
      expect(read(join(CPU, pod, 'r', 'cpu.rt_runtime_us'))).toBe('50000');
    }
  });

  // issue 10 item 5: before the fix, nothing was kept: a later update could not see earlier values.
  it('keeps the values so a later update builds on them', () => {
    pod = `ts-runc-upd-${process.pid}-${++pods}`;
    expect(box.run(['run', '-d', '-b', bundleFor(`/${pod}/ts`, (s) => { s.linux!.resources = { pids: { limit: 50 } }; }), 'ts']).status).toBe(0);
    expect(box.run(['update', '--cpuset-cpus', '0', '--cpu-quota', '30000', 'ts']).status).toBe(0);
    expect(box.run(['update', '--memory', '64m', 'ts']).status).toBe(0);
    expect(stored('ts')).toMatchObject({ pids: { limit: 50 }, cpu: { cpus: '0', quota: 30000 }, memory: { limit: 64 * 1024 * 1024 } });
  });

  // issue 10 item 5: before the fix, devices in `update -r` were silently ignored. runc
  // 1.1.5's update skips devices altogether (SkipDevices); here they are applied with the
  // smallest change (no "a" line: no moment with every device allowed or denied).
  it('changes the device rules of a running container with the smallest transition', () => {
    pod = `ts-runc-upd-${process.pid}-${++pods}`;
    expect(box.run(['run', '-d', '-b', bundleFor(`/${pod}/ts`, (s) => {
      s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'rwm' }] };
    }), 'ts']).status).toBe(0);
    const list = () => read(join(DEVICES, pod!, 'ts', 'devices.list')).split('\n');
    expect(list()).toContain('c 1:11 rwm');
    const file = join(box.dir, 'devices.json');
    writeFileSync(file, JSON.stringify({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }, { allow: true, type: 'b', major: 7, minor: 0, access: 'rw' }] }));
    const u = box.run(['--debug', 'update', '-r', file, 'ts']);
    expect(u.status, u.stderr).toBe(0);
    expect(list()).toContain('c 1:11 r');
    expect(list()).toContain('b 7:0 rw');
    expect(list()).toContain('c 1:3 rwm'); // /dev/null stays, as at create
    // Only the difference is written: "wm" taken from 1:11, then 7:0 allowed.
    expect(u.stderr).toMatch(/devices\.deny value="c 1:11 wm"/);
    expect(u.stderr).toMatch(/devices\.allow value="b 7:0 rw"/);
    expect(u.stderr).not.toMatch(/a \*:\* rwm/);
    expect(box.run(['exec', 'ts', 'sh', '-c', 'echo x > /dev/null']).status).toBe(0);
    expect(stored('ts')?.devices).toHaveLength(3);
  });
});
