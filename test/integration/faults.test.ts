/**
 * A create killed, or raced, at any moment (issue 9 items 2 and 14): what it made is found
 * and removed by `delete --force`, a pid of 0 is never signalled, and of two creates of one
 * id the loser harms nothing of the winner's.
 *
 * Moments are hit exactly with strace's fault injection (`-e inject=mkdir:signal=SIGKILL
 * -P PATH`: the create dies on entering mkdir(2) of PATH) or with a stand-in init that never
 * reports its pid (TSRUNC_INIT), so the state stays at pid 0 for as long as the test needs.
 * Every ts-runc here runs in a session of its own (setsid): a ts-runc that signalled its
 * process group would kill only itself, and the test sees the signal.
 *
 * The last tests are a short run of scripts/fault-cycles.ts (`make fault` runs the long one).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cgroupPathsFor } from '../../src/cgroups/cgroup.js';
import { bundleCycles, networkCycles, type FaultReport } from '../../scripts/fault-cycles.ts';
import { REPO, TS_RUNC, cgroupDirsFor, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const haveTools = ['strace', 'nft', 'setsid'].every((tool) => spawnSync(tool, ['--version']).status === 0);
const suite = isRoot && haveFixture && haveTools ? describe : describe.skip;
const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');

interface Exit {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * ts-runc in a session of its own, optionally under strace or inside a netns. stderr goes
 * to a file, not a pipe: a created container inherits it (helpers.ts says why).
 */
function isolated(box: Sandbox, args: string[], options: { prefix?: string[] } = {}): Exit {
  const command = [...(options.prefix ?? []), TS_RUNC, '--root', box.root, '--storage', box.storage, ...args];
  const file = join(box.dir, 'isolated-stderr');
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync('setsid', command, { stdio: ['ignore', 'ignore', fd], timeout: 30_000 });
    return { status: r.status, signal: r.signal, stderr: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
  }
}

/** The create dies (SIGKILL) on entering mkdir(2) of `path`. strace follows only ts-runc itself, not the init. */
function createKilledAtMkdir(box: Sandbox, path: string, args: string[]): Exit {
  return isolated(box, args, { prefix: ['strace', '-qq', '-o', '/dev/null', '-e', 'trace=mkdir,mkdirat', '-e', 'inject=mkdir,mkdirat:signal=SIGKILL', '-P', path] });
}

async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function holders(box: Sandbox): string[] {
  const db = join(box.storage, 'images/images.json');
  return existsSync(db) ? Object.keys((JSON.parse(readFileSync(db, 'utf8')) as { holders: Record<string, string> }).holders) : [];
}

/** Delete what a failed test left, each delete in a session of its own, before sandbox's cleanup deletes (which are not). */
function deleteAllIsolated(box: Sandbox, prefix: string[] = []): void {
  if (existsSync(box.root)) for (const id of readdirSync(box.root)) isolated(box, ['delete', '--force', id], { prefix });
}

