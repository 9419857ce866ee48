#!/usr/bin/env node
// Layer unpacking speed: `ts-runc image load` against `umoci unpack`, side by side.
// `make bench-unpack` runs it (as root).
//
//   node bench/unpack.mjs [--runs=N] [--only=synthetic|debian] [--dir=PATH]
//
// Two kinds of image:
//   synthetic  two one-layer images made here, to take the cost per file and the cost per
//              byte apart: 20,000 small files (32 B - 2 KB, 200 directories, 36 MB of
//              tar), and 4 files of 48 MB (201 MB of tar)
//   debian     the busybox fixture rootfs as the base layer, then one layer per Debian
//              package (apt-get download, dpkg-deb -x, umoci repack): ~170 MB of files in
//              all, from a few big ones (gcc, ICU) to thousands of small ones (vim's
//              runtime, perl modules)
// Cached in rootfs-fixtures/out/bench-unpack/ (or $BENCH_UNPACK_CACHE), rebuilt when the
// recipe changes.
//
// Three timings per run and image, each into a fresh directory under --dir (default the
// system's tmpdir; a tmpfs such as /dev/shm takes the file system's own costs out, which on
// a busy ext4 can be 0.5 ms of kernel time per created file, for both tools alike):
//   ts-runc load      `image load -i <layout>` into an empty --storage: blobs copied and
//                     verified, every layer unpacked (what a user waits for)
//   ts-runc unpack    the same with the blobs already stored: unpack only
//   umoci unpack      `umoci unpack --image <layout>:bench` (it also writes an mtree
//                     manifest of the rootfs, reading back and hashing every file: its cost
//                     is included, as it is part of what umoci does for an unpack)
// Each is timed by /usr/bin/time: wall seconds, and CPU (user + sys) of the whole process
// tree, which other load on the machine inflates far less than wall time. MB/s is the
// uncompressed tar bytes of all layers divided by the wall time.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '..');
const TS_RUNC = process.env.BENCH_TS_RUNC ?? join(ROOT, 'bin/ts-runc'); // another build, for before/after
const CACHE = process.env.BENCH_UNPACK_CACHE ?? join(ROOT, 'rootfs-fixtures/out/bench-unpack');
const LAYOUT = join(CACHE, 'layout');
const SYNTH = join(CACHE, 'synthetic');
const PACKAGES = ['vim-runtime', 'perl-modules-5.36', 'libpython3.11-stdlib', 'libicu72', 'gcc-12'];
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(option('runs') ?? 3);
const only = option('only');
const workDir = option('dir') ?? tmpdir();

