#!/usr/bin/env node
// Layer unpacking speed: `ts-runc image load` against `umoci unpack` on the same large
// multi-layer OCI layout, side by side. `make bench-unpack` runs it (as root).
//
//   node bench/unpack.mjs [--runs=N]
//
// The image: the busybox fixture rootfs as the base layer, then one layer per Debian
// package (apt-get download, dpkg-deb -x, umoci repack): ~170 MB of files in all, from
// a few big ones (gcc, ICU) to thousands of small ones (vim's runtime, perl modules).
// Cached in rootfs-fixtures/out/bench-unpack/ (rebuilt when this list changes).
//
// Three timings per run, each into a fresh directory:
//   ts-runc load      `image load -i <layout>` into an empty --storage: blobs copied and
//                     verified, every layer unpacked (what a user waits for)
//   ts-runc unpack    the same with the blobs already stored: unpack only
//   umoci unpack      `umoci unpack --image <layout>:bench` (it also writes an mtree
//                     manifest of the rootfs, its cost included)
// MB/s is the uncompressed tar bytes of all layers divided by the time.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(import.meta.dirname, '..');
const TS_RUNC = join(ROOT, 'bin/ts-runc');
const CACHE = join(ROOT, 'rootfs-fixtures/out/bench-unpack');
const LAYOUT = join(CACHE, 'layout');
const PACKAGES = ['vim-runtime', 'perl-modules-5.36', 'libpython3.11-stdlib', 'libicu72', 'gcc-12'];
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);

if (process.getuid() !== 0) {
  console.error('bench-unpack: run as root (owners and devices in layers)');
  process.exit(1);
}
for (const tool of ['umoci', 'dpkg-deb', 'apt-get']) {
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
function measureLayout() {
  const blob = (d) => join(LAYOUT, 'blobs/sha256', d.slice(7));
  const index = JSON.parse(readFileSync(join(LAYOUT, 'index.json'), 'utf8'));
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

/** Flushes dirty pages first, so one step's writeback does not land in the next one's time. */
function time(fn) {
  run('sync', []);
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

buildLayout();
const { layers, tarBytes, blobBytes } = measureLayout();
const mb = tarBytes / 1e6;
console.log(`image: ${layers} layers, ${mb.toFixed(1)} MB of tar (${(blobBytes / 1e6).toFixed(1)} MB gzip), ${runs} runs\n`);

const results = { 'ts-runc load': [], 'ts-runc unpack': [], 'umoci unpack': [] };
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(join(tmpdir(), 'ts-runc-bench-unpack-'));
  try {
    const storage = join(dir, 'storage');
    const load = () => run(TS_RUNC, ['--root', join(dir, 'state'), '--storage', storage, 'image', 'load', '-i', LAYOUT]);
    results['ts-runc load'].push(time(load));
    // Unpack only: forget the image and its layers, keep the verified blobs.
    rmSync(join(storage, 'images/l'), { recursive: true, force: true });
    rmSync(join(storage, 'images/images.json'), { force: true });
    results['ts-runc unpack'].push(time(load));
    results['umoci unpack'].push(time(() => run('umoci', ['unpack', '--image', `${LAYOUT}:bench`, join(dir, 'umoci-bundle')])));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows = Object.entries(results).map(([name, times]) => [name, median(times), times]);
console.log('                  median s     MB/s   runs (s)');
for (const [name, m, times] of rows) {
  console.log(`${name.padEnd(16)} ${m.toFixed(3).padStart(9)} ${(mb / m).toFixed(1).padStart(8)}   ${times.map((t) => t.toFixed(2)).join(' ')}`);
}
const umoci = rows[2][1];
console.log(`\nts-runc unpack / umoci unpack time: ${(rows[1][1] / umoci).toFixed(2)}x; ts-runc load / umoci unpack: ${(rows[0][1] / umoci).toFixed(2)}x`);
