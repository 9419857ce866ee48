// The build benchmark: one Dockerfile built by `ts-runc image build` and by `buildah bud`
// (runc as its runtime, overlay storage (--buildah-driver=vfs for vfs), --layers so that it
// caches as the classic builder does), side by side, taking turns:
//
//   cold     --no-cache: every step runs (two RUN containers, a COPY of 50 files, metadata)
//   cached   the same context again: every step comes from the cache
//
// Medians of N runs each, and the ratio ts-runc / buildah.
//
//   node bench/build.mjs [--runs=N] [--buildah-driver=overlay|vfs]          (as root, after `make build` and `make fixture`)
//
// Everything lives in a temporary directory removed at the end; RUN steps get no network.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TS_RUNC = join(ROOT, 'bin/ts-runc');
const IMAGE_TAR = join(ROOT, 'rootfs-fixtures/out/image.tar');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const RUNS = Number(arg('runs', 5));
// vfs copies the whole rootfs per layer; overlay is buildah's usual driver on a real host
const DRIVER = arg('buildah-driver', 'overlay');

if (process.getuid() !== 0) {
  console.error('bench/build: run as root');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'ts-runc-bench-build-'));
const context = join(dir, 'context');
mkdirSync(join(context, 'files'), { recursive: true });
for (let i = 0; i < 50; i++) writeFileSync(join(context, 'files', `f${i}.txt`), `file ${i}\n`.repeat(100));
writeFileSync(join(context, 'Dockerfile'), `ARG BASE=fixture:3layers
FROM \${BASE}
ENV APP=/app
RUN for i in $(seq 1 200); do echo $i > /tmp/f$i; done
WORKDIR /app
COPY files/ ./files/
RUN cat files/* | wc -l > /app/lines
LABEL bench=build
CMD ["sh"]
`);
for (const sub of ['run', 'tmp', 'cni']) mkdirSync(join(dir, sub));
writeFileSync(join(dir, 'containers.conf'), `[containers]\nnetns = "none"\n[network]\nnetwork_config_dir = "${dir}/cni"\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\ntmp_dir = "${dir}/run"\nlock_type = "file"\n`);
const buildahEnv = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), TMPDIR: join(dir, 'tmp') };

function time(argv, env = process.env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, timeout: 300_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  return ms;
}

const tsrunc = (extra) => [TS_RUNC, '--root', join(dir, 'state'), '--storage', join(dir, 'storage'), 'image', 'build', '-q', ...extra, '-t', 'bench:1', context];
const buildah = (extra) => ['buildah', '--root', join(dir, 'broot'), '--runroot', join(dir, 'brunroot'), '--storage-driver', DRIVER, 'bud', '-q',
  '--runtime', 'runc', '--isolation', 'oci', '--network', 'none', '--layers', '--pull=never', `--cgroup-parent=/${dir.split('/').pop()}`,
  '--build-arg', `BASE=oci-archive:${IMAGE_TAR}`, ...extra, '-t', 'localhost/bench:1', context];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  time([TS_RUNC, '--root', join(dir, 'state'), '--storage', join(dir, 'storage'), 'image', 'load', '-i', IMAGE_TAR]);
  const results = { cold: { ts: [], buildah: [] }, cached: { ts: [], buildah: [] } };
  // warm-up: both caches filled once
  time(tsrunc([]));
  time(buildah([]), buildahEnv);
  for (let i = 0; i < RUNS; i++) {
    const order = i % 2 === 0 ? ['ts', 'buildah'] : ['buildah', 'ts'];
    for (const who of order) {
      if (who === 'ts') {
        results.cold.ts.push(time(tsrunc(['--no-cache'])));
        results.cached.ts.push(time(tsrunc([])));
      } else {
        results.cold.buildah.push(time(buildah(['--no-cache']), buildahEnv));
        results.cached.buildah.push(time(buildah([]), buildahEnv));
      }
    }
  }
  console.log(`build benchmark, ${RUNS} runs each, median wall time (ms); buildah storage driver ${DRIVER}`);
  console.log('| build | ts-runc | buildah | ts-runc / buildah |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const kind of ['cold', 'cached']) {
    const a = median(results[kind].ts);
    const b = median(results[kind].buildah);
    console.log(`| ${kind === 'cold' ? 'cold (--no-cache)' : 'fully cached rebuild'} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(a / b).toFixed(2)} |`);
  }
} finally {
  spawnSync('buildah', ['--root', join(dir, 'broot'), '--runroot', join(dir, 'brunroot'), '--storage-driver', DRIVER, 'rmi', '--all', '--force'], { env: buildahEnv });
  spawnSync('sh', ['-c', `grep -o ' ${dir}[^ ]*' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
  spawnSync('rmdir', [`/sys/fs/cgroup/${dir.split('/').pop()}`]);
  rmSync(dir, { recursive: true, force: true });
}
