// `docker run --rm IMAGE true` through `ts-runc system service` next to the same through
// `podman system service` with runc (issue 12): what the docker CLI asks of the Engine API
// for it, as HTTP on the socket — POST /containers/create, POST /{id}/start, POST
// /{id}/wait, DELETE /{id} — timed from the first request to the last answer. (Without the
// attach: podman 4.3's compat attach answers the docker CLI 28 with 409 here, so a real
// `docker run --rm` cannot be timed against it.) Also the service's idle RSS, and its RSS
// after the runs.
//
//   ts-runc   system service on a unix socket in a temp dir, its own --root/--storage
//   podman    system service --time=0 on another socket, --runtime runc, cgroupfs, file
//             events, storage in the same temp dir
//
// Both load the fixture's OCI archive first; `docker run --rm --network none --ulimit
// nofile=1024:1024 fixture:3layers sh -c 'exit 7'` must exit 7 before timing (podman's
// default RLIMIT_NOFILE is refused on this machine, hence the ulimit, given to both). They
// take turns within each iteration; medians and their ratio (ts-runc / podman) are printed.
//
// Then, side by side: `docker ps` with 50 containers running (`sleep 600`, --network none)
// and each service's RSS idle and with 100 containers running.
//
//   node bench/api-service.mjs [--iterations=N] [--warmup=N]     (as root, after make build fixture)
import { spawn, spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const ROOT = join(import.meta.dirname, '..');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const ITERATIONS = Number(arg('iterations', 10));
const WARMUP = Number(arg('warmup', 2));
const IMAGE_TAR = join(ROOT, 'rootfs-fixtures/out/image.tar');
const TS_RUNC = join(ROOT, 'bin/ts-runc');
const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const rssKiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

function docker(sock, args, config) {
  const start = process.hrtime.bigint();
  const r = spawnSync(DOCKER, args, { encoding: 'utf8', env: { ...process.env, DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: config }, timeout: 120_000 });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: r.status, out: `${r.stdout}${r.stderr}` };
}

async function waitSocket(sock, config) {
  for (let i = 0; i < 300; i++) {
    if (existsSync(sock) && docker(sock, ['version', '--format', '{{.Server.APIVersion}}'], config).status === 0) return;
    await sleep(100);
  }
  throw new Error(`${sock} never answered`);
}