if (process.getuid() !== 0) {
  console.error('bench-unpack: run as root (owners and devices in layers)');
  process.exit(1);
}
for (const tool of ['umoci', '/usr/bin/time', ...(only === 'synthetic' ? [] : ['dpkg-deb', 'apt-get'])]) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench-unpack: ${tool} is not installed`);
    process.exit(1);
  }
}

const run = (cmd, args, options = {}) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], ...options });

function buildLayout() {
  const stamp = join(CACHE, 'stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === PACKAGES.join(' ')) return;
  const debs = join(CACHE, 'debs');
  mkdirSync(debs, { recursive: true });
  for (const pkg of PACKAGES) {
    if (!readdirSync(debs).some((f) => f.startsWith(`${pkg}_`))) {
      console.log(`downloading ${pkg}`);
      run('apt-get', ['download', '-qq', '-o', 'APT::Sandbox::User=root', pkg], { cwd: debs });
    }
  }
  rmSync(LAYOUT, { recursive: true, force: true });
  const bundle = join(CACHE, 'bundle');
  rmSync(bundle, { recursive: true, force: true });
  run('umoci', ['init', '--layout', LAYOUT]);
  run('umoci', ['new', '--image', `${LAYOUT}:bench`]);
  run('umoci', ['unpack', '--image', `${LAYOUT}:bench`, bundle]);
  run('tar', ['--numeric-owner', '-xpf', join(ROOT, 'rootfs-fixtures/out/rootfs.tar'), '-C', join(bundle, 'rootfs')]);
  run('umoci', ['repack', '--refresh-bundle', '--image', `${LAYOUT}:bench`, bundle]);
  for (const pkg of PACKAGES) {
    const deb = readdirSync(debs).find((f) => f.startsWith(`${pkg}_`));
    console.log(`layer: ${deb}`);
    run('dpkg-deb', ['-x', join(debs, deb), join(bundle, 'rootfs')]);
    run('umoci', ['repack', '--refresh-bundle', '--image', `${LAYOUT}:bench`, bundle]);
  }
  rmSync(bundle, { recursive: true, force: true });
  writeFileSync(stamp, PACKAGES.join(' '));
}

/** Layer count and the bytes of their uncompressed tars. */
function measureLayout(layout) {
  const blob = (d) => join(layout, 'blobs/sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
  let tarBytes = 0;
  let blobBytes = 0;
  for (const layer of manifest.layers) {
    const bytes = readFileSync(blob(layer.digest));
    blobBytes += bytes.length;
    tarBytes += gunzipSync(bytes).length;
  }
  return { layers: manifest.layers.length, tarBytes, blobBytes };
}

/** The synthetic one-layer images: `small` (many small files) and `big` (a few big ones). */
const SYNTH_RECIPE = 'v1 small:200x100 files of 32-1531 random bytes as base64; big:4x48 MB of base64';
function buildSynthetic() {
  const stamp = join(SYNTH, 'stamp');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === SYNTH_RECIPE) return;
  rmSync(SYNTH, { recursive: true, force: true });
  for (const kind of ['small', 'big']) {
    const root = join(SYNTH, kind, 'root');
    mkdirSync(root, { recursive: true });
    if (kind === 'small') {
      for (let d = 0; d < 200; d++) {
        mkdirSync(join(root, `d${d}`));
        for (let f = 0; f < 100; f++) writeFileSync(join(root, `d${d}`, `f${f}.txt`), randomBytes(32 + ((d * 100 + f) * 7919) % 1500).toString('base64'));
      }
    } else {
      for (let f = 0; f < 4; f++) writeFileSync(join(root, `big${f}.bin`), Buffer.concat(Array.from({ length: 48 }, () => Buffer.from(randomBytes(768 * 1024).toString('base64')))));
    }
    const tar = join(SYNTH, kind, 'layer.tar');
    run('tar', ['--numeric-owner', '-C', root, '-cf', tar, '.']);
    rmSync(root, { recursive: true, force: true });
    const layout = join(SYNTH, kind, 'layout');
    run('umoci', ['init', '--layout', layout]);
    run('umoci', ['new', '--image', `${layout}:bench`]);
    run('umoci', ['raw', 'add-layer', '--image', `${layout}:bench`, tar]);
    rmSync(tar);
  }
  writeFileSync(stamp, SYNTH_RECIPE);
}

/** Wall seconds and CPU seconds (user + sys of the process tree) of argv, after a sync. */
function timed(argv) {
  run('sync', []);
  const out = join(workDir, `.bench-unpack-time-${process.pid}`);
  run('/usr/bin/time', ['-f', '%e %U %S', '-o', out, ...argv]);
  const [wall, user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  rmSync(out, { force: true });
  return { wall, cpu: user + sys };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The three timings, `runs` times, for one layout. */
function measure(layout) {
  const results = { 'ts-runc load': [], 'ts-runc unpack': [], 'umoci unpack': [] };
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(workDir, 'ts-runc-bench-unpack-'));
    try {
      const storage = join(dir, 'storage');
      const load = [TS_RUNC, '--root', join(dir, 'state'), '--storage', storage, 'image', 'load', '-i', layout];
      results['ts-runc load'].push(timed(load));
      // Unpack only: forget the image and its layers, keep the verified blobs.
      rmSync(join(storage, 'images/l'), { recursive: true, force: true });
      rmSync(join(storage, 'images/images.json'), { force: true });
      results['ts-runc unpack'].push(timed(load));
      results['umoci unpack'].push(timed(['umoci', 'unpack', '--image', `${layout}:bench`, join(dir, 'umoci-bundle')]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return Object.entries(results).map(([name, times]) => ({
    name, wall: median(times.map((t) => t.wall)), cpu: median(times.map((t) => t.cpu)), walls: times.map((t) => t.wall),
  }));
}

function report(title, layout, unit) {
  const { layers, tarBytes, blobBytes } = measureLayout(layout);
  const mb = tarBytes / 1e6;
  console.log(`\n${title}: ${layers} layer(s), ${mb.toFixed(1)} MB of tar (${(blobBytes / 1e6).toFixed(1)} MB gzip), ${runs} runs, unpacked under ${workDir}`);
  const rows = measure(layout);
  console.log(`                 wall s   CPU s    MB/s${unit ? `  ${unit.name.padStart(12)}` : ''}   runs (wall s)`);
  for (const r of rows) {
    const per = unit ? `  ${(r.cpu * 1e6 / unit.count).toFixed(1).padStart(12)}` : '';
    console.log(`${r.name.padEnd(15)} ${r.wall.toFixed(2).padStart(7)} ${r.cpu.toFixed(2).padStart(7)} ${(mb / r.wall).toFixed(1).padStart(7)}${per}   ${r.walls.map((t) => t.toFixed(2)).join(' ')}`);
  }
  const [, unpack, umoci] = rows;
  console.log(`ts-runc unpack / umoci unpack: wall ${(unpack.wall / umoci.wall).toFixed(2)}x, CPU ${(unpack.cpu / umoci.cpu).toFixed(2)}x`);
}

if (only !== 'debian') {
  buildSynthetic();
  report('synthetic, many small files', join(SYNTH, 'small/layout'), { name: 'CPU µs/file', count: 20_000 });
  report('synthetic, few big files', join(SYNTH, 'big/layout'), { name: 'CPU µs/MB', count: measureLayout(join(SYNTH, 'big/layout')).tarBytes / 1e6 });
}
if (only !== 'synthetic') {
  buildLayout();
  report('Debian packages', LAYOUT);
}
