// `container run --rm IMAGE true` next to `podman run --rm IMAGE true` (issue 11): the
// whole life of a container a person runs and throws away, each timed from spawn to exit.
//
//   ts-runc   container run --rm --network none fixture:3layers true
//             (image resolve, record, name, writable layer, monitor, init hook: overlay,
//             config.json, the runtime's create + start; the exit; cleanup hook; removal)
//   podman    run --rm --network none fixture:3layers true, with --runtime runc (conmon as
//             its monitor), cgroupfs, file events, and --ulimit nofile/nproc=1024: podman's
//             default RLIMIT_NOFILE of 1048576 is refused on this machine
//
// Both load the fixture's OCI archive into their own storage in a temporary directory
// first; nothing outside it is used or left. Before timing, each must show it works: a
// run of `sh -c 'exit 7'` exits 7. They take turns within each iteration; warm-ups are
// thrown away; the medians and their ratio (ts-runc / podman, below 1 is faster) are printed.
//
//   node bench/container-run.mjs [--iterations=N] [--warmup=N]      (as root, after make build fixture)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const ITERATIONS = Number(arg('iterations', 15));
const WARMUP = Number(arg('warmup', 2));
const IMAGE_TAR = join(ROOT, 'rootfs-fixtures/out/image.tar');
const TS_RUNC = join(ROOT, 'bin/ts-runc');

function run(argv) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', cwd: '/', timeout: 120_000 });
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, status: r.status, out: `${r.stdout}${r.stderr}${r.error ?? ''}` };
}

function must(argv, want = 0) {
  const r = run(argv);
  if (r.status !== want) throw new Error(`${argv.join(' ')}: exit ${r.status}, expected ${want}\n${r.out}`);
  return r;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// short: the runtime's socket path under --root must fit 107 bytes with a 64-hex id
const dir = mkdtempSync(join(tmpdir(), 'trb-'));
try {
  const ts = [TS_RUNC, '--root', join(dir, 'r'), '--storage', join(dir, 'ts-storage')];
  const podman = ['podman', '--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--tmpdir', join(dir, 'podman-tmp'),
    '--runtime', 'runc', '--storage-driver', 'overlay', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
  must([...ts, 'image', 'load', '-i', IMAGE_TAR]);
  must([...podman, 'load', '-i', IMAGE_TAR]);
  const commands = {
    'ts-runc': (cmd) => [...ts, 'container', 'run', '--rm', '--network', 'none', 'fixture:3layers', ...cmd],
    podman: (cmd) => [...podman, 'run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', 'fixture:3layers', ...cmd],
  };
  for (const make of Object.values(commands)) must(make(['sh', '-c', 'exit 7']), 7);
  const times = { 'ts-runc': [], podman: [] };
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const [name, make] of Object.entries(commands)) {
      const r = must(make(['true']));
      if (i >= WARMUP) times[name].push(r.ms);
    }
  }
  const tsMedian = median(times['ts-runc']);
  const podmanMedian = median(times.podman);
  process.stdout.write(`container run --rm IMAGE true, ${ITERATIONS} runs each (after ${WARMUP} warm-ups), median ms\n`);
  process.stdout.write(`  ts-runc container run   ${tsMedian.toFixed(0)}\n`);
  process.stdout.write(`  podman run (runc)       ${podmanMedian.toFixed(0)}\n`);
  process.stdout.write(`  ratio ts-runc / podman  ${(tsMedian / podmanMedian).toFixed(2)}\n`);
} finally {
  spawnSync('podman', ['--root', join(dir, 'podman-root'), '--runroot', join(dir, 'podman-run'), '--storage-driver', 'overlay', 'system', 'reset', '--force'], { stdio: 'ignore' });
  spawnSync('sh', ['-c', `grep ' ${dir}' /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l`], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
