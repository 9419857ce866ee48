/**
 * The library (src/index.ts) beyond one container: images.pull from a registry, cleanup when
 * the process is killed by SIGTERM, a failing `run` as a StepError, and parallel workers
 * (two runtimes in one process, two processes) using the same container id at once.
 *
 * The registry (Debian's docker-registry) listens on 127.0.0.1 inside a network namespace
 * this test makes, and the pulling Node process runs in it too (nsenter --net), so nothing
 * touches the host's network.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepError, runtime, type Runtime } from '../../src/index.js';
import { installed } from './clients.js';
import { REPO, TS_RUNC, cgroupDirsFor, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const NODE = process.execPath;
const LIB = JSON.stringify(join(REPO, 'dist/index.js'));
const suite = isRoot && haveFixture ? describe : describe.skip;
const registrySuite = isRoot && haveFixture && installed('docker-registry') ? describe : describe.skip;

/** Polls until `check` holds (no fixed sleep: the machine may be loaded). */
async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

suite('the library: errors, signals and parallel workers', () => {
  let box: Sandbox;
  let rt: Runtime;
  beforeEach(() => {
    box = sandbox();
    rt = runtime({ root: box.root, storage: box.storage });
  });
  afterEach(async () => {
    await rt[Symbol.asyncDispose]();
    box.cleanup();
  });

  it('a run of a missing command is a StepError with op and errno, and leaves nothing', async () => {
    const loaded = box.run(['image', 'import', join(REPO, 'rootfs-fixtures/out/rootfs.tar'), 'test/base:1']);
    expect(loaded.status, loaded.stderr).toBe(0);
    const error = await rt.run({ image: 'test/base:1', cmd: ['/no/such/command'], network: 'none', name: 'missing' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error).toMatchObject({ op: 'find-executable', code: 'ENOENT', errno: 2 });
    expect((error as StepError).message).toMatch(/^create missing: step \d+\/\d+ .*\/no\/such\/command.*ENOENT/);
    expect(rt.store.exists('missing')).toBe(false);
    expect(existsSync(join(box.storage, 'containers', 'missing'))).toBe(false);
    expect(cgroupDirsFor(box.cgroupLeaf('missing'))).toEqual([]);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('a container the caller forgot is deleted when its process gets %s, and the process still dies of it', async (signal) => {
    const script = join(box.dir, 'sigterm.mjs');
    writeFileSync(script, `
import { runtime } from ${LIB};
const rt = runtime({ root: process.argv[2], storage: process.argv[3] });
const c = await rt.create({ bundle: process.argv[4], id: 'killed' });
await rt.start('killed');
console.log(c.pid);
setInterval(() => {}, 1000); // wait to be killed
`);
    const tmp = join(box.dir, `tmp-${signal}`); // the handle's scratch directory goes here, and must go
    mkdirSync(tmp);
    const child = spawn(NODE, [script, box.root, box.storage, box.bundle(['sleep', '300'])], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    await until(() => stdout.includes('\n') || child.exitCode !== null, 'the child to start its container');
    const pid = Number(stdout.trim());
    expect(pid, stderr).toBeGreaterThan(0);
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    child.kill(signal);
    expect(await exited).toEqual({ code: null, signal });
    expect(stderr).toBe('');
    expect(existsSync(join(box.root, 'killed'))).toBe(false);
    expect(readdirSync(tmp).filter((name) => name.startsWith('ts-runc-'))).toEqual([]); // (node-compile-cache may be there)
    await until(() => !existsSync(`/proc/${pid}`), 'the container process to be gone', 10_000);
    expect(cgroupDirsFor(box.cgroupLeaf('killed'))).toEqual([]);
  });

  it('two runtimes with different roots in one process run containers with the same id at once', async () => {
    const other = sandbox();
    const rt2 = runtime({ root: other.root, storage: other.storage });
    try {
      const [a, b] = await Promise.all([
        rt.create({ bundle: box.bundle(['sleep', '30']), id: 'same' }),
        rt2.create({ bundle: other.bundle(['sleep', '30']), id: 'same' }),
      ]);
      await Promise.all([rt.start('same'), rt2.start('same')]);
      expect(rt.state('same').status).toBe('running');
      expect(rt2.state('same').status).toBe('running');
      expect(a.pid).not.toBe(b.pid);
      expect(box.cgroupLeaf('same')).not.toBe(other.cgroupLeaf('same'));
      await Promise.all([rt.delete('same', { force: true }), rt2.delete('same', { force: true })]);
      expect(rt.store.exists('same')).toBe(false);
      expect(rt2.store.exists('same')).toBe(false);
      expect(cgroupDirsFor(box.cgroupLeaf('same'))).toEqual([]);
      expect(cgroupDirsFor(other.cgroupLeaf('same'))).toEqual([]);
    } finally {
      await rt2[Symbol.asyncDispose]();
      other.cleanup();
    }
  });

  it('two processes, each with its own root, run containers with the same id at once', async () => {
    const other = sandbox();
    try {
      const script = join(box.dir, 'worker.mjs');
      writeFileSync(script, `
import { runtime } from ${LIB};
const rt = runtime({ root: process.argv[2], storage: process.argv[3] });
await using c = await rt.create({ bundle: process.argv[4], id: 'same' });
await rt.start('same');
const r = await c.exec(['cat', '/proc/self/cgroup']);
console.log(JSON.stringify({ status: rt.state('same').status, exit: r.exitCode }));
`);
      const worker = (b: Sandbox) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(NODE, [script, b.root, b.storage, b.bundle(['sleep', '30'])], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
        p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
        p.on('exit', (code) => resolve({ code, out, err }));
      });
      const results = await Promise.all([worker(box), worker(other)]);
      for (const r of results) {
        expect(r.err).toBe('');
        expect(r.code).toBe(0);
        expect(JSON.parse(r.out)).toEqual({ status: 'running', exit: 0 });
      }
      for (const b of [box, other]) {
        expect(existsSync(join(b.root, 'same'))).toBe(false);
        expect(cgroupDirsFor(b.cgroupLeaf('same'))).toEqual([]);
      }
    } finally {
      other.cleanup();
    }
  });
});

registrySuite('the library: images.pull from a registry', () => {
  let box: Sandbox;
  let ns: Netns;
  beforeEach(() => {
    box = sandbox();
    ns = makeNetns('tsr-libpull');
    ns.run('ip', ['link', 'set', 'lo', 'up']);
  });
  afterEach(() => {
    ns.remove();
    box.cleanup();
  });

  it('pulls an image pushed to a docker-registry on 127.0.0.1 and runs it', async () => {
    writeFileSync(join(box.dir, 'registry.yml'), [
      'version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(box.dir, 'registry-data')}`,
      'http:', '  addr: 127.0.0.1:5000', '  secret: ts-runc-test', '',
    ].join('\n'));
    ns.spawn('docker-registry', ['serve', join(box.dir, 'registry.yml')]);
    // the pusher: a second storage, so the puller's starts empty
    const pusher = sandbox();
    try {
      expect(pusher.run(['image', 'import', join(REPO, 'rootfs-fixtures/out/rootfs.tar'), 'test/base:1']).status).toBe(0);
      await until(() => ns.exec(NODE, ['-e', 'fetch("http://127.0.0.1:5000/v2/").then(() => process.exit(0), () => process.exit(1))']).status === 0, 'the registry');
      ns.run(TS_RUNC, ['--root', pusher.root, '--storage', pusher.storage, 'image', 'push', 'test/base:1', '127.0.0.1:5000/test/base:1']);
    } finally {
      pusher.cleanup();
    }
    const script = join(box.dir, 'pull.mjs');
    writeFileSync(script, `
import { runtime } from ${LIB};
const rt = runtime({ root: process.argv[2], storage: process.argv[3] });
const image = await rt.images.pull('127.0.0.1:5000/test/base:1');
const missing = await rt.images.pull('127.0.0.1:5000/test/nothing:1').then(() => 'pulled', (e) => e.constructor.name + ': ' + e.message);
console.log(JSON.stringify({ id: image.id, listed: rt.images.list().map((i) => i.id), missing }));
`);
    const pulled = ns.exec(NODE, [script, box.root, box.storage]);
    expect(pulled.stderr).toBe('');
    const out = JSON.parse(pulled.stdout) as { id: string; listed: string[]; missing: string };
    expect(out.listed).toEqual([out.id]);
    expect(out.missing).toMatch(/^RuntimeError: .*test\/nothing/);
    // the pulled image runs, from this process's own runtime on the same storage
    const rt = runtime({ root: box.root, storage: box.storage });
    await using c = await rt.run({ image: '127.0.0.1:5000/test/base:1', cmd: ['sh', '-c', 'echo pulled; sleep 30'], network: 'none', waitFor: { log: /pulled/ } });
    expect(c.logs()).toContain('pulled');
  });
});


