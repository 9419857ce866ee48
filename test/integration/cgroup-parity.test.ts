/**
 * exec, create, kill and delete against the container's cgroups, side by side with Debian's
 * runc 1.1.5 where it is installed (issue 10 items 3, 4 and 6). Each runtime runs its own
 * copy of a bundle under its own absolute cgroupsPath. The v1 behaviours (per-controller
 * --cgroup, the v1 cpuset, `unified` refused) need this hybrid host, so the file is not part
 * of the cgroup v2 guest's run (`make test-cgroup-v2` runs cgroups.test.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { detectMode } from '../../src/cgroups/hierarchy.js';
import type { Spec } from '../../src/spec/schema.js';
import { TS_RUNC, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';
import { RUNC, runcFor, sharedBundle, type Runc } from './side-by-side.js';

const suite = isRoot && haveFixture && detectMode() === 'hybrid' ? describe : describe.skip;

interface Runtime {
  name: 'ts-runc' | 'runc';
  run(args: string[]): Result;
  /** the container's cgroup, relative to each hierarchy's mount point */
  cgroup: string;
  bundle: string;
}

/** The v1 hierarchies' mount points and the cgroup2 one (this host: /sys/fs/cgroup/*). */
function hierarchyDirs(): string[] {
  return readdirSync('/sys/fs/cgroup').map((name) => join('/sys/fs/cgroup', name)).filter((dir) => existsSync(join(dir, 'cgroup.procs')));
}

const pidOf = (runtime: Runtime, id: string): number => (JSON.parse(runtime.run(['state', id]).stdout) as { pid: number }).pid;
const cgroupLines = (pid: number): string => readFileSync(`/proc/${pid}/cgroup`, 'utf8');

