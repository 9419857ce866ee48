/**
 * `ts-runc container …` as a person uses it (issue 11): containers that outlive the
 * command that started them, kept by their monitor. As root, on the fixture image, each
 * test with its own --root and --storage, every container with --network none.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerView, type ContainerView } from '../../src/engine/containers/status.js';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { ImageStore } from '../../src/image/store.js';
import { monitorOptions } from '../../src/engine/lifecycle/start.js';
import { spawnMonitor } from '../../src/engine/monitor/spawn.js';
import { stopContainer } from '../../src/engine/lifecycle/stop.js';
import { StateStore } from '../../src/state/container-state.js';
import { statusOf } from '../../src/container/status.js';
import { REPO, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const haveMonitor = existsSync(join(REPO, 'build/ts-runc-monitor'));
const TIMEOUT = 120_000;
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && haveMonitor ? describe : describe.skip;

/** A PID 1 that ignores SIGTERM (the kernel gives PID 1 no default actions: only a handler… or nothing). */
const IGNORES_TERM = 'trap "" TERM; echo ready; while true; do sleep 0.2; done';

suite('containers that live on (container run/stop/start/rm/exec)', { timeout: TIMEOUT }, () => {
  let box: Sandbox;
  let store: ContainerStore;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', IMAGE_TAR]);
    if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
    store = new ContainerStore(box.storage);
  });
  afterEach(() => {
    // every container this test left: rm -f (kills it, its monitor finishes, files go)
    for (const record of store.list()) box.run(['container', 'rm', '-f', record.Id], { timeout: 60_000 });
    for (const line of mountsMentioning(box.dir)) spawnSync('umount', ['-l', line.split(' ')[4]!]);
    box.cleanup();
  });

  const ctr = (args: string[], timeout = 60_000) => box.run(['container', ...args], { timeout });
  const view = (ref: string): ContainerView => containerView(store, store.resolve(ref));

  async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  const logOf = (id: string) => {
    const path = store.paths(id).log;
    return existsSync(path) ? readFileSync(path, 'utf8') : '';
  };

  /** Nothing of the engine's is left: no record, name, mount, hold, runtime state or monitor. */
  function expectNothingLeft(): void {
    const containers = join(box.storage, 'engine', 'containers');
    expect(existsSync(containers) ? readdirSync(containers) : []).toEqual([]);
    const names = join(box.storage, 'engine', 'names');
    expect(existsSync(names) ? readdirSync(names) : []).toEqual([]);
    expect(mountsMentioning(box.storage)).toEqual([]);
    expect(new ImageStore(box.storage).holders()).toEqual({});
    expect(existsSync(box.root) ? readdirSync(box.root) : []).toEqual([]);
  }

  it('run -d prints the 64-hex id and returns; the output goes to the log, not to our terminal', async () => {
    // pipes, not files: a container that held our stdout would keep spawnSync waiting
    const r = spawnSync(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'run', '-d', '--network', 'none', 'fixture:3layers',
      'sh', '-c', 'echo to-stdout; echo to-stderr >&2; sleep 30'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(r.stderr).toBe('');
    const id = r.stdout.trim();
    const log = await until('both lines in the log', () => /to-stdout[\s\S]*to-stderr|to-stderr[\s\S]*to-stdout/.test(logOf(id)) && logOf(id));
    const lines = log.trim().split('\n').map((line) => JSON.parse(line) as { log: string; stream: string; time: string });
    expect(lines).toEqual(expect.arrayContaining([
      expect.objectContaining({ log: 'to-stdout\n', stream: 'stdout' }),
      expect.objectContaining({ log: 'to-stderr\n', stream: 'stderr' }),
    ]));
    expect(view(id).state).toMatchObject({ Status: 'running', Running: true });
  });

  it('stop of a PID 1 that ignores SIGTERM waits -t seconds, then SIGKILL: exit 137 recorded', async () => {
    const id = ctr(['run', '-d', '--network', 'none', '--name', 'stubborn', 'fixture:3layers', 'sh', '-c', IGNORES_TERM]).stdout.trim();
    await until('ready', () => logOf(id).includes('ready'));
    const started = Date.now();
    const stop = ctr(['stop', '-t', '2', 'stubborn']);
    const elapsed = Date.now() - started;
    expect(stop.stderr).toBe('');
    expect(stop.status).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(view('stubborn').state).toMatchObject({ Status: 'exited', ExitCode: 137, Running: false });
  });

  it('--init: a program with no TERM handler (ignored as PID 1) stops at once: the init forwards TERM', async () => {
    // without --init the program is PID 1 and TERM does nothing; under docker-init it is PID 2
    const id = ctr(['run', '-d', '--init', '--network', 'none', '--name', 'inited', 'fixture:3layers', 'sh', '-c', 'echo ready; exec sleep 60']).stdout.trim();
    await until('ready', () => logOf(id).includes('ready'));
    expect(ctr(['exec', 'inited', 'cat', '/proc/1/cmdline']).stdout.split('\0')[0]).toBe('/sbin/docker-init');
    const started = Date.now();
    expect(ctr(['stop', '-t', '20', 'inited']).status).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(view('inited').state.ExitCode).toBe(143);
    // the init is a copy in the container's own directory, never the build's file
    const mount = readFileSync(store.paths(id).config, 'utf8');
    expect(mount).toContain(store.paths(id).init);
    expect(mount).not.toContain(join(REPO, 'build'));
  });

  it('start after stop keeps the writable layer: a file written before is still there', async () => {
    ctr(['run', '-d', '--network', 'none', '--name', 'keeper', 'fixture:3layers', 'sleep', '60']);
    expect(ctr(['exec', 'keeper', 'sh', '-c', 'echo kept > /data.txt']).status).toBe(0);
    expect(ctr(['stop', '-t', '0', 'keeper']).status).toBe(0);
    expect(view('keeper').state.Status).toBe('exited');
    const start = ctr(['start', 'keeper']);
    expect(start.stderr).toBe('');
    expect(view('keeper').state.Status).toBe('running');
    expect(ctr(['exec', 'keeper', 'cat', '/data.txt']).stdout).toBe('kept\n');
  });

  it('restart policy on-failure:2 on a command that exits 1: RestartCount 2, then exited', async () => {
    const id = ctr(['run', '-d', '--network', 'none', '--restart', 'on-failure:2', 'fixture:3layers', 'sh', '-c', 'echo run; exit 1']).stdout.trim();
    const done = await until('the policy to give up', () => {
      const v = view(id);
      return v.state.Status === 'exited' && !v.monitorAlive && v;
    });
    expect(done.RestartCount).toBe(2);
    expect(done.state.ExitCode).toBe(1);
    expect(logOf(id).match(/"run\\n"/g)?.length).toBe(3);
  });

  it('rm refuses a running container without -f, and rm -f removes it entirely', async () => {
    ctr(['run', '-d', '--network', 'none', '--name', 'doomed', 'fixture:3layers', 'sleep', '60']);
    const refused = ctr(['rm', 'doomed']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('container doomed is running: stop it or use rm -f');
    const forced = ctr(['rm', '-f', 'doomed']);
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toBe('doomed\n');
    expectNothingLeft();
    expect(ctr(['rm', 'wbe']).stderr).toContain('no such container: wbe');
  });

  it('exec -it runs under a real pty (script) and passes the exit code through', () => {
    ctr(['run', '-d', '--network', 'none', '--name', 'shell', 'fixture:3layers', 'sleep', '60']);
    const command = `${TS_RUNC} --root ${box.root} --storage ${box.storage} container exec -it shell sh -c 'tty; test -t 0 && echo stdin-is-a-tty; exit 5'`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 30_000, input: '' });
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.stdout).toContain('stdin-is-a-tty');
    expect(r.status).toBe(5);
  });

  it('the monitor survives kill -9 of the CLI: the container keeps running and logging', async () => {
    const cli = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'run', '--network', 'none', '--name', 'orphan', 'fixture:3layers',
      'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done'], { stdio: 'ignore' });
    const id = await until('the record', () => store.tryRead(store.idOfName('orphan') ?? '')?.Id);
    await until('a tick in the log', () => logOf(id).includes('tick 1'));
    cli.kill('SIGKILL');
    await new Promise((resolve) => cli.once('exit', resolve));
    const before = logOf(id).length;
    await until('more ticks after the CLI died', () => logOf(id).length > before + 50);
    expect(view('orphan').state.Status).toBe('running');
  });

  it('after a "reboot" (monitor and container killed, --root wiped) ls shows exited and start brings it back', async () => {
    const id = ctr(['run', '-d', '--network', 'none', '--name', 'survivor', 'fixture:3layers', 'sh', '-c', 'echo up >> /boot.log; sleep 60']).stdout.trim();
    await until('running', () => view(id).state.Running);
    const paths = store.paths(id);
    const monitorPid = Number(readFileSync(paths.monitorPid, 'utf8').split(' ')[0]);
    const containerPid = view(id).state.Pid;
    process.kill(monitorPid, 'SIGKILL');
    process.kill(containerPid, 'SIGKILL');
    await until('both gone', () => !existsSync(`/proc/${monitorPid}/stat`) || readFileSync(`/proc/${monitorPid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z'));
    // what a reboot does to --root (a tmpfs); the cgroup and the overlay mount die with the host too
    spawnSync(TS_RUNC, ['--root', box.root, 'delete', '--force', id], { stdio: 'ignore' });
    rmSync(box.root, { recursive: true, force: true });
    spawnSync('umount', ['-l', paths.rootfs]);
    expect(view(id).state).toMatchObject({ Status: 'exited', ExitCode: 255, Running: false });
    const start = ctr(['start', 'survivor']);
    expect(start.stderr).toBe('');
    expect(start.status).toBe(0);
    expect(view(id).state.Status).toBe('running');
    expect(ctr(['exec', 'survivor', 'cat', '/boot.log']).stdout).toBe('up\nup\n');
  });

  it('run -d: the monitor keeps none of the caller\'s inherited fds, and the container has only 0, 1, 2', async () => {
    // fd 40, a pipe without O_CLOEXEC, as a CI runner or `exec 40>…` hands down: it must reach
    // EOF once the CLI has exited, not stay open in the monitor for the container's life
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe', ...Array<'ignore'>(37).fill('ignore'), 'pipe'];
    const cli = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'run', '-d', '--network', 'none', '--name', 'fds', 'fixture:3layers', 'sleep', '60'],
      { stdio });
    const extra = cli.stdio[40] as NodeJS.ReadableStream;
    extra.resume();
    const eof = new Promise<'eof'>((resolve) => extra.once('end', () => resolve('eof')));
    const code = await new Promise<number | null>((resolve) => cli.once('exit', resolve));
    expect(code).toBe(0);
    const id = store.idOfName('fds')!;
    await until('running', () => view(id).state.Running);
    expect(await Promise.race([eof, sleep(20_000).then(() => 'still open')])).toBe('eof');
    const pid = view(id).state.Pid;
    expect(readdirSync(`/proc/${pid}/fd`).map(Number).sort()).toEqual([0, 1, 2]);
  });

  it('a run killed between spawning the monitor and START: rm (no -f) and start do not wait for that monitor', async () => {
    // what `run -d` leaves when SIGKILLed at that moment: a created container and a monitor
    // waiting for a START frame that never comes (spawned here as the CLI spawns it)
    for (const [name, verb] of [['idle-rm', 'rm'], ['idle-start', 'start']] as const) {
      const id = ctr(['create', '--network', 'none', '--name', name, 'fixture:3layers', 'sleep', '60']).stdout.trim();
      await spawnMonitor(monitorOptions(box.storage, store.read(id)));
      expect(view(id).monitorAlive).toBe(true);
      const r = ctr([verb, name], 120_000);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      if (verb === 'start') expect(view(id).state.Status).toBe('running');
      else expect(store.tryRead(id)).toBeUndefined();
    }
    ctr(['rm', '-f', 'idle-start']);
    expectNothingLeft();
    expect(box.run(['image', 'rm', 'fixture:3layers']).status).toBe(0);
  });

  it('stop while a restart policy is creating the next run: no error, and the new process is stopped too', async () => {
    // the first run exits 1; the restart's run would stay up
    const id = ctr(['run', '-d', '--network', 'none', '--restart', 'always', 'fixture:3layers',
      'sh', '-c', 'if [ -e /ran ]; then exec sleep 60; fi; touch /ran; exit 1']).stdout.trim();
    const runtime = new StateStore(store.read(id).Root);
    // the moment the restart's runtime container exists without a process (status "creating")
    // (a busy poll: the window lasts only while the init hook creates the container)
    const creating = () => {
      try {
        return runtime.exists(id) && statusOf(runtime, runtime.read(id)) === 'creating';
      } catch {
        return false; // read while it is being written or removed
      }
    };
    const deadline = Date.now() + 60_000;
    while (!creating()) if (Date.now() > deadline) throw new Error('timed out waiting for the restart being created');
    // held there: the creator (the init hook) stopped until the stop is under way
    const creator = runtime.read(id).creator!.pid;
    process.kill(creator, 'SIGSTOP');
    const stopping = stopContainer(box.storage, id, { timeout: 5 });
    await sleep(1000);
    process.kill(creator, 'SIGCONT');
    await stopping;
    expect(view(id).state).toMatchObject({ Status: 'exited', Running: false });
    expect(view(id).monitorAlive).toBe(false);
    await sleep(1500); // no restart after a user's stop
    expect(view(id).state.Status).toBe('exited');
  });

  it('rm after a `cp` into a stopped container was SIGKILLed: the host directory bound into it keeps its files', async () => {
    const host = join(box.dir, 'host-data');
    mkdirSync(host);
    writeFileSync(join(host, 'precious.txt'), 'keep me\n');
    const id = ctr(['run', '--network', 'none', '--name', 'victim', '-v', `${host}:/data`, 'fixture:3layers', 'true']).stdout.trim();
    expect(view('victim').state.Status).toBe('exited');
    // a copy from a tar on stdin that never ends: its temporary root, with the bind, stays mounted
    const cp = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'cp', '-', 'victim:/'], { stdio: ['pipe', 'ignore', 'ignore'] });
    await until('the copy\'s mounts', () => mountsMentioning(store.paths(id).dir).some((line) => line.includes('/cp-') && line.includes('/data')));
    cp.kill('SIGKILL');
    await new Promise((resolve) => cp.once('exit', resolve));
    const rm = ctr(['rm', 'victim']);
    expect(rm.stderr).toBe('');
    expect(rm.status).toBe(0);
    expect(readdirSync(host)).toEqual(['precious.txt']);
    expectNothingLeft();
  });

  it('two `run --name xx` at once give one container and one clear error', async () => {
    const args = ['--root', box.root, '--storage', box.storage, 'container', 'run', '-d', '--network', 'none', '--name', 'xx', 'fixture:3layers', 'sleep', '60'];
    const runOne = () => new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(TS_RUNC, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      child.on('exit', (code) => resolve({ code: code ?? 128, stderr }));
    });
    const results = await Promise.all([runOne(), runOne()]);
    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, 125]);
    expect(results.find((r) => r.code === 125)!.stderr).toContain('the container name "/xx" is already in use');
    expect(store.list().map((r) => r.Name)).toEqual(['/xx']);
  });

  it('a failed run leaves nothing: a command not found is 127, a directory 126, a missing image 125', () => {
    const notFound = ctr(['run', '--network', 'none', 'fixture:3layers', 'no-such-command']);
    expect(notFound.status).toBe(127);
    expect(notFound.stderr).toContain('no-such-command');
    expect(ctr(['run', '--network', 'none', 'fixture:3layers', '/etc']).status).toBe(126);
    const noImage = ctr(['run', '--network', 'none', 'no-such-image', 'true']);
    expect(noImage.status).toBe(125);
    expect(noImage.stderr).toContain('no such image: no-such-image');
    expect(ctr(['run', '-d', '--network', 'none', 'fixture:3layers', 'no-such-command']).status).toBe(127);
    expect(ctr(['run', '--network', 'none', '--frobnicate', 'fixture:3layers']).status).toBe(125);
    expectNothingLeft();
  });

  it('--rm: the foreground run gives the exit code and the container is gone when it returns', () => {
    const r = ctr(['run', '--rm', '--network', 'none', 'fixture:3layers', 'sh', '-c', 'echo bye; exit 4']);
    expect(r.stdout).toBe('bye\n');
    expect(r.status).toBe(4);
    expectNothingLeft();
  });

  it('restart: a new process on the same layer; the old one got its stop signal', async () => {
    const id = ctr(['run', '-d', '--network', 'none', '--name', 'again', 'fixture:3layers', 'sh', '-c', 'echo started >> /starts; exec sleep 60']).stdout.trim();
    await until('running', () => view(id).state.Running);
    const before = view(id).state.Pid;
    expect(ctr(['restart', '-t', '1', 'again']).status).toBe(0);
    const after = view(id).state;
    expect(after.Status).toBe('running');
    expect(after.Pid).not.toBe(before);
    expect(ctr(['exec', 'again', 'cat', '/starts']).stdout).toBe('started\nstarted\n');
  });

  it('wait prints the exit code of a container when it stops', async () => {
    ctr(['run', '-d', '--network', 'none', '--name', 'short', 'fixture:3layers', 'sh', '-c', 'sleep 1; exit 9']);
    const r = ctr(['wait', 'short']);
    expect(r.stdout).toBe('9\n');
  });
  it('a container killed by the OOM killer: exit 137 and OOMKilled true', () => {
    const r = ctr(['run', '--name', 'hog', '--network', 'none', '-m', '16m', '--memory-swap', '16m', 'fixture:3layers',
      'sh', '-c', 'x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo survived']);
    expect(r.status).toBe(137);
    expect(r.stdout).not.toContain('survived');
    expect(view('hog').state).toMatchObject({ Status: 'exited', ExitCode: 137, OOMKilled: true });
  });

  it('kill of an --restart always container: it stays exited (a user\'s kill is never undone)', async () => {
    const id = ctr(['run', '-d', '--network', 'none', '--name', 'killed', '--restart', 'always', 'fixture:3layers', 'sleep', '60']).stdout.trim();
    await until('running', () => view(id).state.Running);
    expect(ctr(['kill', 'killed']).status).toBe(0);
    await until('the monitor gone', () => !view(id).monitorAlive);
    expect(view(id).state).toMatchObject({ Status: 'exited', ExitCode: 137 });
    expect(view(id).RestartCount).toBe(0);
  });

  it('attach gives our stdin to a -i container and its output to us; create then start -a runs in the foreground', async () => {
    const id = ctr(['run', '-d', '-i', '--network', 'none', '--name', 'echoer', 'fixture:3layers', 'cat']).stdout.trim();
    await until('running', () => view(id).state.Running);
    const attached = spawnSync(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'attach', 'echoer'], { input: 'hello through attach\n', encoding: 'utf8', timeout: 60_000 });
    expect(attached.stdout).toBe('hello through attach\n');
    expect(attached.status).toBe(0);
    expect(view(id).state).toMatchObject({ Status: 'exited', ExitCode: 0 });

    const created = ctr(['create', '--network', 'none', '--name', 'later', 'fixture:3layers', 'sh', '-c', 'echo from-start-a; exit 6']);
    expect(created.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    expect(view('later').state.Status).toBe('created');
    const started = ctr(['start', '-a', 'later']);
    expect(started.stdout).toBe('from-start-a\n');
    expect(started.status).toBe(6);
  });
  it('run in the foreground passes the signals it gets on to the container (--sig-proxy, the default)', async () => {
    const cli = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'run', '--network', 'none', 'fixture:3layers',
      'sh', '-c', 'trap "echo got-term; exit 9" TERM; echo ready; while true; do sleep 0.1; done'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    cli.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    await until('ready', () => out.includes('ready'));
    cli.kill('SIGTERM');
    expect(await exited).toBe(9);
    expect(out).toBe('ready\ngot-term\n');
  });
  it('two `container start` at once: one monitor, both succeed', async () => {
    const id = ctr(['create', '--network', 'none', '--name', 'twice', 'fixture:3layers', 'sleep', '60']).stdout.trim();
    const startOne = () => new Promise<number>((resolve) => {
      const child = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'container', 'start', 'twice'], { stdio: 'ignore' });
      child.on('exit', (code) => resolve(code ?? 128));
    });
    expect(await Promise.all([startOne(), startOne()])).toEqual([0, 0]);
    expect(view(id).state.Status).toBe('running');
    const monitors = spawnSync('pgrep', ['-f', `ts-runc-monitor --dir ${store.paths(id).dir}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(monitors).toHaveLength(1);
  });
});
