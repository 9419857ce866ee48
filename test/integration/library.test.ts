/**
 * The library (src/index.ts) as its users meet it: a package that depends on ts-runc
 * imports `runtime` by the package name, type-checks against the declarations and runs a
 * container; and the lifecycle through the handles: run from an image, exec, logs,
 * create/start/kill/delete over a bundle, a failing step as a StepError, `await using`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StepError, runtime, type Runtime } from '../../src/index.js';
import { REPO, cgroupDirsFor, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const NODE = process.execPath;
const haveNft = spawnSync('nft', ['--version']).status === 0;
const haveTypes = existsSync(join(REPO, 'dist/index.d.ts'));
const suite = isRoot && haveFixture ? describe : describe.skip;

/** The lowerdir parameters of the overlay mounted on `target` (mountinfo super options). */
function lowerdirs(target: string): string[] {
  const line = mountsMentioning(target).find((l) => l.split(' ')[4] === target);
  if (!line) throw new Error(`no mount on ${target}`);
  return line.split(' - ')[1]!.split(' ')[2]!.split(',').filter((o) => o.startsWith('lowerdir'));
}

suite('the library: runtime() and container handles', () => {
  let box: Sandbox;
  let rt: Runtime;
  beforeEach(async () => {
    box = sandbox();
    rt = runtime({ root: box.root, storage: box.storage });
  });
  afterEach(async () => {
    await rt[Symbol.asyncDispose]();
    box.cleanup();
  });

  it('run, waitFor a port, exec, logs; await using removes the container', async () => {
    await rt.images.load(IMAGE_TAR);
    let id = '';
    {
      await using web = await rt.run({
        image: 'fixture:3layers', network: 'none', waitFor: { port: 80 },
        cmd: ['sh', '-c', 'echo starting; exec httpd -f -p 80 -h /etc'],
      });
      id = web.id;
      expect(web.state().status).toBe('running');
      const page = await web.exec(['wget', '-qO-', 'http://127.0.0.1/fixture-version']);
      expect(page).toEqual({ stdout: '2\n', stderr: '', exitCode: 0 });
      expect(await web.exec(['sh', '-c', 'echo oops >&2; exit 3'], { env: { A: 'b' } })).toEqual({ stdout: '', stderr: 'oops\n', exitCode: 3 });
      expect(web.logs()).toBe('starting\n');
    }
    expect(rt.store.exists(id)).toBe(false);
    expect(mountsMentioning(join(box.storage, 'containers', id))).toEqual([]);
    expect(existsSync(join(box.storage, 'containers', id))).toBe(false);
  });

  // Moved from image-containers.test.ts: the handles say it more plainly than CLI calls.
  it('two containers share the lower layers and do not see each other\'s writes', async () => {
    await rt.images.load(IMAGE_TAR);
    const started = await Promise.all(['a', 'b'].map((name) => rt.run({
      image: 'fixture:3layers', network: 'none', name, waitFor: { log: /ready/ },
      cmd: ['sh', '-c', `echo ${name} > /etc/fixture-version; echo ${name} > /mine; echo ready; sleep 60`],
    })));
    const [a, b] = started as [typeof started[0], typeof started[0]];
    const rootA = join(box.storage, 'containers/a/rootfs');
    expect(lowerdirs(rootA)).toHaveLength(3);
    expect(lowerdirs(rootA)).toEqual(lowerdirs(join(box.storage, 'containers/b/rootfs')));
    expect((await a.exec(['cat', '/etc/fixture-version', '/mine'])).stdout).toBe('a\na\n');
    expect((await b.exec(['cat', '/etc/fixture-version', '/mine'])).stdout).toBe('b\nb\n');
    // the image's own layer is untouched, and held while they live
    const store = (await import('../../src/image/store.js')).ImageStore;
    expect(readFileSync(join(new store(box.storage).resolve('fixture:3layers').layers[1]!.dir, 'etc/fixture-version'), 'utf8')).toBe('2\n');
    expect(() => rt.images.remove('fixture:3layers')).toThrow(/in use by container:a, container:b/);
    expect(await a.stop({ timeoutMs: 100 })).toBe(128 + 9); // sh ignores SIGTERM as pid 1: killed
    await a.remove();
    await b.remove();
    expect(rt.images.remove('fixture:3layers').at(-1)).toMatch(/^Deleted: sha256:/);
    expect(rt.images.list()).toEqual([]);
  });

  it('create, start, state, kill, wait, delete over a bundle', async () => {
    const c = await rt.create({ bundle: box.bundle(['sleep', '30']), id: 'web' });
    expect(rt.state('web').status).toBe('created');
    await rt.start('web');
    expect(rt.state('web').status).toBe('running');
    await expect(rt.delete('web')).rejects.toThrow(/not stopped: running/);
    expect(rt.state('web').status).toBe('running');
    rt.kill('web', 'SIGKILL');
    expect(await c.wait()).toBe(128 + 9);
    await rt.delete('web');
    expect(rt.store.exists('web')).toBe(false);
    expect(cgroupDirsFor(box.cgroupLeaf('web'))).toEqual([]);
  });

  // Moved from lifecycle.test.ts.
  it('exec joins the container: same hostname, same pid namespace', async () => {
    await using c = await rt.create({ bundle: box.bundle(['sleep', '30'], (s) => { s.hostname = 'exec-host'; }), id: 'ex' });
    await rt.start(c.id);
    const r = await c.exec(['sh', '-c', 'hostname; cat /proc/1/cmdline | tr "\\0" " "']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['exec-host', 'sleep 30']);
    expect((await c.exec(['sh', '-c', 'exit 3'])).exitCode).toBe(3);
  });

  // Moved from lifecycle.test.ts. runc (libcontainer destroy / signalAllProcesses) kills every
  // process of the cgroup only when the container has no pid namespace of its own: with one,
  // the kernel kills the rest when its init dies (pid_namespaces(7)). Two containers may
  // share a linux.cgroupsPath.
  it('delete --force of a container with its own pid namespace leaves alone another sharing its cgroupsPath', async () => {
    const shared = `ts-runc-test-shared-pidns-${process.pid}`;
    const bundle = () => box.bundle(['sleep', '100'], (s) => { s.linux!.cgroupsPath = shared; });
    await rt.create({ bundle: bundle(), id: 'first' });
    await rt.start('first');
    const second = await rt.create({ bundle: bundle(), id: 'second' });
    await rt.start('second');
    const cgroups = Object.values(JSON.parse(readFileSync(join(box.root, 'second/state.json'), 'utf8')).cgroupPaths as Record<string, string>);
    await rt.delete('first', { force: true });
    expect(existsSync(join(box.root, 'first'))).toBe(false);
    expect(rt.state('second')).toMatchObject({ status: 'running', pid: second.pid });
    await rt.delete('second', { force: true });
    expect(cgroups.filter((dir) => existsSync(dir))).toEqual([]);
  });

  // Moved from lifecycle.test.ts.
  it('delete --force of a container in the host pid namespace kills what its init left in its cgroup', async () => {
    const bundle = box.bundle(['sh', '-c', 'sleep 100 & exec sleep 101'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'pid');
    });
    await rt.create({ bundle, id: 'hostpid' });
    await rt.start('hostpid');
    const cgroups = Object.values(JSON.parse(readFileSync(join(box.root, 'hostpid/state.json'), 'utf8')).cgroupPaths as Record<string, string>);
    await rt.delete('hostpid', { force: true });
    // the background sleep was killed: a cgroup with a process in it cannot be removed
    expect(cgroups.filter((dir) => existsSync(dir))).toEqual([]);
  });

  // Moved from lifecycle.test.ts.
  it('refuses to create a container whose cgroup directory is already there, and leaves it alone', async () => {
    const leftover = join('/sys/fs/cgroup/pids', readFileSync('/proc/self/cgroup', 'utf8').match(/^\d+:pids:(.*)$/m)?.[1] ?? '/', box.cgroupLeaf('taken'));
    mkdirSync(leftover);
    try {
      await expect(rt.create({ bundle: box.bundle(['true']), id: 'taken' })).rejects.toThrow(/already exists/);
      expect(existsSync(join(box.root, 'taken'))).toBe(false);
      expect(existsSync(leftover)).toBe(true);
      expect(cgroupDirsFor(box.cgroupLeaf('taken'))).toEqual([leftover]);
    } finally {
      rmdirSync(leftover);
    }
  });

  // Moved from lifecycle.test.ts.
  it('a file written in a tmpfs mount is gone after delete', async () => {
    const bundle = box.bundle(['sh', '-c', 'echo data > /scratch/file; cat /scratch/file'], (s) => {
      s.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=1m'] });
      s.root!.readonly = false;
    });
    const c = await rt.create({ bundle, id: 'tmp' });
    await rt.start('tmp');
    expect(await c.wait()).toBe(0);
    expect(c.logs().trim()).toBe('data');
    await rt.delete('tmp');
    // the mount lived in the container's mount namespace: nothing on the host, nothing in the rootfs
    expect(mountsMentioning('/scratch')).toEqual([]);
    expect(existsSync(join(JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')).root.path, 'scratch/file'))).toBe(false);
  });

  it('a failing step is a StepError with its index, op and errno, and leaves nothing', async () => {
    const bundle = box.bundle(['true'], (s) => { s.mounts!.push({ destination: '/broken', type: 'no-such-fs', source: 'none', options: [] }); });
    const error = await rt.create({ bundle, id: 'broken' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StepError);
    expect(error).toMatchObject({ op: 'mount', code: 'ENODEV', errno: 19 });
    expect((error as StepError).message).toMatch(/^create broken: step (\d+)\/\d+ mount no-such-fs none on \/broken: ENODEV/);
    expect(Number(/step (\d+)/.exec((error as StepError).message)![1])).toBe((error as StepError).index + 1);
    expect(rt.store.exists('broken')).toBe(false);
    expect(cgroupDirsFor(box.cgroupLeaf('broken'))).toEqual([]);
  });
});

suite('the library at process exit', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  it('a container the caller forgot is deleted when its process exits', () => {
    const script = join(box.dir, 'forget.mjs');
    writeFileSync(script, `
import { runtime } from ${JSON.stringify(join(REPO, 'dist/index.js'))};
const rt = runtime({ root: process.argv[2], storage: process.argv[3] });
const c = await rt.create({ bundle: process.argv[4], id: 'forgotten' });
await rt.start('forgotten');
console.log(c.pid);
process.exit(0); // no remove(), no await using
`);
    const tmp = join(box.dir, 'tmp'); // the handle's scratch directory goes here, and must go
    mkdirSync(tmp);
    const r = spawnSync(NODE, [script, box.root, box.storage, box.bundle(['sleep', '300'])], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, TMPDIR: tmp } });
    expect(r.stderr).toBe('');
    expect(readdirSync(tmp).filter((name) => name.startsWith('ts-runc-'))).toEqual([]); // (node-compile-cache may be there)
    const pid = Number(r.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    expect(existsSync(join(box.root, 'forgotten'))).toBe(false);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(cgroupDirsFor(box.cgroupLeaf('forgotten'))).toEqual([]);
  });
});

const packageSuite = isRoot && haveFixture && haveNft && haveTypes ? describe : describe.skip;

packageSuite('the library as a package', () => {
  let box: Sandbox;
  let host: Netns;
  beforeEach(() => {
    box = sandbox();
    host = makeNetns('tsr-lib');
    host.run('ip', ['link', 'set', 'lo', 'up']);
  });
  afterEach(() => {
    host.remove();
    box.cleanup();
  });

  it('another package imports { runtime } from "ts-runc", type-checks, runs a web server and fetches a published port', () => {
    // A consumer package whose dependency is a file: link to this repository, as npm makes it.
    const app = join(box.dir, 'app');
    mkdirSync(join(app, 'node_modules/@types'), { recursive: true });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', type: 'module', dependencies: { 'ts-runc': `file:${REPO}` } }));
    symlinkSync(REPO, join(app, 'node_modules/ts-runc'));
    symlinkSync(join(REPO, 'node_modules/@types/node'), join(app, 'node_modules/@types/node'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: {
      target: 'ES2023', lib: ['ES2023', 'ESNext.Disposable'], module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out' } }));
    writeFileSync(join(app, 'main.ts'), `
import { runtime, type Container } from 'ts-runc';
const [root, storage, image] = process.argv.slice(2) as [string, string, string];
const rt = runtime({ root, storage });
await rt.images.load(image);
rt.networks.create('appnet', { subnet: '10.88.0.0/24' });
{
  await using web: Container = await rt.run({ image: 'fixture:3layers', cmd: ['httpd', '-f', '-p', '80', '-h', '/etc'],
    network: 'appnet', ports: { 80: 0 }, waitFor: { port: 80 } });
  const page = await fetch(\`http://127.0.0.1:\${web.port(80)}/fixture-added\`);
  console.log(JSON.stringify({ status: page.status, body: await page.text(), ip: web.ip }));
}
console.log(JSON.stringify({ left: rt.store.list() }));
`);
    const tsc = spawnSync(NODE, [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', app], { encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
    const r = host.exec('timeout', ['60', NODE, join(app, 'out/main.js'), box.root, box.storage, IMAGE_TAR]);
    expect(r.stderr).toBe('');
    const [served, after] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(served).toEqual({ status: 200, body: 'added by layer 2\n', ip: '10.88.0.2' });
    expect(after).toEqual({ left: [] });
  });
});
