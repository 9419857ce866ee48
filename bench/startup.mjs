// Start-up cost of the ways ts-runc can be installed (issue 9 item 16), side by side:
//
//   node -e 0                  the floor: the project's Node doing nothing
//   bin/ts-runc                the checkout's launcher (finds Node next to its real path)
//   installed launcher         `make install`'s PREFIX/bin/ts-runc, copied to another path
//   SEA                        a Node single executable application (node --build-sea) of
//                              the bundled dist/, plain, with a code cache, and with a
//                              startup snapshot (bench/sea-bundle.mjs makes the bundle)
//
// Each runs `--version` and `state ID` (of a created container) ITERATIONS times after 3
// warm-ups, each call timed from spawn to exit; medians in ms. Everything it makes (the
// installation, the executables, the container) is in a temporary directory, removed after.
//
//   node bench/startup.mjs [--iterations=N]          (as root, after `make build fixture`)
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const arg = (name, fallback) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const ITERATIONS = Number(arg('iterations', 30));
const NODE = process.execPath;
const TS_RUNC = join(ROOT, 'bin/ts-runc');

function must(argv, options = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * CPU time of our waited-for children so far, in ms: cutime + cstime of proc_pid_stat(5)
 * (fields 16 and 17, in clock ticks of 10 ms). Unlike wall time it does not grow when other
 * work on this shared machine takes the CPU; summed over many runs, the ticks average out.
 */
function childCpuMs() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // fields[0] is field 3 (state), so field N is fields[N - 3].
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/** One run of `argv` from `/` (podman runs the runtime from its own cwd): wall and CPU ms. */
function once(argv) {
  const cpu0 = childCpuMs();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { cwd: '/', stdio: 'ignore' });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}`);
  return { wall, cpu: childCpuMs() - cpu0 };
}

/**
 * The median wall time and the mean CPU time of every command in `commands` ({ name: argv }).
 * The commands take turns within each round, so load from elsewhere falls on all of them alike.
 */
function timeAll(commands) {
  const names = Object.keys(commands);
  const times = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < ITERATIONS + 3; round++) {
    for (const name of names) {
      const ms = once(commands[name]);
      if (round >= 3) times[name].push(ms);
    }
  }
  const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length;
  return Object.fromEntries(names.map((name) => [name, {
    wall: median(times[name].map((t) => t.wall)).toFixed(1),
    cpu: mean(times[name].map((t) => t.cpu)).toFixed(1),
  }]));
}

const dir = mkdtempSync(join(tmpdir(), 'ts-runc-bench-startup-'));
const root = join(dir, 'state');
const id = 'startup';
try {
  // The installation, and a copy of its launcher elsewhere.
  must([join(ROOT, 'scripts/install.sh')], { env: { ...process.env, PREFIX: join(dir, 'prefix'), DESTDIR: '' } });
  mkdirSync(join(dir, 'copy'));
  copyFileSync(join(dir, 'prefix/bin/ts-runc'), join(dir, 'copy/ts-runc'));
  must(['chmod', '0755', join(dir, 'copy/ts-runc')]);

  // Three SEAs of the same bundle.
  const seas = { 'SEA': {}, 'SEA + code cache': { useCodeCache: true }, 'SEA + startup snapshot': { useSnapshot: true } };
  must([NODE, join(ROOT, 'bench/sea-bundle.mjs'), join(dir, 'bundle.cjs')]);
  must([NODE, join(ROOT, 'bench/sea-bundle.mjs'), join(dir, 'snapshot.cjs'), '--snapshot']);
  const seaPaths = {};
  for (const [name, options] of Object.entries(seas)) {
    const output = join(dir, name.replace(/\W+/g, '-'));
    const config = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(config, JSON.stringify({
      main: join(dir, options.useSnapshot ? 'snapshot.cjs' : 'bundle.cjs'), output, disableExperimentalSEAWarning: true, ...options,
    }));
    must([NODE, `--build-sea=${config}`], { cwd: dir });
    seaPaths[name] = output;
  }

  // A created container for `state` to read.
  const bundle = join(dir, 'bundle');
  mkdirSync(bundle);
  must([TS_RUNC, 'spec', '--bundle', bundle]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.root = { path: join(ROOT, 'rootfs-fixtures/out/rootfs'), readonly: true };
  spec.process.terminal = false;
  spec.process.args = ['sleep', '600'];
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec));
  must([TS_RUNC, '--root', root, 'create', '--bundle', bundle, id], { stdio: 'ignore' });

  const runtimes = { 'bin/ts-runc (checkout)': [TS_RUNC], 'installed launcher (a copy of it)': [join(dir, 'copy/ts-runc')] };
  for (const [name, path] of Object.entries(seaPaths)) runtimes[name] = [path];
  const commands = { 'node -e 0': [NODE, '-e', '0'] };
  for (const [name, argv] of Object.entries(runtimes)) {
    commands[`${name} --version`] = [...argv, '--version'];
    commands[`${name} state`] = [...argv, '--root', root, 'state', id];
  }
  const t = timeAll(commands);
  console.log(`${ITERATIONS} runs each, ms: median wall time, mean CPU time (Node ${process.version}; the commands take turns)\n`);
  console.log('| command | --version wall | --version CPU | state wall | state CPU |\n| --- | ---: | ---: | ---: | ---: |');
  console.log(`| node -e 0 | ${t['node -e 0'].wall} | ${t['node -e 0'].cpu} | | |`);
  for (const name of Object.keys(runtimes)) {
    const [version, state] = [t[`${name} --version`], t[`${name} state`]];
    console.log(`| ${name} | ${version.wall} | ${version.cpu} | ${state.wall} | ${state.cpu} |`);
  }
} finally {
  spawnSync(TS_RUNC, ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
}
