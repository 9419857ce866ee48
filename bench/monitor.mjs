// The container monitor (native/monitor/, issue 11 item 1) against Debian's conmon, the
// monitor podman and CRI-O use, side by side on the same busybox bundle:
//
//   (a) memory: each holding one running container (`sleep`): VmRSS (/proc/PID/status)
//       and PSS (/proc/PID/smaps_rollup: shared pages divided among their users, the
//       fairer figure when many monitors run);
//   (b) log throughput: a container writing 200 MB of 90-byte lines to stdout; the time
//       from spawning the monitor until it has recorded the exit (so the log is complete),
//       the log's size, the monitor's CPU time and its peak RSS (VmHWM) meanwhile.
//       Both times include `runc create` + `runc start` (~0.1 s). CPU time is sampled from
//       /proc/PID/stat every few ms until the monitor exits (10 ms ticks; the last few ms
//       may be missed, alike for both).
//
// Both monitors hold a container run by runc, so the monitors are what differs: conmon runs
// runc itself; ts-runc-monitor runs a hook script that calls `runc create` and `runc start`
// (in ts-runc the hook is `ts-runc container _hook`, which runs ts-runc's own runtime; the
// monitor does not care which). Logs: ts-runc-monitor writes Docker's json-file format,
// conmon its k8s-file format (`TIME stdout F line`), the closest it has; neither fsyncs
// the log at exit (conmon gets --no-sync-log). Every log is checked to hold all 200 MB.
//
//   node bench/monitor.mjs [--rounds=N] [--megabytes=N]     (as root, after `make build fixture`)
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '..');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const ROUNDS = Number(arg('rounds', 3));
const BYTES = Number(arg('megabytes', 200)) * 1_000_000;
const LINE = '2026-12-04 20:00:00 INFO GET /index.html 200 1234 bytes from 10.0.0.2, a web server log';
const FIXTURE = realpathSync(join(ROOT, 'rootfs-fixtures/out/bundle')); // runc wants a canonical root
const { spawnMonitor } = await import(join(ROOT, 'dist/engine/monitor/spawn.js'));
const { MonitorClient } = await import(join(ROOT, 'dist/engine/monitor/client.js'));

const which = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
const RUNC = which('runc');
const CONMON = which('conmon');
if (!RUNC || !CONMON) {
  console.error('bench: needs runc and conmon (apt-get install -y runc conmon)');
  process.exit(1);
}
if (!existsSync(join(ROOT, 'build/ts-runc-monitor'))) {
  console.error('bench: run make build first');
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), 'ts-runc-bench-monitor-'));
const runcRoot = join(work, 'runc');
const live = new Set(); // container ids to remove at the end
let serial = 0;

function must(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await sleep(5);
  }
}
const alive = (pid) => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));

function bundle(args) {
  const dir = join(work, `bundle-${serial++}`);
  mkdirSync(dir);
  const config = JSON.parse(readFileSync(join(FIXTURE, 'config.json'), 'utf8'));
  config.root = { path: join(FIXTURE, 'rootfs'), readonly: true };
  config.process.terminal = false;
  config.process.args = args;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

/** kB figures of a live process */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const field = (text, name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: field(status, 'VmRSS'), pss: field(rollup, 'Pss'), hwm: field(status, 'VmHWM') };
}
/** user + system CPU in ms (fields 14, 15 of proc_pid_stat(5), clock ticks of 10 ms) */
function cpuMs(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

// --- ts-runc-monitor, with a hook that runs runc -------------------------------------------
async function tsMonitor(args) {
  const id = `tsmon-${process.pid}-${serial}`;
  const b = bundle(args);
  const dir = join(work, id);
  mkdirSync(dir);
  const hook = join(work, `hook-${id}`);
  writeFileSync(
    hook,
    `#!/bin/sh
case "$1" in
init)
  ${RUNC} --root ${runcRoot} create --bundle ${b} --pid-file ${dir}/pid ${id} 3>&- &&
  ${RUNC} --root ${runcRoot} start ${id} 3>&- </dev/null >/dev/null 2>&1 &&
  echo "{\\"pid\\":$(cat ${dir}/pid)}" >&3 ;;
cleanup) ${RUNC} --root ${runcRoot} delete --force ${id} 3>&- ;;
esac
`,
  );
  chmodSync(hook, 0o755);
  live.add(id);
  const t0 = process.hrtime.bigint();
  await spawnMonitor({ dir, id, hook: [hook] });
  const client = await MonitorClient.connect(dir);
  const { pid } = await client.start();
  await client.closeAndWait();
  const monitorPid = Number(readFileSync(join(dir, 'monitor.pid'), 'utf8').split(' ')[0]);
  return {
    id,
    pid,
    t0,
    monitorPid,
    log: join(dir, 'container.log'),
    exited: () => !alive(monitorPid) && JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).Status === 'exited',
  };
}

