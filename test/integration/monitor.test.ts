/**
 * The container monitor (native/monitor/, src/engine/monitor/) driven directly, with fake
 * hooks: small shell scripts standing in for `ts-runc container _hook`, whose "container"
 * is a host shell reporting its pid on fd 3. monitor-container.test.ts runs real ones.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MonitorClient } from '../../src/engine/monitor/client.js';
import { spawnMonitor, type MonitorOptions } from '../../src/engine/monitor/spawn.js';
import { monitorAlive, monitorPid, readMonitorState } from '../../src/engine/monitor/state.js';
import type { ExitedPayload } from '../../src/engine/monitor/protocol.js';
import { REPO, isRoot } from './helpers.js';
import { makeScratch, monitorGone, readLog, removeScratch, startMonitor, waitFor } from './monitor-helpers.js';

let dir: string;
let work: string;

beforeEach(() => {
  ({ dir, work } = makeScratch());
});
afterEach(() => removeScratch(dir, work));

const monitor = (options: Partial<MonitorOptions> & { hook: string[] }) => startMonitor(dir, options);
const logLines = (file?: string) => readLog(dir, file);
const finished = () => monitorGone(dir);

/** A hook script: `init` runs `container` (shell) in the background and reports its pid. */
function hook(container: string, extra = '', health = ''): string {
  const path = join(work, `hook-${Math.random().toString(36).slice(2)}`);
  writeFileSync(
    path,
    `#!/bin/sh
# The container is started by setsid -f, whose parent exits at once without waiting for
# it (a shell might reap its own background job first), so that it is reparented to the
# monitor as a real one is; it writes its own pid. It gets the hook's stdin (an
# asynchronous list would get /dev/null) but not fd 3.
case "$1" in
init)
  pidfile=${work}/pid.$$
  setsid -f sh -c 'echo $$ > "$1.tmp" && mv "$1.tmp" "$1" && exec sh -c "$0"' '${container.replace(/'/g, `'\\''`)}' "$pidfile" 3>&-
  while [ ! -s "$pidfile" ]; do sleep 0.01; done
  echo "{\\"pid\\":$(cat "$pidfile")}" >&3 ;;
cleanup)
  echo "cleanup $TS_RUNC_EXIT_CODE $TS_RUNC_RESTARTING" >> ${work}/cleanups
  ${extra}
  ;;
health)
  ${health}
  ;;