suite('a create killed or raced leaves nothing delete cannot remove', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => {
    deleteAllIsolated(box);
    box.cleanup();
  });

  it('kill and delete of a container still at pid 0 signal nothing; once its create died, delete --force frees it all', async () => {
    // A stand-in init that never reports a pid: the create waits at pid 0 until killed.
    const fakeInit = join(box.dir, 'fake-init');
    const fakePid = join(box.dir, 'fake-init.pid');
    writeFileSync(fakeInit, `#!/bin/sh\necho $$ > ${fakePid}\nexec sleep 300\n`);
    chmodSync(fakeInit, 0o755);
    const bundle = box.bundle(['sleep', '30']);
    const creator = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'create', '-b', bundle, 'early'],
      { detached: true, stdio: 'ignore', env: { ...process.env, TSRUNC_INIT: fakeInit } });
    try {
      await until(() => existsSync(fakePid), 'the stand-in init');
      const state = JSON.parse(readFileSync(join(box.root, 'early/state.json'), 'utf8')) as { pid: number; cgroupPaths: Record<string, string> };
      expect(state.pid).toBe(0);
      expect(JSON.parse(box.run(['state', 'early']).stdout).status).toBe('creating');

      const kill = isolated(box, ['kill', 'early', 'KILL']);
      expect(kill.signal).toBeNull(); // before the fix: SIGKILL, from kill(0, SIGKILL)
      expect(kill.status).toBe(1);
      expect(kill.stderr).toContain('is being created');
      const plainDelete = isolated(box, ['delete', 'early']);
      expect(plainDelete.signal).toBeNull();
      expect(plainDelete.stderr).toContain('being created');
      expect(isolated(box, ['exec', 'early', 'true']).stderr).toContain('no running init');

      // delete --force waits for the create at work; the create is killed meanwhile.
      const forced = new Promise<Exit>((resolve) => {
        const child = spawn('setsid', [TS_RUNC, '--root', box.root, '--storage', box.storage, 'delete', '--force', 'early'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => { stderr += d; });
        child.on('exit', (status, signal) => resolve({ status, signal, stderr }));
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(existsSync(join(box.root, 'early'))).toBe(true);
      creator.kill('SIGKILL');
      const deleted = await forced;
      expect(deleted).toEqual({ status: 0, signal: null, stderr: '' });
      expect(existsSync(join(box.root, 'early'))).toBe(false);
      for (const dir of Object.values(state.cgroupPaths)) expect(existsSync(dir)).toBe(false);
    } finally {
      creator.kill('SIGKILL');
      if (existsSync(fakePid)) try { process.kill(Number(readFileSync(fakePid, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
  });

  // A create records the init's pid before the init joins the cgroup (create.ts), so a state
  // still at pid 0 never had a process there. With a linux.cgroupsPath another container
  // already uses (runc joins an existing cgroup, and so does ts-runc), delete --force of such
  // a state killed that other container's processes, as members of "its" cgroup.
  it('kill --all and delete --force of a create at pid 0 leave alone the processes of a container sharing its cgroupsPath', async () => {
    const shared = `ts-runc-review-shared-${process.pid}`;
    const owner = box.bundle(['sleep', '100'], (s) => { s.linux!.cgroupsPath = shared; });
    expect(box.run(['run', '-d', '-b', owner, 'owner']).status).toBe(0);
    const ownerPid = JSON.parse(box.run(['state', 'owner']).stdout).pid as number;
    const fakeInit = join(box.dir, 'fake-init');
    const fakePid = join(box.dir, 'fake-init.pid');
    writeFileSync(fakeInit, `#!/bin/sh\necho $$ > ${fakePid}\nexec sleep 300\n`);
    chmodSync(fakeInit, 0o755);
    const creator = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'create', '-b', box.bundle(['sleep', '30'], (s) => { s.linux!.cgroupsPath = shared; }), 'late'],
      { detached: true, stdio: 'ignore', env: { ...process.env, TSRUNC_INIT: fakeInit } });
    try {
      await until(() => existsSync(fakePid), 'the stand-in init');
      // kill --all of it while it is being created: before the fix, this SIGKILLed the owner
      const killAll = isolated(box, ['kill', '--all', 'late', 'KILL']);
      expect(killAll.signal).toBeNull();
      expect(JSON.parse(box.run(['state', 'owner']).stdout)).toMatchObject({ status: 'running', pid: ownerPid });
      creator.kill('SIGKILL');
      await until(() => creator.exitCode !== null || creator.signalCode !== null, 'the create to die');
      expect(JSON.parse(readFileSync(join(box.root, 'late/state.json'), 'utf8')).pid).toBe(0);
      const deleted = isolated(box, ['delete', '--force', 'late']);
      expect(deleted.signal).toBeNull();
      expect(deleted.status).toBe(0);
      expect(existsSync(join(box.root, 'late'))).toBe(false);
      // before the fix: the owner's init was SIGKILLed by the delete of "late"
      expect(JSON.parse(box.run(['state', 'owner']).stdout)).toMatchObject({ status: 'running', pid: ownerPid });
      expect(box.run(['delete', '--force', 'owner']).status).toBe(0);
    } finally {
      creator.kill('SIGKILL');
      if (existsSync(fakePid)) try { process.kill(Number(readFileSync(fakePid, 'utf8')), 'SIGKILL'); } catch { /* gone */ }
    }
  });

  it('a create killed while it makes its cgroup directories: delete --force removes every one', () => {
    const paths = Object.values(cgroupPathsFor({ cgroupsPath: undefined, id: 'midcg', root: box.root }));
    const victim = paths[Math.floor(paths.length / 2)]!;
    const r = createKilledAtMkdir(box, victim, ['create', '-b', box.bundle(['sleep', '30']), 'midcg']);
    expect(r.signal).toBe('SIGKILL');
    expect(paths.filter((dir) => existsSync(dir)).length).toBeGreaterThan(0); // some were made
    expect(isolated(box, ['delete', '--force', 'midcg'])).toEqual({ status: 0, signal: null, stderr: '' });
    expect(cgroupDirsFor(box.cgroupLeaf('midcg'))).toEqual([]);
    expect(existsSync(join(box.root, 'midcg'))).toBe(false);
  });

  it('a create --image killed as it starts its bundle: delete --force removes the directory and the hold', () => {
    expect(box.run(['image', 'load', '-i', IMAGE_TAR]).status).toBe(0);
    const dir = join(box.storage, 'containers', 'earlyimg');
    const r = createKilledAtMkdir(box, join(dir, '.ts-runc'), ['create', '--image', 'fixture:3layers', '--network', 'none', '--name', 'earlyimg', '--', 'sleep', '30']);
    expect(r.signal).toBe('SIGKILL');
    expect(existsSync(dir)).toBe(true);
    expect(isolated(box, ['delete', '--force', 'earlyimg'])).toEqual({ status: 0, signal: null, stderr: '' });
    expect(existsSync(dir)).toBe(false);
    expect(holders(box)).toEqual([]);
    expect(box.run(['image', 'rm', 'fixture:3layers']).status).toBe(0);
  });
});

/**
 * The loser stopped (SIGSTOP, injected by strace on entering mkdir(2) of `path`) just
 * before it claims the id, after everything it does first; `resume` lets it go on.
 */
async function stoppedBeforeClaim(command: string[], path: string): Promise<{ resume(): Promise<Exit> }> {
  const child = spawn('setsid', ['strace', '-qq', '-o', '/dev/null', '-e', 'trace=mkdir,mkdirat', '-e', 'inject=mkdir,mkdirat:signal=SIGSTOP:when=1', '-P', path, ...command],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d; });
  const exited = new Promise<Exit>((resolve) => child.on('exit', (status, signal) => resolve({ status, signal, stderr })));
  // strace's child (nsenter, then ts-runc's node): held in a tracing stop inside mkdir(2)
  // (x86_64 83, or mkdirat) for a while, not one of the brief stops at every syscall.
  const tracee = () => Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0]);
  const inMkdir = () => {
    try {
      const pid = tracee();
      return /^\S+ \S+ t /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x')) && /^(83|258|34) /.test(readFileSync(`/proc/${pid}/syscall`, 'utf8'));
    } catch {
      return false;
    }
  };
  let held = 0;
  await until(() => { held = inMkdir() ? held + 1 : 0; return held >= 10; }, 'the loser to stop before its claim');
  const pid = tracee();
  return { resume: () => { process.kill(pid, 'SIGCONT'); return exited; } };
}