suite('cgroups as runc has them (exec, create, kill, delete)', () => {
  let box: Sandbox;
  let runc: Runc;
  const made: string[] = [];
  beforeEach(() => {
    box = sandbox();
    runc = runcFor(box);
  });
  afterEach(() => {
    runc.cleanup();
    box.cleanup();
    // cgroups the tests made from the host, deepest first
    for (const dir of made.splice(0).sort((a, b) => b.length - a.length)) {
      try { rmdirSync(dir); } catch { /* gone with its container, or never made */ }
    }
  });

  /** ts-runc and (when installed) runc, each with its copy of the bundle and its own cgroupsPath. */
  function runtimes(args: string[], name: string, edit: (spec: Spec) => void = () => {}): Runtime[] {
    const list: Runtime[] = [];
    const ts = sharedBundle(box, args, `${name}-ts`, edit);
    list.push({ name: 'ts-runc', run: (a) => box.run(a), cgroup: cgroupOf(ts), bundle: ts });
    if (RUNC) {
      const r = sharedBundle(box, args, `${name}-runc`, edit);
      list.push({ name: 'runc', run: (a) => runc.run(a), cgroup: cgroupOf(r), bundle: r });
    }
    return list;
  }
  const cgroupOf = (bundle: string) => (JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec).linux!.cgroupsPath!;
  /** mkdir -p `relative` in every hierarchy, removed after the test */
  const makeEverywhere = (relative: string) => {
    for (const root of hierarchyDirs()) {
      let dir = root;
      for (const part of relative.split('/').filter(Boolean)) {
        dir = join(dir, part);
        if (!existsSync(dir)) { mkdirSync(dir); made.push(dir); }
      }
    }
  };
  const start = (runtime: Runtime, id: string) => {
    const r = runtime.run(['run', '-d', '-b', runtime.bundle, id]);
    expect(r.status, `${runtime.name} run: ${r.stderr}`).toBe(0);
  };

  it('exec joins the container\'s cgroup in every v1 hierarchy and the unified one', () => {
    for (const runtime of runtimes(['sleep', '100'], 'exec-join')) {
      start(runtime, 'c');
      const pidFile = join(box.dir, `${runtime.name}.pid`);
      const r = runtime.run(['exec', '-d', '--pid-file', pidFile, 'c', 'sleep', '100']);
      expect(r.status, r.stderr).toBe(0);
      const lines = cgroupLines(Number(readFileSync(pidFile, 'utf8')));
      // as the init's: every hierarchy, 0:: (the hybrid host's cgroup2) included
      expect(lines).toBe(cgroupLines(pidOf(runtime, 'c')));
      expect(lines.trim().split('\n').every((line) => line.endsWith(`:${runtime.cgroup}`)), lines).toBe(true);
    }
  });

  it('exec --cgroup joins a sub-cgroup that exists, per controller or in every hierarchy', () => {
    const seen: Record<string, string[]> = {};
    for (const runtime of runtimes(['sleep', '100'], 'exec-sub')) {
      start(runtime, 'c');
      makeEverywhere(`${runtime.cgroup}/sub`);
      // a v1 cpuset made by hand is empty, and refuses tasks until it is given cpus and mems
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        writeFileSync(join('/sys/fs/cgroup/cpuset', runtime.cgroup, 'sub', file), readFileSync(join('/sys/fs/cgroup/cpuset', runtime.cgroup, file)));
      }
      const memory = runtime.run(['exec', '--cgroup', 'memory:sub', 'c', 'cat', '/proc/self/cgroup']);
      const every = runtime.run(['exec', '--cgroup', 'sub', 'c', 'cat', '/proc/self/cgroup']);
      // refused: a sub-cgroup that does not exist, one that climbs out, an unknown controller
      const refused = [['memory:nope'], ['../out'], ['bogus:sub'], ['sub', 'memory:sub']]
        .map((flags) => runtime.run(['exec', ...flags.flatMap((f) => ['--cgroup', f]), 'c', 'true']).status);
      expect(memory.status, memory.stderr).toBe(0);
      expect(every.status, every.stderr).toBe(0);
      seen[runtime.name] = [memory.stdout, every.stdout, refused.join(' ')];
    }
    // inside its cgroup namespace the container's cgroup is "/"
    expect(seen['ts-runc']![0]).toMatch(/^\d+:memory:\/sub$/m);
    expect(seen['ts-runc']![0]).toMatch(/^\d+:pids:\/$/m);
    expect(seen['ts-runc']![1]!.trim().split('\n').every((line) => line.endsWith(':/sub'))).toBe(true);
    expect(seen['ts-runc']![2]).toBe('255 255 255 255');
    if (seen['runc']) expect(seen['ts-runc']).toEqual(seen['runc']);
  });

  it('exec into a paused container is refused unless --ignore-paused, which waits for resume', async () => {
    for (const runtime of runtimes(['sleep', '100'], 'exec-paused')) {
      start(runtime, 'c');
      expect(runtime.run(['pause', 'c']).status).toBe(0);
      const refused = runtime.run(['exec', 'c', 'true']);
      expect(refused.status).toBe(255);
      expect(refused.stderr).toContain('cannot exec in a paused container (use --ignore-paused to override)');
      const command = runtime.name === 'runc' ? [RUNC!, '--root', runc.root] : [TS_RUNC, '--root', box.root, '--storage', box.storage];
      const exec = spawn(command[0]!, [...command.slice(1), 'exec', '--ignore-paused', 'c', 'echo', 'thawed'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      exec.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
      const done = new Promise<number | null>((resolve) => exec.on('close', resolve));
      // the exec'd process joined the frozen cgroup: it runs once the container is resumed
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(runtime.run(['resume', 'c']).status).toBe(0);
      expect(await done).toBe(0);
      expect(out).toBe('thawed\n');
    }
  });

  it('exec -p accepts a process without "user" and runs it as root', () => {
    const file = join(box.dir, 'process.json');
    writeFileSync(file, JSON.stringify({ args: ['id', '-u'], cwd: '/', env: ['PATH=/bin:/usr/bin'] }));
    for (const runtime of runtimes(['sleep', '100'], 'exec-nouser', (s) => { s.process!.user = { uid: 1000, gid: 1000 }; })) {
      start(runtime, 'c');
      const r = runtime.run(['exec', '-p', file, 'c']);
      expect(r.status, `${runtime.name}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toBe('0\n');
    }
  });

  it('create warns when the given cgroup already holds processes, and refuses a frozen one', () => {
    for (const runtime of runtimes(['sleep', '100'], 'existing')) {
      makeEverywhere(runtime.cgroup);
      // a process of the host's left in the container's cgroup (runc looks in one hierarchy only)
      const holder = spawn('sleep', ['100'], { stdio: 'ignore' });
      try {
        // (not the cpuset: a new one is empty and takes no task)
        for (const root of hierarchyDirs().filter((dir) => !dir.endsWith('/cpuset'))) writeFileSync(join(root, runtime.cgroup, 'cgroup.procs'), String(holder.pid));
        const warned = runtime.run(['create', '-b', runtime.bundle, 'held']);
        expect(warned.status, `${runtime.name}: ${warned.stderr}`).toBe(0);
        expect(warned.stderr, runtime.name).toContain('container\'s cgroup is not empty: 1 process(es) found');
      } finally {
        holder.kill('SIGKILL');
      }
      expect(runtime.run(['delete', '--force', 'held']).status).toBe(0);
      makeEverywhere(runtime.cgroup);
      const freezer = join('/sys/fs/cgroup/freezer', runtime.cgroup, 'freezer.state');
      writeFileSync(freezer, 'FROZEN');
      try {
        // before the fix, ts-runc's init froze on joining and `run -d` never returned
        const frozen = runtime.run(['run', '-d', '-b', runtime.bundle, 'frozen']);
        expect(frozen.status, `${runtime.name}: ${frozen.stderr}`).toBe(1);
        expect(frozen.stderr).toMatch(/container's cgroup (unexpectedly frozen|is frozen)/);
        expect(existsSync(join(runtime.name === 'runc' ? runc.root : box.root, 'frozen'))).toBe(false);
      } finally {
        writeFileSync(freezer, 'THAWED');
      }
    }
  });

  it('linux.resources.unified is an invalid configuration on a v1 host', () => {
    for (const runtime of runtimes(['true'], 'unified-v1', (s) => { s.linux!.resources = { unified: { 'pids.max': '10' } }; })) {
      const r = runtime.run(['run', '-b', runtime.bundle, 'u']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('invalid configuration: cannot use unified on cgroup v1');
    }
  });

  it('a parent cpuset with empty cpus and mems is filled from its own parent', () => {
    for (const runtime of runtimes(['true'], 'cpuset')) {
      const top = runtime.cgroup;
      const config = join(runtime.bundle, 'config.json');
      const spec = JSON.parse(readFileSync(config, 'utf8')) as Spec;
      spec.linux!.cgroupsPath = `${top}/middle/leaf`;
      writeFileSync(config, JSON.stringify(spec));
      // a new v1 cpuset starts with empty cpus and mems
      for (const dir of [top, `${top}/middle`]) mkdirSync(join('/sys/fs/cgroup/cpuset', dir));
      // the runtimes remove only the leaf; the levels above it, in every hierarchy, are the test's
      for (const root of hierarchyDirs()) made.push(join(root, top), join(root, top, 'middle'));
      expect(readFileSync(join('/sys/fs/cgroup/cpuset', top, 'middle', 'cpuset.cpus'), 'utf8').trim()).toBe('');
      const r = runtime.run(['run', '-b', runtime.bundle, 'c']);
      expect(r.status, `${runtime.name}: ${r.stderr}`).toBe(0);
      expect(readFileSync(join('/sys/fs/cgroup/cpuset', top, 'middle', 'cpuset.cpus'), 'utf8').trim())
        .toBe(readFileSync('/sys/fs/cgroup/cpuset/cpuset.cpus', 'utf8').trim());
    }
  });

  it('kill ID 0 and kill -a ID 0 probe a running container', () => {
    for (const runtime of runtimes(['sleep', '100'], 'kill-zero')) {
      start(runtime, 'c');
      expect(runtime.run(['kill', 'c', '0']).status, runtime.name).toBe(0);
      expect(runtime.run(['kill', '-a', 'c', '0']).status, runtime.name).toBe(0);
      expect(runtime.run(['state', 'c']).stdout).toContain('"running"');
    }
  });

  it('delete of a stopped container removes the sub-cgroups below its cgroup', () => {
    for (const runtime of runtimes(['sleep', '100'], 'delete-sub')) {
      start(runtime, 'c');
      makeEverywhere(`${runtime.cgroup}/a/b`);
      makeEverywhere(`${runtime.cgroup}/c`);
      process.kill(pidOf(runtime, 'c'), 'SIGKILL');
      const r = runtime.run(['delete', 'c']);
      expect(r.status, `${runtime.name}: ${r.stderr}`).toBe(0);
      expect(hierarchyDirs().filter((root) => existsSync(join(root, runtime.cgroup)))).toEqual([]);
    }
  });

  it('delete of a container whose processes and cgroup are gone removes its state', async () => {
    for (const runtime of runtimes(['sleep', '100'], 'delete-gone')) {
      start(runtime, 'c');
      process.kill(pidOf(runtime, 'c'), 'SIGKILL');
      // the processes are gone; so is the cgroup (removed from the host, as a cleanup tool
      // would); rmdir is EBUSY until the killed init has been reaped
      for (const root of hierarchyDirs()) {
        const dir = join(root, runtime.cgroup);
        for (let tries = 0; existsSync(dir); tries++) {
          try { rmdirSync(dir); } catch (error) {
            if (tries > 500) throw error;
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
      }
      const r = runtime.run(['delete', 'c']);
      expect(r.status, `${runtime.name}: ${r.stderr}`).toBe(0);
      expect(runtime.run(['state', 'c']).status).not.toBe(0);
    }
  });
});