// --- conmon, running runc itself --------------------------------------------------------------
async function conmon(args) {
  const id = `conmon-${process.pid}-${serial}`;
  const b = bundle(args);
  const dir = join(work, id);
  mkdirSync(join(dir, 'exit'), { recursive: true });
  mkdirSync(join(dir, 'sock'));
  live.add(id);
  const t0 = process.hrtime.bigint();
  must([
    CONMON, '--api-version', '1', '-c', id, '-u', id, '-n', id, '-r', RUNC, '-b', b,
    '-p', join(dir, 'pid'), '--conmon-pidfile', join(dir, 'conmon.pid'),
    '--exit-dir', join(dir, 'exit'), '--socket-dir-path', join(dir, 'sock'),
    '-l', `k8s-file:${join(dir, 'ctr.log')}`, '--log-level', 'error', '--no-sync-log',
    '--runtime-arg', '--root', '--runtime-arg', runcRoot,
  ]);
  await waitFor(() => existsSync(join(dir, 'pid')) && readFileSync(join(dir, 'pid'), 'utf8').trim(), 'conmon: the container pid');
  must([RUNC, '--root', runcRoot, 'start', id]);
  const monitorPid = Number(readFileSync(join(dir, 'conmon.pid'), 'utf8'));
  return {
    id,
    pid: Number(readFileSync(join(dir, 'pid'), 'utf8')),
    t0,
    monitorPid,
    log: join(dir, 'ctr.log'),
    exited: () => existsSync(join(dir, 'exit', id)) && !alive(monitorPid),
  };
}

function stopContainer(c) {
  spawnSync(RUNC, ['--root', runcRoot, 'kill', c.id, 'KILL'], { stdio: 'ignore' });
}

/** payload bytes in a log: json-file's "log" values, or k8s-file's text (+ "\n" for F lines) */
async function logPayload(path, format) {
  let bytes = 0;
  let lines = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    lines++;
    if (format === 'json') bytes += Buffer.byteLength(JSON.parse(line).log);
    else {
      const [, , tag] = line.split(' ', 3);
      const text = line.slice(line.indexOf(' ', line.indexOf(' ', line.indexOf(' ') + 1) + 1) + 1);
      bytes += Buffer.byteLength(text) + (tag === 'F' ? 1 : 0);
    }
  }
  return { bytes, lines };
}

const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const MONITORS = [
  ['ts-runc-monitor', tsMonitor, 'json'],
  ['conmon', conmon, 'k8s'],
];

try {
  // (a) memory, holding a sleeping container that has written one line
  const mem = Object.fromEntries(MONITORS.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start] of MONITORS) {
      const c = await start(['sh', '-c', 'echo hello; exec sleep 1000']);
      await waitFor(() => existsSync(c.log) && statSync(c.log).size > 0, `${name}: the first log line`);
      await sleep(500);
      mem[name].push(memory(c.monitorPid));
      stopContainer(c);
      await waitFor(c.exited, `${name}: the monitor to record the exit`);
      live.delete(c.id);
    }
  }

  // (b) throughput, the monitors taking turns in each round
  const thr = Object.fromEntries(MONITORS.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, start, format] of MONITORS) {
      const c = await start(['sh', '-c', `yes '${LINE}' | head -c ${BYTES}`]);
      let cpu = 0;
      let hwm = 0;
      await waitFor(() => {
        if (alive(c.monitorPid)) {
          try {
            cpu = cpuMs(c.monitorPid);
            hwm = Math.max(hwm, memory(c.monitorPid).hwm);
          } catch {}
        }
        return c.exited();
      }, `${name}: ${BYTES} bytes to be logged`);
      const seconds = Number(process.hrtime.bigint() - c.t0) / 1e9;
      const payload = await logPayload(c.log, format);
      if (payload.bytes !== BYTES) throw new Error(`bench: ${name}'s log holds ${payload.bytes} bytes of output, not ${BYTES}`);
      thr[name].push({ seconds, size: statSync(c.log).size, lines: payload.lines, cpu, hwm });
      live.delete(c.id);
      rmSync(c.log);
    }
  }
  const med = (name, key) => median(thr[name].map((r) => r[key]));

  const row = (cells) => console.log(cells.map((c, i) => String(c).padEnd(i ? 18 : 40)).join(''));
  console.log(`\nmemory of a monitor holding one running container (median of ${ROUNDS}, kB)`);
  row(['', ...MONITORS.map(([n]) => n)]);
  row(['VmRSS', ...MONITORS.map(([n]) => median(mem[n].map((m) => m.rss)))]);
  row(['PSS', ...MONITORS.map(([n]) => median(mem[n].map((m) => m.pss)))]);
  console.log(`\nlog throughput: a container writing ${BYTES / 1e6} MB of ${LINE.length + 1}-byte lines to stdout (median of ${ROUNDS})`);
  row(['', ...MONITORS.map(([n]) => n)]);
  row(['time until the exit is recorded (s)', ...MONITORS.map(([n]) => med(n, 'seconds').toFixed(2))]);
  row(['throughput (MB/s)', ...MONITORS.map(([n]) => (BYTES / 1e6 / med(n, 'seconds')).toFixed(0))]);
  row(['monitor CPU time (s)', ...MONITORS.map(([n]) => (med(n, 'cpu') / 1000).toFixed(2))]);
  row(['monitor peak RSS, VmHWM (kB)', ...MONITORS.map(([n]) => med(n, 'hwm'))]);
  row(['log file (MB)', ...MONITORS.map(([n]) => (med(n, 'size') / 1e6).toFixed(0))]);
  row(['log lines', ...MONITORS.map(([n]) => med(n, 'lines'))]);
  console.log(`(load average while measuring: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  console.log('(ts-runc-monitor: Docker json-file; conmon: k8s-file)');
} finally {
  for (const id of live) spawnSync(RUNC, ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' });
  await sleep(200);
  if (!process.env.BENCH_KEEP) rmSync(work, { recursive: true, force: true });
}