esac
`,
  );
  chmodSync(path, 0o755);
  return path;
}

describe.skipIf(!isRoot)('the container monitor', () => {
  it('writes stdout and stderr as json-file lines, records the exit code and sends EXITED', async () => {
    const client = await monitor({ hook: [hook(`echo out; echo err >&2; printf 'tab\\there "q" <x> \\001 \\377\\n'; echo -n partial; exit 3`)] });
    const exits: ExitedPayload[] = [];
    client.onExit((e) => exits.push(e));
    let stdout = '';
    client.stdout.on('data', (d: Buffer) => (stdout += d.toString('latin1')));
    const { pid } = await client.start();
    expect(pid).toBeGreaterThan(1);
    await finished();
    await client.closed;
    expect(exits).toEqual([{ exitCode: 3, restarting: false }]);
    expect(stdout).toContain('out\n');
    const lines = logLines();
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.log)).toEqual(['out\n', 'tab\there "q" <x> \u0001 \ufffd\n', 'partial']);
    expect(lines.filter((l) => l.stream === 'stderr').map((l) => l.log)).toEqual(['err\n']);
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    // Go's escaping of <, > and control characters, as in Docker's files
    expect(readFileSync(join(dir, 'container.log'), 'utf8')).toContain('\\u003cx\\u003e \\u0001 \\ufffd\\n');
    const state = readMonitorState(join(dir, 'state.json'))!;
    expect(state).toMatchObject({ Status: 'exited', ExitCode: 3, Pid: 0, RestartCount: 0, OOMKilled: false, Error: '' });
    expect(Date.parse(state.FinishedAt)).toBeGreaterThanOrEqual(Date.parse(state.StartedAt));
    expect(readFileSync(join(work, 'cleanups'), 'utf8')).toBe('cleanup 3 0\n');
    expect(existsSync(join(dir, 'monitor.pid'))).toBe(false);
  });

  it('splits a line over 16 KiB into pieces without cutting a UTF-8 character, and keeps U+2028 escaped', async () => {
    // 30,001 "é" (2 bytes each) after one "x": no 16 KiB boundary falls between characters
    const client = await monitor({ hook: [hook(`printf x; i=0; while [ $i -lt 30001 ]; do printf '\\303\\251'; i=$((i+1)); done; printf '\\n'; printf 'sep\\342\\200\\250ok\\n'`)] });
    await client.start();
    await finished();
    const pieces = logLines().map((l) => l.log);
    expect(pieces.slice(0, -1).join('')).toBe(`x${'é'.repeat(30001)}\n`);
    expect(pieces.length).toBe(5); // 60,004 bytes: three pieces of 16,383 or 16,384 bytes and the rest
    for (const piece of pieces.slice(0, 3)) expect(Buffer.byteLength(piece)).toBeGreaterThanOrEqual(16383);
    expect(pieces.at(-1)).toBe('sep\u2028ok\n');
    expect(readFileSync(join(dir, 'container.log'), 'utf8')).toContain('sep\\u2028ok');
  });

  it('never lets a client that does not read hold up the container; the log gets every byte', async () => {
    const line = 'a line of container output, as fast as the container can write it';
    const total = 30_000_000;
    const client = await monitor({ hook: [hook(`yes '${line}' | head -c ${total}`)] });
    const slow = await MonitorClient.connect(dir, { stdout: true }); // never reads its stdout
    await client.start();
    await finished();
    const logged = logLines();
    expect(logged.reduce((sum, l) => sum + Buffer.byteLength(l.log), 0)).toBe(total);
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'exited', ExitCode: 0 });
    let received = 0;
    slow.stdout.on('data', (d: Buffer) => (received += d.length));
    await slow.closed;
    expect(received).toBeLessThan(total); // what it could not take was dropped for it
  });

  it('writes no log with --log-driver none', async () => {
    const client = await monitor({ hook: [hook('echo not logged')], logDriver: 'none' });
    let stdout = '';
    client.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await client.start();
    await finished();
    await client.closed;
    expect(stdout).toBe('not logged\n'); // attach still works
    expect(existsSync(join(dir, 'container.log'))).toBe(false);
  });

  it('runs the health hook on its interval while the container runs, one at a time', async () => {
    const checks = join(work, 'checks');
    const client = await monitor({
      hook: [hook('exec sleep 1000', '', `echo "start $TS_RUNC_PID" >> ${checks}; sleep 0.2; echo end >> ${checks}`)],
      healthIntervalMs: 50,
    });
    const { pid } = await client.start();
    await waitFor(() => existsSync(checks) && readFileSync(checks, 'utf8').split('end').length > 3, 'three health checks');
    client.noRestart();
    process.kill(pid, 'SIGKILL');
    expect(await client.nextExit()).toEqual({ exitCode: 137, restarting: false });
    await finished();
    const lines = readFileSync(checks, 'utf8').trim().split('\n');
    // strictly start, end, start, end...: never two at once (a last one may have been killed)
    lines.forEach((l, i) => expect(l).toBe(i % 2 === 0 ? `start ${pid}` : 'end'));
  });

  it('rotates the log at max-size, keeping max-files files', async () => {
    const client = await monitor({
      hook: [hook(`i=0; while [ $i -lt 400 ]; do echo "line $i of the log"; i=$((i+1)); done`)],
      logMaxSize: 2000,
      logMaxFiles: 3,
    });
    await client.start();
    await finished();
    const files = readdirSync(dir).filter((f) => f.startsWith('container.log')).sort();
    expect(files).toEqual(['container.log', 'container.log.1', 'container.log.2']);
    for (const f of ['container.log.1', 'container.log.2']) {
      // rotated once it reached max-size: at least 2000 bytes, at most one entry more
      expect(statSync(join(dir, f)).size).toBeGreaterThanOrEqual(2000);
      expect(statSync(join(dir, f)).size).toBeLessThan(2200);
    }
    // the newest lines are in container.log, in order, and the files follow each other
    const all = [...logLines('container.log.2'), ...logLines('container.log.1'), ...logLines()].map((l) => l.log);
    expect(all.at(-1)).toBe('line 399 of the log\n');
    const first = Number(/line (\d+)/.exec(all[0]!)![1]);
    expect(all).toEqual(Array.from({ length: 400 - first }, (_, i) => `line ${first + i} of the log\n`));
  });

  it('restarts on-failure:2 twice, then records exited with RestartCount 2', async () => {
    const client = await monitor({ hook: [hook('echo run; exit 1')], restart: 'on-failure:2' });
    const exits: ExitedPayload[] = [];
    client.onExit((e) => exits.push(e));
    await client.start();
    await finished();
    expect(exits).toEqual([
      { exitCode: 1, restarting: true },
      { exitCode: 1, restarting: true },
      { exitCode: 1, restarting: false },
    ]);
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'exited', ExitCode: 1, RestartCount: 2 });
    expect(logLines().map((l) => l.log)).toEqual(['run\n', 'run\n', 'run\n']);
    expect(readFileSync(join(work, 'cleanups'), 'utf8')).toBe('cleanup 1 1\ncleanup 1 1\ncleanup 1 0\n');
  });

  it("waits Docker's back-off between restarts: 100 ms, then double each time", async () => {
    const starts = join(work, 'starts');
    const client = await monitor({ hook: [hook(`date +%s%N >> ${starts}; exit 1`)], restart: 'on-failure:3' });
    await client.start();
    await finished();
    const times = readFileSync(starts, 'utf8').trim().split('\n').map((t) => Number(BigInt(t) / 1_000_000n));
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // lower bounds only: a loaded machine makes every gap longer, never shorter
    expect(gaps[0]).toBeGreaterThanOrEqual(100);
    expect(gaps[1]).toBeGreaterThanOrEqual(200);
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'exited', ExitCode: 1, RestartCount: 3 });
  });

  it('never restarts after NO_RESTART (the user stopped it)', async () => {
    const client = await monitor({ hook: [hook('cat /proc/self/oom_score_adj; exec sleep 1000')], restart: 'always' });
    const { pid } = await client.start();
    // the monitor shields itself from the OOM killer; the container does not inherit that
    await waitFor(() => existsSync(join(dir, 'container.log')) && logLines().length > 0, 'the first line');
    expect(logLines()[0]!.log).toBe(readFileSync('/proc/self/oom_score_adj', 'utf8'));
    // lowering it needs CAP_SYS_RESOURCE (bit 24), which a sandboxed root may lack
    const capEff = BigInt(`0x${/^CapEff:\s+(\w+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    const expected = capEff & (1n << 24n) ? '-999\n' : readFileSync('/proc/self/oom_score_adj', 'utf8');
    expect(readFileSync(`/proc/${monitorPid(join(dir, 'monitor.pid'))}/oom_score_adj`, 'utf8')).toBe(expected);
    client.noRestart();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exit = client.nextExit();
    process.kill(pid, 'SIGTERM');
    expect(await exit).toEqual({ exitCode: 143, restarting: false });
    await finished();
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'exited', ExitCode: 143, RestartCount: 0 });
  });

  it('delivers stdin from an attached client and its output back', async () => {
    const client = await monitor({ hook: [hook('exec cat')], stdin: true });
    let stdout = '';
    client.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await client.start();
    client.writeStdin('hello monitor\n');
    await waitFor(() => stdout.includes('hello monitor\n'), 'the echo');
    const big = Buffer.alloc(3 << 20, 'x'); // more than the pipe and the monitor's stdin backlog
    client.writeStdin(big);
    client.closeStdin();
    expect(await client.nextExit()).toEqual({ exitCode: 0, restarting: false });
    await finished();
    const logged = logLines().map((l) => l.log).join('');
    expect(logged).toBe(`hello monitor\n${big.toString()}`);
  });

  it('stays idle when the container closes its stdin (no busy loop on the dead pipe)', async () => {
    const client = await monitor({ hook: [hook('exec 0<&-; sleep 1; echo done')], stdin: true });
    await client.start();
    const pid = monitorPid(join(dir, 'monitor.pid'))!;
    await client.nextExit();
    // CPU time of the monitor (utime + stime, clock ticks of 10 ms) over the 1 s the
    // container slept: a loop on the pipe's EPOLLERR would burn most of it
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    expect((Number(fields[11]) + Number(fields[12])) * 10).toBeLessThan(300);
    await finished();
    expect(logLines().map((l) => l.log)).toEqual(['done\n']);
  });

  it('closes stdin when the first client that wrote to it leaves, with --stdin-once', async () => {
    const client = await monitor({ hook: [hook('exec cat')], stdin: true, stdinOnce: true });
    await client.start();
    const writer = await MonitorClient.connect(dir);
    writer.writeStdin('once\n');
    await writer.closeAndWait();
    expect(await client.nextExit()).toEqual({ exitCode: 0, restarting: false });
    await finished();
    expect(logLines().map((l) => l.log)).toEqual(['once\n']);
  });

  it('takes the report at its newline even when the container inherited fd 3', async () => {
    const careless = join(work, 'careless-hook');
    writeFileSync(
      careless,
      `#!/bin/sh
[ "$1" = init ] || exit 0
setsid -f sh -c 'echo $$ > ${work}/pid; exec sleep 1000'
while [ ! -s ${work}/pid ]; do sleep 0.01; done
echo "{\\"pid\\":$(cat ${work}/pid)}" >&3
`,
    );
    chmodSync(careless, 0o755);
    const client = await monitor({ hook: [careless] });
    const { pid } = await client.start(); // before the fix: only once sleep 1000 ended
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'running', Pid: pid });
    process.kill(pid, 'SIGKILL');
    expect(await client.nextExit()).toEqual({ exitCode: 137, restarting: false });
    await finished();
  });

  it('notices the exit of a reported process that is not its child (pidfd), as 255 with the reason', async () => {
    const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const wrong = join(work, 'wrong-hook');
    writeFileSync(wrong, `#!/bin/sh\n[ "$1" = init ] && echo '{"pid":${stranger.pid}}' >&3\nexit 0\n`);
    chmodSync(wrong, 0o755);
    const client = await monitor({ hook: [wrong] });
    await client.start();
    stranger.kill('SIGTERM');
    expect(await client.nextExit()).toEqual({ exitCode: 255, restarting: false });
    await finished();
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'exited', ExitCode: 255, Error: expect.stringContaining('was not the monitor\'s child') });
  });

  it('reports a start failure from the hook (exit code and error) and exits', async () => {
    const bad = join(work, 'bad-hook');
    writeFileSync(bad, '#!/bin/sh\n[ "$1" = init ] && echo \'{"error":"exec: \\"nope\\": executable file not found","exitCode":127}\' >&3\nexit 0\n');
    chmodSync(bad, 0o755);
    const client = await monitor({ hook: [bad], restart: 'always' });
    const error = await client.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ exitCode: 127, message: 'exec: "nope": executable file not found' });
    await finished();
    expect(readMonitorState(join(dir, 'state.json'))).toMatchObject({ Status: 'exited', ExitCode: 127, Error: 'exec: "nope": executable file not found', RestartCount: 0 });
  });

  it('reports a hook that cannot run, or says nothing, as 125', async () => {
    const client = await monitor({ hook: [join(work, 'no-such-hook')] });
    await expect(client.start()).rejects.toMatchObject({ exitCode: 125, message: expect.stringContaining('could not be run') });
    await finished();
  });

  it('refuses a second monitor for the same directory and a bad argument, with the reason', async () => {
    const client = await monitor({ hook: [hook('exec sleep 1000')] });
    await expect(spawnMonitor({ dir, id: 'test', hook: ['true'] })).rejects.toThrow(/another monitor is running/);
    await expect(spawnMonitor({ dir: join(work, 'other'), id: 'x', hook: ['true'], restart: 'sometimes' as 'no' })).rejects.toThrow(/--restart: unknown policy "sometimes"/);
    // never started: SIGTERM ends it, state.json stays "created"
    process.kill(monitorPid(join(dir, 'monitor.pid'))!, 'SIGTERM');
    await finished();
    await client.closed;
    expect(readMonitorState(join(dir, 'state.json'))?.Status).toBe('created');
  });

  it('exits by itself when no START comes (its spawner was killed between ready and START)', async () => {
    await spawnMonitor({ dir, id: 'test', hook: [hook('exec sleep 1000')], startWaitMs: 300 });
    expect(monitorAlive(join(dir, 'monitor.pid'))).toBe(true);
    await finished();
    expect(readMonitorState(join(dir, 'state.json'))?.Status).toBe('created');
  });

  it("keeps the last run's exit in state.json until START (a start after a stop), 255 for a run whose monitor died", async () => {
    const state = join(dir, 'state.json');
    const before = { Status: 'exited', Pid: 0, ExitCode: 137, StartedAt: '2026-12-04T20:00:00.000000001Z', FinishedAt: '2026-12-04T20:00:05.000000001Z', RestartCount: 3, OOMKilled: true, Error: 'x "y"' };
    writeFileSync(state, JSON.stringify(before));
    let client = await monitor({ hook: [hook('exit 0')] });
    expect(readMonitorState(state)).toEqual({ ...before, RestartCount: 0 });
    await client.start();
    await finished();
    expect(readMonitorState(state)).toMatchObject({ Status: 'exited', ExitCode: 0, RestartCount: 0, OOMKilled: false, Error: '' });
    expect(readMonitorState(state)!.StartedAt).not.toBe(before.StartedAt);

    writeFileSync(state, JSON.stringify({ ...before, Status: 'running', Pid: 12345 }));
    client = await monitor({ hook: [hook('exit 0')] });
    expect(readMonitorState(state)).toEqual({ ...before, Status: 'exited', ExitCode: 255, RestartCount: 0 });
    process.kill(monitorPid(join(dir, 'monitor.pid'))!, 'SIGTERM'); // never started: ends at once
    await finished();
    await client.closed;
    expect(readMonitorState(state)!.ExitCode).toBe(255);
  });

  it('keeps state.json parseable at every moment while it restarts', async () => {
    const client = await monitor({ hook: [hook('exit 1')], restart: 'always' });
    await client.start();
    const seen = new Set<string>();
    let reads = 0;
    await waitFor(() => {
      for (let i = 0; i < 200; i++, reads++) seen.add(readMonitorState(join(dir, 'state.json'))!.Status); // throws on half a file
      return readMonitorState(join(dir, 'state.json'))!.RestartCount >= 3;
    }, 'three restarts');
    expect(reads).toBeGreaterThan(1000);
    expect(seen).toContain('restarting');
    client.noRestart();
    await finished();
    expect(readMonitorState(join(dir, 'state.json'))!.Status).toBe('exited');
    expect(readMonitorState(join(dir, 'state.json'))!.RestartCount).toBeGreaterThanOrEqual(3);
  });

  it('survives kill -9 of the process that spawned it; the container keeps running and logging', async () => {
    const container = hook('while true; do echo tick; sleep 0.05; done');
    const spawner = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { spawnMonitor } from ${JSON.stringify(join(REPO, 'dist/engine/monitor/spawn.js'))};
         import { MonitorClient } from ${JSON.stringify(join(REPO, 'dist/engine/monitor/client.js'))};
         await spawnMonitor({ dir: ${JSON.stringify(dir)}, id: 't', hook: [${JSON.stringify(container)}] });
         const c = await MonitorClient.connect(${JSON.stringify(dir)}, { stdout: true });
         await c.start();
         console.log('started');
         setInterval(() => {}, 1000);`,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => spawner.stdout!.on('data', (d: Buffer) => d.toString().includes('started') && resolve()));
    process.kill(-spawner.pid!, 'SIGKILL'); // its whole process group
    await new Promise((resolve) => spawner.on('exit', resolve));
    const before = logLines().length;
    await waitFor(() => logLines().length > before + 5, 'more log lines after the kill');
    expect(monitorAlive(join(dir, 'monitor.pid'))).toBe(true);
    expect(readMonitorState(join(dir, 'state.json'))!.Status).toBe('running');
  });
});
