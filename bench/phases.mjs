// Where the time of `ts-runc create` and `run` goes (issue 14, step 1), phase by phase,
// measured from outside the runtime so that nothing in src/ has to change:
//
//   1. modules     how many ES modules each verb loads and how long their import takes
//                  (a fresh Node per sample importing what dist/cli/main.js imports, then
//                  the verb's module), with and without Node's compile cache
//   2. in-process  JSON.parse of config.json, loadSpec (zod: first call, then again),
//                  compilePlan, each timed in a fresh Node after its modules are loaded
//   3. timeline    `strace -f -ttt -T` of one create and one run: the moments Node starts,
//                  opens main.js, reads config.json, makes the first cgroup, clones the
//                  init, and exits; every cgroup.procs write with its duration; the init's
//                  own syscalls (mount, pivot_root...) and the state-file writes
//   4. cpu profile `node --cpu-prof` of create: self time by what ran (zod, module loader,
//                  our code by folder, GC, V8 compiling "(program)", idle = waiting)
//   5. GC          `node --trace-gc` of create: collections and their time
//   6. node flags  `node -e 0` and `ts-runc state ID` under candidate Node flags, in turns
//   7. runc        `strace -f -c runc create` and runc's cgroup.procs writes, for contrast
//
// strace slows what it traces (Node's syscalls most), so read its timeline for order and
// proportion; the absolute figures are those of sections 1, 2, 5 and 6 and of make bench.
// Runs as root on the host as it is (cgroup hybrid here: ten v1 hierarchies + unified).
//
//   node bench/phases.mjs [--samples=N] [--only=1,3,...]   (as root, after make build fixture)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.join(import.meta.dirname, '..');
const NODE = process.execPath;
// What bin/ts-runc runs (the bundle); section 1 still imports tsc's dist/ module by module.
const MAIN = path.join(REPO, 'dist/bundle/entry.cjs');
const SAMPLES = Number(process.argv.find((a) => a.startsWith('--samples='))?.split('=')[1] ?? 10);
const say = (s = '') => process.stdout.write(s + '\n');
const f1 = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(1));

/**
 * Runs argv to its end, timed. Output goes to files, not pipes: `create` hands its stdio
 * on to the container (and strace -D to its tracer), and a pipe they hold open would keep
 * spawnSync waiting until they end.
 */