const dir = mkdtempSync(join(tmpdir(), 'tab-'));
const children = [];
try {
  const config = join(dir, 'docker-config');
  mkdirSync(config);
  const tsSock = join(dir, 'ts.sock');
  const pmSock = join(dir, 'pm.sock');
  const ts = spawn(TS_RUNC, ['--root', join(dir, 'r'), '--storage', join(dir, 'ts-storage'), 'system', 'service', '--host', `unix://${tsSock}`], { stdio: 'ignore' });
  children.push(ts);
  const podmanFlags = ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--tmpdir', join(dir, 'podman-tmp'),
    '--runtime', 'runc', '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  const pm = spawn('podman', [...podmanFlags, 'system', 'service', '--time=0', `unix://${pmSock}`], { stdio: 'ignore' });
  children.push(pm);
  await waitSocket(tsSock, config);
  await waitSocket(pmSock, config);
  await sleep(2000);
  const idle = rssKiB(ts.pid);
  const idlePodman = rssKiB(pm.pid);
  for (const sock of [tsSock, pmSock]) {
    const load = docker(sock, ['load', '-i', IMAGE_TAR], config);
    if (load.status !== 0) throw new Error(`load on ${sock}: ${load.out}`);
  }
  const runArgs = (cmd) => ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'fixture:3layers', ...cmd];
  const http = (sock, method, path, body) => new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: sock, method, path: `/v1.41${path}`, headers: text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {} }, (res) => {
      let data = '';
      res.on('data', (c) => { data += c; });
      res.on('end', () => (res.statusCode >= 400 ? reject(new Error(`${method} ${path}: ${res.statusCode} ${data}`)) : resolve(data ? JSON.parse(data) : undefined)));
    });
    req.on('error', reject);
    req.end(text);
  });
  const runOnce = async (sock, cmd) => {
    const start = process.hrtime.bigint();
    const { Id } = await http(sock, 'POST', '/containers/create', { Image: 'fixture:3layers', Cmd: cmd, HostConfig: { NetworkMode: 'none', Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }, { Name: 'nproc', Soft: 1024, Hard: 1024 }] } });
    await http(sock, 'POST', `/containers/${Id}/start`);
    const { StatusCode } = await http(sock, 'POST', `/containers/${Id}/wait`);
    await http(sock, 'DELETE', `/containers/${Id}`);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: StatusCode };
  };
  for (const sock of [tsSock, pmSock]) {
    const r = await runOnce(sock, ['sh', '-c', 'exit 7']);
    if (r.status !== 7) throw new Error(`${sock}: exit ${r.status}, expected 7`);
  }
  // the docker CLI itself, end to end, on ts-runc's (podman's attach fails, see above)
  const cli = [];
  const times = { 'ts-runc': [], podman: [] };
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const [name, sock] of [['ts-runc', tsSock], ['podman', pmSock]]) {
      const r = await runOnce(sock, ['true']);
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}`);
      if (i >= WARMUP) times[name].push(r.ms);
    }
    const c = docker(tsSock, runArgs(['true']), config);
    if (c.status !== 0) throw new Error(`docker run on ts-runc: ${c.out}`);
    if (i >= WARMUP) cli.push(c.ms);
  }
  const after = rssKiB(ts.pid);
  // many containers: `docker ps` (the CLI, end to end) with 50 running, RSS with 100 running
  const running = { 'ts-runc': [], podman: [] };
  const startSleeper = async (sock) => {
    const { Id } = await http(sock, 'POST', '/containers/create', { Image: 'fixture:3layers', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'none', Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }, { Name: 'nproc', Soft: 1024, Hard: 1024 }] } });
    await http(sock, 'POST', `/containers/${Id}/start`);
    return Id;
  };
  const fill = async (name, sock, count) => {
    while (running[name].length < count) running[name].push(await startSleeper(sock));
  };
  const psTimes = { 'ts-runc': [], podman: [] };
  const rss100 = {};
  const pids = { 'ts-runc': ts.pid, podman: pm.pid };
  const many = [['ts-runc', tsSock], ['podman', pmSock]];
  try {
    for (const [name, sock] of many) await fill(name, sock, 50);
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      for (const [name, sock] of many) {
        const r = docker(sock, ['ps'], config);
        if (r.status !== 0 || r.out.trim().split('\n').length !== 51) throw new Error(`docker ps on ${name}: ${r.out}`);
        if (i >= WARMUP) psTimes[name].push(r.ms);
      }
    }
    for (const [name, sock] of many) {
      await fill(name, sock, 100);
      rss100[name] = rssKiB(pids[name]);
    }
  } finally {
    for (const [name, sock] of many) {
      for (const id of running[name]) await http(sock, 'DELETE', `/containers/${id}?force=1`).catch(() => undefined);
    }
  }
  const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
  const table = [
    ['', 'ts-runc service', 'podman service'],
    [`docker ps, 50 running (median of ${ITERATIONS})`, `${median(psTimes['ts-runc']).toFixed(0)} ms`, `${median(psTimes.podman).toFixed(0)} ms`],
    ['RSS idle (before any image)', mib(idle), mib(idlePodman)],
    ['RSS with 100 containers running', mib(rss100['ts-runc']), mib(rss100.podman)],
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  for (const row of table) console.log(row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  const m = { 'ts-runc': median(times['ts-runc']), podman: median(times.podman) };
  console.log(`create+start+wait+delete of IMAGE true, median of ${ITERATIONS} (ms): ts-runc service ${m['ts-runc'].toFixed(0)}, podman service ${m.podman.toFixed(0)}, ratio ${(m['ts-runc'] / m.podman).toFixed(2)}`);
  console.log(`docker run --rm IMAGE true (the CLI, end to end) on the ts-runc service, median (ms): ${median(cli).toFixed(0)}`);
  console.log(`ts-runc system service RSS: idle ${(idle / 1024).toFixed(1)} MiB, after the runs ${(after / 1024).toFixed(1)} MiB; podman service RSS now ${(rssKiB(pm.pid) / 1024).toFixed(1)} MiB`);
} finally {
  for (const child of children) {
    try {
      process.kill(child.pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  await sleep(1500);
  spawnSync('umount', ['-R', join(dir, 'podman-root', 'overlay')], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