suite('two creates of one id on a network: the loser harms nothing of the winner', () => {
  let box: Sandbox;
  let ns: Netns;
  beforeEach(() => {
    box = sandbox();
    ns = makeNetns('tsr-race');
    ns.run('ip', ['link', 'set', 'lo', 'up']);
  });
  afterEach(() => {
    deleteAllIsolated(box, ['nsenter', `--net=${ns.path}`, '--']);
    inNetns(['network', 'rm', 'racenet']);
    ns.remove();
    box.cleanup();
  });

  const argv = (args: string[]) => [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, ...args];
  const inNetns = (args: string[]) => isolated(box, args, { prefix: ['nsenter', `--net=${ns.path}`, '--'] });

  /** The loser runs up to its claim, the winner all the way, then the loser goes on and must fail without harm. */
  async function race(id: string, args: string[], loserStopsAt: string): Promise<void> {
    const loser = await stoppedBeforeClaim(['nsenter', ...argv(args)], loserStopsAt);
    const winner = inNetns(args);
    expect(winner.stderr).toBe('');
    expect(winner.status).toBe(0);
    const lost = await loser.resume();
    expect(lost.status).toBe(1);
    expect(lost.stderr).toMatch(new RegExp(`container (with id )?${id} already (exists|has a directory)`));

    // The winner is whole: state, cgroups, lease, the hosts file naming its address, and it starts.
    const state = JSON.parse(readFileSync(join(box.root, id, 'state.json'), 'utf8')) as { network: { ip: string; files: { hosts: string } }; cgroupPaths: Record<string, string> };
    for (const dir of Object.values(state.cgroupPaths)) expect(existsSync(dir)).toBe(true);
    expect(readdirSync(join(box.storage, 'networks/racenet/leases'))).toEqual([`${state.network.ip}.json`]);
    expect(readFileSync(state.network.files.hosts, 'utf8')).toContain(`${state.network.ip}\t${id}`);
    expect(inNetns(['start', id]).status).toBe(0);
    const hosts = spawnSync('nsenter', argv(['exec', id, 'cat', '/etc/hosts']), { encoding: 'utf8' });
    expect(hosts.stdout).toContain(`${state.network.ip}\t${id}`);
  }

  it('from a bundle: its hosts files, lease and cgroups stay', async () => {
    expect(inNetns(['network', 'create', '--subnet', '10.232.0.0/24', 'racenet']).status).toBe(0);
    // Before the fix the loser had written the hosts files already, and removed them on failing.
    await race('race', ['create', '-b', box.bundle(['sleep', '60']), '--network', 'racenet', '-p', '18080:80', 'race'], box.root);
  });

  it('from an image: its bundle, mount and hold on the image stay too', async () => {
    expect(box.run(['image', 'load', '-i', IMAGE_TAR]).status).toBe(0);
    expect(inNetns(['network', 'create', '--subnet', '10.232.0.0/24', 'racenet']).status).toBe(0);
    await race('imgrace', ['create', '--image', 'fixture:3layers', '--network', 'racenet', '--name', 'imgrace', '--', 'sleep', '60'], join(box.storage, 'containers'));
    expect(mountsMentioning(join(box.storage, 'containers/imgrace/rootfs')).length).toBe(1);
    expect(holders(box)).toEqual(['container:imgrace']);
    expect(inNetns(['delete', '--force', 'imgrace']).status).toBe(0);
    expect(holders(box)).toEqual([]);
  });
});

/** scripts/fault-cycles.ts, short: what `make fault` does 1,000 and 200 times. */
suite('fault cycles: create killed at a random moment, then delete --force', () => {
  const clean = (report: FaultReport) => ({ deleteSignals: report.deleteSignals, deleteFailures: report.deleteFailures, leftovers: report.leftovers });
  const nothing = { deleteSignals: [], deleteFailures: [], leftovers: [] };

  it('25 bundle creates: no delete dies by a signal, nothing is left', async () => {
    expect(clean(await bundleCycles({ cycles: 25 }))).toEqual(nothing);
  }, 90_000);

  it('10 networked run --image -d -p in a netns: nothing is left', async () => {
    expect(clean(await networkCycles({ cycles: 10 }))).toEqual(nothing);
  }, 90_000);
});