function sh(argv, options = {}) {
  const outPath = path.join(work, 'sh-out');
  const errPath = path.join(work, 'sh-err');
  const out = fs.openSync(outPath, 'w');
  const err = fs.openSync(errPath, 'w');
  const t0 = process.hrtime.bigint();
  const r0 = spawnSync(argv[0], argv.slice(1), { ...options, stdio: ['ignore', out, err] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.closeSync(out);
  fs.closeSync(err);
  const r = { ...r0, stdout: fs.readFileSync(outPath, 'utf8'), stderr: fs.readFileSync(errPath, 'utf8') };
  if (r.status !== 0 && !options.allowFail) {
    throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, ms };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function table(rows) {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ')).join('\n');
}

// --- a bundle and a state root of our own --------------------------------------------

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ts-runc-phases-'));
const root = path.join(work, 'root');
const runcRoot = path.join(work, 'root-runc');
const live = [];

function makeBundle(name, args) {
  const base = JSON.parse(fs.readFileSync(path.join(REPO, 'rootfs-fixtures/out/bundle/config.json'), 'utf8'));
  base.ociVersion = '1.0.2'; // runc 1.1 and crun 1.8 refuse 1.2.x
  base.root = { path: fs.realpathSync(path.join(REPO, 'rootfs-fixtures/out/bundle/rootfs')), readonly: true };
  base.process = { ...base.process, args, terminal: false };
  const dir = path.join(work, `bundle-${name}`);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(base, null, 2));
  return dir;
}

const sleepBundle = makeBundle('sleep', ['/bin/sleep', '3600']);
const trueBundle = makeBundle('true', ['/bin/true']);
let idN = 0;
const newId = (what) => `phases-${process.pid}-${what}-${++idN}`;
const tsRunc = (...args) => [NODE, MAIN, '--root', root, ...args];

function cleanup() {
  for (const [rt, id] of live) {
    spawnSync(rt === 'runc' ? 'runc' : NODE, rt === 'runc' ? ['--root', runcRoot, 'delete', '--force', id] : [MAIN, '--root', root, 'delete', '--force', id]);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

// --- 1. modules -----------------------------------------------------------------------

/** What dist/cli/main.js imports statically, then the verb's own module (cli/command.ts LOADERS). */
function importScript(verb, count) {
  const statics = ['errors', 'log', 'spec/defaults', 'state/container-state', 'storage', 'version',
    'cli/args', 'cli/command', 'cli/help', 'cli/suggest'].map((m) => `'${path.join(REPO, 'dist', m)}.js'`);
  return `
    import { enableCompileCache, registerHooks } from 'node:module';
    const t0 = performance.now();
    let files = 0, deps = 0;
    ${count ? `registerHooks({ load(url, ctx, next) {
      if (url.startsWith('file:')) { files++; if (url.includes('/node_modules/')) deps++; }
      return next(url, ctx);
    } });` : ''}
    if (!process.env.NODE_DISABLE_COMPILE_CACHE) enableCompileCache();
    await Promise.all([${statics.join(',')}].map((m) => import(m)));
    const t1 = performance.now();
    const { loadVerb } = await import('${path.join(REPO, 'dist/cli/verbs.js')}');
    await loadVerb('${verb}');
    const t2 = performance.now();
    process.stdout.write(JSON.stringify({ main: t1 - t0, verb: t2 - t1, files, deps, boot: performance.nodeTiming.bootstrapComplete }));`;
}

function modules() {
  say('## 1. module loading (fresh Node per sample, median of ' + SAMPLES + ')');
  const rows = [['verb', 'modules (ours+deps)', 'of node_modules', 'main imports ms', 'verb imports ms', 'total ms', 'total, no compile cache']];
  const out = {};
  for (const verb of ['create', 'run', 'start', 'delete', 'state', 'kill', 'exec', 'list']) {
    const counted = JSON.parse(sh([NODE, '--input-type=module', '-e', importScript(verb, true)]).stdout);
    const warm = [], cold = [];
    for (let i = 0; i < SAMPLES; i++) {
      warm.push(JSON.parse(sh([NODE, '--input-type=module', '-e', importScript(verb, false)]).stdout));
      cold.push(JSON.parse(sh([NODE, '--input-type=module', '-e', importScript(verb, false)],
        { env: { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1' } }).stdout));
    }
    const m = (xs, k) => median(xs.map((x) => (k === 'total' ? x.main + x.verb : x[k])));
    out[verb] = { modules: counted.files, deps: counted.deps, main: m(warm, 'main'), verb: m(warm, 'verb'), total: m(warm, 'total'), noCache: m(cold, 'total') };
    rows.push([verb, counted.files, counted.deps, f1(out[verb].main), f1(out[verb].verb), f1(out[verb].total), f1(out[verb].noCache)]);
  }
  say(table(rows));
  return out;
}

// --- 2. in-process: parse, validate, compile ---------------------------------------------

function inProcess() {
  say('\n## 2. config parsing, validation, plan compilation (fresh Node per sample, median of ' + SAMPLES + ')');
  const script = `
    import { enableCompileCache } from 'node:module';
    import fs from 'node:fs';
    enableCompileCache();
    const t = (f) => { const a = performance.now(); const r = f(); return [performance.now() - a, r]; };
    const ta = async (f) => { const a = performance.now(); const r = await f(); return [performance.now() - a, r]; };
    const { loadSpec } = await import('${path.join(REPO, 'dist/spec/load.js')}');
    const { compilePlan } = await import('${path.join(REPO, 'dist/plan/compile.js')}');
    const [parse, raw] = t(() => JSON.parse(fs.readFileSync('${sleepBundle}/config.json', 'utf8')));
    // what create does: the generated check (spec/spec-check.ts), no zod
    const [spec1, spec] = await ta(() => loadSpec('${sleepBundle}'));
    const [spec2] = await ta(() => loadSpec('${sleepBundle}'));
    // what it no longer does for a valid config: build zod's schemas and parse with them
    const a = performance.now();
    const { parseSpec } = await import('${path.join(REPO, 'dist/spec/validate.js')}');
    const schemaImport = performance.now() - a;
    const [zod1] = t(() => parseSpec(raw));
    const opts = { bundle: '${sleepBundle}', rootfs: spec.root.path, noPivot: false, noNewKeyring: false,
      containerId: 'x', hookState: '{}', hasConsoleSocket: false, cgroups: [] };
    const [plan1] = t(() => compilePlan(spec, opts));
    const [plan2] = t(() => compilePlan(spec, opts));
    process.stdout.write(JSON.stringify({ schemaImport, parse, spec1, spec2, zod1, plan1, plan2 }));`;
  const xs = [];
  for (let i = 0; i < SAMPLES; i++) xs.push(JSON.parse(sh([NODE, '--input-type=module', '-e', script]).stdout));
  const m = (k) => median(xs.map((x) => x[k]));
  const rows = [['step', 'median ms'],
    ['read + JSON.parse config.json', f1(m('parse'))],
    ['loadSpec, first call (read, parse, generated check)', f1(m('spec1'))],
    ['loadSpec, second call (same, warm)', f1(m('spec2'))],
    ['not paid for a valid config: import spec/validate.js (zod + building the schemas)', f1(m('schemaImport'))],
    ['not paid for a valid config: zod parse, first call', f1(m('zod1'))],
    ['compilePlan, first call', f1(m('plan1'))],
    ['compilePlan, second call', f1(m('plan2'))]];
  say(table(rows));
  say('(create validates once and compiles the plan twice: before claiming the id, and with the cgroup paths)');
  return Object.fromEntries(Object.keys(xs[0]).map((k) => [k, m(k)]));
}

// --- 3. strace timeline ---------------------------------------------------------------

const TRACED = 'execve,clone,clone3,vfork,openat,read,write,mkdir,mkdirat,rename,renameat2,mount,umount2,' +
  'pivot_root,chdir,chroot,sethostname,setns,unshare,exit_group,wait4,waitid,prctl,capset,setresuid,setresgid,setgroups';

/**
 * strace -f follows the init, which `create` leaves waiting for `start`: a plain strace
 * would wait for it too. With -D the tracer is a detached grandchild and the command
 * itself our child, so this returns when the command exits; the tracer ends once `done`
 * (delete --force) has ended the traced init, and the file is read after that.
 */
function strace(argv, file, done) {
  const r = sh(['strace', '-D', '-f', '-ttt', '-T', '-y', '-s', '80', '-e', `trace=${TRACED}`, '-o', file, ...argv], { allowFail: true });
  done();
  const exited = /^\d+\s+\S+\s+\+\+\+ exited/m;
  for (let i = 0; i < 100 && !exited.test(fs.readFileSync(file, 'utf8').split('\n').slice(-3).join('\n')); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  return r;
}

function parseStrace(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const calls = [];
  const pending = new Map(); // pid -> the first half of an `<unfinished ...>` call
  for (let line of lines) {
    const pid = /^(\d+)/.exec(line)?.[1];
    if (line.endsWith('<unfinished ...>')) { pending.set(pid, line.slice(0, -'<unfinished ...>'.length)); continue; }
    const resumed = /^\d+\s+\d+\.\d+\s+<\.\.\. \w+ resumed>(.*)$/.exec(line);
    if (resumed && pending.has(pid)) { line = pending.get(pid) + resumed[1]; pending.delete(pid); }
    const m = /^(\d+)\s+(\d+\.\d+)\s+(?:<\.\.\. )?(\w+)(.*?)(?:<(\d+\.\d+)>)?$/.exec(line);
    if (!m) continue;
    calls.push({ pid: Number(m[1]), t: Number(m[2]) * 1000, name: m[3], rest: m[4], dur: m[5] ? Number(m[5]) * 1000 : 0, line });
  }
  return calls;
}

function timeline(verb, bundle) {
  const id = newId(`trace-${verb}`);
  const file = path.join(work, `strace-${verb}.txt`);
  live.push(['ts-runc', id]);
  const r = strace(tsRunc(verb, '--bundle', bundle, id), file, () => sh(tsRunc('delete', '--force', id), { allowFail: true }));
  const calls = parseStrace(file);
  const top = calls[0].pid;
  const t0 = calls[0].t;
  const at = (pred) => calls.find(pred);
  const mark = [];
  const add = (what, c) => { if (c) mark.push([what, c.t - t0]); };
  add('execve node', calls[0]);
  add('open dist/bundle/main.js', at((c) => c.name === 'openat' && c.rest.includes('dist/bundle/main.js')));
  const cfg = at((c) => c.name === 'openat' && c.rest.includes('config.json') && c.rest.includes(work));
  const jsOpens = calls.filter((c) => c.pid === top && c.name === 'openat' && /\.(m?js|json|node)"/.test(c.rest) && /dist\/|node_modules\//.test(c.rest) && !c.rest.includes('ENOENT'));
  const lastJsBeforeCfg = jsOpens.filter((c) => !cfg || c.t < cfg.t).at(-1);
  add(`last module file opened before config.json (${jsOpens.filter((c) => !cfg || c.t < cfg.t).length} files)`, lastJsBeforeCfg);
  add('open config.json', cfg);
  add('first mkdir under /sys/fs/cgroup', at((c) => /^mkdir/.test(c.name) && c.rest.includes('/sys/fs/cgroup')));
  const initExec = at((c) => c.name === 'execve' && c.rest.includes('ts-runc-init'));
  add('execve ts-runc-init (spawned)', initExec);
  const procs = calls.filter((c) => c.name === 'write' && c.rest.includes('cgroup.procs'));
  add('first cgroup.procs write starts', procs[0] && { t: procs[0].t });
  add('last cgroup.procs write ends', procs.at(-1) && { t: procs.at(-1).t + procs.at(-1).dur });
  const userExec = at((c) => c.name === 'execve' && c.pid !== top && !c.rest.includes('ts-runc-init') && c.t > (initExec?.t ?? 0));
  add('execve of the container process', userExec);
  const exit = calls.filter((c) => c.pid === top && c.name === 'exit_group').at(-1) ?? calls.at(-1);
  add('exit_group', exit);
  mark.sort((a, b) => a[1] - b[1]);

  say(`\n## 3. strace timeline of \`ts-runc ${verb}\` (${exit.t - t0 >= 0 ? f1(exit.t - t0) : '?'} ms under strace; exit ${r.status})`);
  const rows = [['moment', 'at ms', 'since previous ms']];
  mark.forEach(([w, t], i) => rows.push([w, f1(t), i ? f1(t - mark[i - 1][1]) : '']));
  say(table(rows));

  const cg = [['cgroup.procs write (pid, hierarchy)', 'ms']];
  for (const c of procs) {
    const dir = /<(\/sys\/fs\/cgroup\/[^/>]+)/.exec(c.rest)?.[1] ?? c.rest.slice(0, 60);
    cg.push([`${c.pid === top ? 'node' : 'pid ' + c.pid} -> ${dir}`, f1(c.dur)]);
  }
  const cgWrites = calls.filter((c) => c.name === 'write' && c.rest.includes('/sys/fs/cgroup') && !c.rest.includes('cgroup.procs'));
  cg.push([`other cgroup file writes (${cgWrites.length})`, f1(cgWrites.reduce((s, c) => s + c.dur, 0))]);
  const mk = calls.filter((c) => /^mkdir/.test(c.name) && c.rest.includes('/sys/fs/cgroup'));
  cg.push([`cgroup mkdirs (${mk.length})`, f1(mk.reduce((s, c) => s + c.dur, 0))]);
  say('');
  say(table(cg));

  // The init's own syscalls, by name: everything by pids other than Node's threads, from the init's execve.
  const nodeThreads = new Set(calls.filter((c) => !initExec || c.t < initExec.t).map((c) => c.pid));
  nodeThreads.delete(initExec?.pid);
  const initCalls = calls.filter((c) => !nodeThreads.has(c.pid) && initExec && c.t >= initExec.t && (!userExec || c.t <= userExec.t));
  const byName = new Map();
  for (const c of initCalls) {
    const e = byName.get(c.name) ?? { n: 0, ms: 0 };
    e.n++; e.ms += c.dur;
    byName.set(c.name, e);
  }
  const ir = [['init syscall (its pids, execve to the container exec)', 'count', 'total ms']];
  for (const [n, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) ir.push([n, e.n, f1(e.ms)]);
  say('');
  say(table(ir));

  const st = calls.filter((c) => c.pid === top && c.rest.includes(root) && /^(openat|rename|renameat2|write|mkdir)$/.test(c.name));
  say(`state directory syscalls by Node: ${st.length}, ${f1(st.reduce((s, c) => s + c.dur, 0))} ms inside them ` +
    `(${st.filter((c) => c.name.startsWith('rename')).length} atomic renames)`);
  return { marks: Object.fromEntries(mark), procs: procs.map((c) => c.dur) };
}

// --- 4. cpu profile --------------------------------------------------------------------

const BOOT = /^node:internal\/(bootstrap\/node|process\/pre_execution|main\/|process\/)/;
const LOADER_NATIVE = new Set(['ModuleWrap', 'link', 'instantiate', 'evaluate', 'compileFunction', 'getModuleRequests',
  'compileFunctionForCJSLoader', 'internalModuleStat', 'getPackageScopeConfig', 'getNearestParentPackageJSON',
  'readPackageJSON', 'pathToFileURL', 'setExport', 'getNamespace', 'enableCompileCache']);

function category(url, fn) {
  if (fn === '(garbage collector)') return 'GC';
  if (fn === '(idle)') return 'idle (waiting: init, pipes, children)';
  if (fn === '(program)') return 'V8/native (compile, builtins)';
  if (url.includes('/node_modules/zod/')) return 'zod (schema build + parse)';
  if (url.includes('/node_modules/')) return 'other node_modules (pino, koffi JS)';
  if (url.includes('internal/modules') || (!url && LOADER_NATIVE.has(fn))) return 'ESM loader (resolve, read, compile, link)';
  if (url === 'node:internal/bootstrap/realm') return 'Node builtins required (streams, url, ...)';
  if (BOOT.test(url)) return 'Node bootstrap (as in node -e 0)';
  if (url.startsWith('node:')) return 'other Node library code';
  const m = /\/dist\/([^/]+)\//.exec(url);
  if (m) return `ours: dist/${m[1]}`;
  if (url.includes('/dist/')) return 'ours: dist/ (top)';
  if (!url && fn === 'dlopen') return 'dlopen (koffi .node)';
  if (!url) return 'sync syscalls from JS (fs: cgroup, state, /proc writes)';
  return 'other';
}

function cpuProfile(verb, bundle) {
  const dir = path.join(work, `prof-${verb}`);
  const totals = new Map();
  const functions = new Map();
  let wall = 0;
  const n = Math.min(SAMPLES, 5);
  for (let i = 0; i < n; i++) {
    const id = newId(`prof-${verb}`);
    live.push(['ts-runc', id]);
    fs.rmSync(dir, { recursive: true, force: true });
    const r = sh([NODE, '--cpu-prof', '--cpu-prof-interval', '200', '--cpu-prof-dir', dir, MAIN, '--root', root, verb, '--bundle', bundle, id]);
    wall += r.ms / n;
    const prof = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8'));
    const byId = new Map(prof.nodes.map((nd) => [nd.id, nd]));
    prof.samples.forEach((sid, k) => {
      const nd = byId.get(sid);
      const cat = category(nd.callFrame.url, nd.callFrame.functionName);
      totals.set(cat, (totals.get(cat) ?? 0) + prof.timeDeltas[k] / 1000 / n);
      const fn = `${cat} | ${nd.callFrame.functionName || '(anonymous)'} ${nd.callFrame.url.replace(REPO, '.').replace(/^.*node_modules\//, '')}`;
      functions.set(fn, (functions.get(fn) ?? 0) + prof.timeDeltas[k] / 1000 / n);
    });
    if (verb === 'create') sh(tsRunc('delete', '--force', id));
  }
  const sum = [...totals.values()].reduce((a, b) => a + b, 0);
  say(`\n## 4. node --cpu-prof of \`ts-runc ${verb}\`: self time by what ran (mean of ${n}; profiled span ${f1(sum)} ms, whole command ${f1(wall)} ms)`);
  const rows = [['category', 'ms', 'share']];
  for (const [c, v] of [...totals].sort((a, b) => b[1] - a[1])) if (v >= 0.5) rows.push([c, f1(v), `${Math.round((100 * v) / sum)}%`]);
  say(table(rows));
  say('top functions (self ms):');
  for (const [f, v] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 12)) say(`  ${f1(v).padStart(5)}  ${f}`);
  return Object.fromEntries(totals);
}

// --- 5. GC -----------------------------------------------------------------------------

function gc() {
  const id = newId('gc');
  live.push(['ts-runc', id]);
  const r = sh([NODE, '--trace-gc', MAIN, '--root', root, 'create', '--bundle', sleepBundle, id]);
  const events = r.stdout.split('\n').filter((l) => /ms: (Scavenge|Mark-Compact|Minor)/.test(l));
  const ms = events.reduce((s, l) => s + Number(/,\s*([\d.]+) \/ [\d.]+ ms/.exec(l)?.[1] ?? 0), 0);
  say(`\n## 5. --trace-gc of \`ts-runc create\`: ${events.length} collections, ${f1(ms)} ms in them`);
  for (const l of events) say('   ' + l.replace(/^\[[^\]]*\]\s*/, '').slice(0, 110));
  sh(tsRunc('delete', '--force', id));
  return { count: events.length, ms };
}

// --- 6. Node's own flags -------------------------------------------------------------

/** CPU time of our waited-for children so far, ms: cutime + cstime of proc_pid_stat(5), in ticks of 10 ms. */
function childrenCpu() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) * 10;
}

function nodeFlags() {
  const id = newId('flags');
  live.push(['ts-runc', id]);
  sh(tsRunc('create', '--bundle', sleepBundle, id));
  const variants = [
    ['(none)', [], {}],
    ['--max-semi-space-size=16', ['--max-semi-space-size=16'], {}],
    ['--no-opt', ['--no-opt'], {}],
    ['--jitless', ['--jitless'], {}],
    ['--v8-pool-size=0', ['--v8-pool-size=0'], {}],
    ['NODE_DISABLE_COMPILE_CACHE=1', [], { NODE_DISABLE_COMPILE_CACHE: '1' }],
  ];
  const n = SAMPLES * 2;
  const res = variants.map(() => ({ e0: [], state: [], create: [], e0cpu: 0, stateCpu: 0, createCpu: 0 }));
  const timed = (argv, e) => { const c0 = childrenCpu(); const w = sh(argv, e).ms; return [w, childrenCpu() - c0]; };
  for (let i = 0; i < n + 2; i++) {
    variants.forEach(([, flags, env], k) => {
      const e = { env: { ...process.env, ...env } };
      const [a, ac] = timed([NODE, ...flags, '-e', '0'], e);
      const [b, bc] = timed([NODE, ...flags, MAIN, '--root', root, 'state', id], e);
      const cid = newId('flagc');
      const [c, cc] = timed([NODE, ...flags, MAIN, '--root', root, 'create', '--bundle', sleepBundle, cid], e);
      sh(tsRunc('delete', '--force', cid));
      if (i < 2) return;
      res[k].e0.push(a); res[k].state.push(b); res[k].create.push(c);
      res[k].e0cpu += ac / n; res[k].stateCpu += bc / n; res[k].createCpu += cc / n;
    });
  }
  say(`\n## 6. Node flags, in turns (wall: median of ${n} after 2 warm-ups; CPU: mean user+sys of the children, ` +
    'which other load on the machine does not inflate as it does wall time)');
  const rows = [['flags', 'node -e 0 wall', 'CPU', 'state ID wall', 'CPU', 'create wall', 'CPU']];
  variants.forEach(([name], k) => {
    const r = res[k];
    rows.push([name, f1(median(r.e0)), f1(r.e0cpu), f1(median(r.state)), f1(r.stateCpu), f1(median(r.create)), f1(r.createCpu)]);
  });
  say(table(rows));
  sh(tsRunc('delete', '--force', id));
}

// --- 7. runc for contrast ------------------------------------------------------------

function runcCreate() {
  const id = newId('runc');
  live.push(['runc', id]);
  const file = path.join(work, 'strace-runc.txt');
  strace(['runc', '--root', runcRoot, 'create', '--bundle', sleepBundle, id], file, () => sh(['runc', '--root', runcRoot, 'delete', '--force', id]));
  const calls = parseStrace(file);
  const procs = calls.filter((c) => c.name === 'write' && c.rest.includes('cgroup.procs'));
  const mk = calls.filter((c) => /^mkdir/.test(c.name) && c.rest.includes('/sys/fs/cgroup'));
  say(`\n## 7. runc create under strace: ${f1(calls.at(-1).t - calls[0].t)} ms; ${procs.length} cgroup.procs writes, ` +
    `${f1(procs.reduce((s, c) => s + c.dur, 0))} ms in them (${procs.map((c) => f1(c.dur)).join(', ')}); ${mk.length} cgroup mkdirs`);
  const id2 = newId('runc-c');
  live.push(['runc', id2]);
  straceCount(['runc', '--root', runcRoot, 'create', '--bundle', sleepBundle, id2], path.join(work, 'strace-runc-c.txt'),
    () => sh(['runc', '--root', runcRoot, 'delete', '--force', id2]));
  say('strace -f -c runc create (top 8 by time):');
  say(fs.readFileSync(path.join(work, 'strace-runc-c.txt'), 'utf8').split('\n').slice(0, 10).join('\n'));
  const id3 = newId('ts-c');
  live.push(['ts-runc', id3]);
  straceCount(tsRunc('create', '--bundle', sleepBundle, id3), path.join(work, 'strace-ts-c.txt'),
    () => sh(tsRunc('delete', '--force', id3)));
  say('strace -f -c ts-runc create (top 8 by time):');
  say(fs.readFileSync(path.join(work, 'strace-ts-c.txt'), 'utf8').split('\n').slice(0, 10).join('\n'));
}

/** `strace -c` (a summary, written when the tracer ends: after `done`). */
function straceCount(argv, file, done) {
  sh(['strace', '-D', '-f', '-c', '-o', file, ...argv]);
  done();
  for (let i = 0; i < 100 && !/total/.test(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''); i++) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

// --- main ------------------------------------------------------------------------------

try {
  if (process.getuid() !== 0) throw new Error('run as root');
  for (const tool of ['strace', 'runc']) {
    if (spawnSync(tool, ['--version']).error) throw new Error(`${tool} not found (apt-get install ${tool})`);
  }
  say(`ts-runc phases: ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`);
  const only = process.argv.find((a) => a.startsWith('--only='))?.split('=')[1]?.split(',').map(Number);
  const want = (n) => !only || only.includes(n);
  if (want(1)) modules();
  if (want(2)) inProcess();
  if (want(3)) { timeline('create', sleepBundle); timeline('run', trueBundle); }
  if (want(4)) { cpuProfile('create', sleepBundle); cpuProfile('run', trueBundle); }
  if (want(5)) gc();
  if (want(6)) nodeFlags();
  if (want(7)) runcCreate();
} finally {
  cleanup();
}
