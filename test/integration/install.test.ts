/**
 * `make install` (scripts/install.sh) gives a ts-runc that works from wherever it is, as a
 * runc binary does: from any cwd, and as a copy at another path (podman's own tests copy the
 * runtime to a temporary directory and run it there). The installation is made under a
 * temporary PREFIX; podman's storage is temporary too (as in podman.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIXTURE_TAR, call, containersConf, explain, installed, killPids, missingForClients, pidsMentioning,
  removeCgroupTree, tempDir, unmountAllUnder, type Call,
} from './clients.js';
import { REPO, haveFixture, isRoot, sandbox } from './helpers.js';

const INSTALL = join(REPO, 'scripts/install.sh');
const suite = isRoot && haveFixture ? describe : describe.skip;

/** Runs scripts/install.sh as `make install PREFIX=... DESTDIR=...` does (without make's setup and build). */
function install(env: { PREFIX: string; DESTDIR?: string }, args: string[] = []): Call {
  return call([INSTALL, ...args], { env: { ...process.env, DESTDIR: '', ...env }, timeout: 60_000 });
}

/** Every symlink under `dir`, with its target: an installation must not point back into the checkout. */
function symlinksUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, entry);
    if (lstatSync(path).isSymbolicLink()) found.push(`${path} -> ${readlinkSync(path)}`);
  }
  return found;
}

// One installation (under dir/prefix) and a copy of its launcher (dir/elsewhere/ts-runc), made
// for the first suite that needs them (copying Node's 150 MB once is enough).
let dir = '';
let copy = '';
function installOnce(): void {
  if (dir) return;
  dir = tempDir('install');
  const r = install({ PREFIX: join(dir, 'prefix') });
  expect(r.status, explain(r)).toBe(0);
  // A copy of the installed command somewhere else, as podman's tests make one.
  mkdirSync(join(dir, 'elsewhere'));
  copy = join(dir, 'elsewhere/ts-runc');
  copyFileSync(join(dir, 'prefix/bin/ts-runc'), copy);
  spawnSync('chmod', ['0755', copy]);
}
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

suite('make install: ts-runc runs from anywhere', () => {
  beforeAll(installOnce, 120_000);

  it('installs Node, dist, the init and the production node_modules under PREFIX/lib/ts-runc, none of them a link into the checkout', () => {
    const lib = join(dir, 'prefix/lib/ts-runc');
    for (const file of ['bin/node', 'dist/cli/main.js', 'build/ts-runc-init', 'build/ts-runc-monitor', 'build/ts-runc-pid1', 'package.json', 'node_modules/koffi/package.json', 'node_modules/zod/package.json']) {
      expect(existsSync(join(lib, file)), file).toBe(true);
    }
    expect(existsSync(join(lib, 'node_modules/vitest')), 'dev dependencies stay out').toBe(false);
    expect(symlinksUnder(lib).filter((link) => link.includes(REPO))).toEqual([]);
  });

  it("finds the installation's monitor and --init binaries, not the checkout's", () => {
    const lib = join(dir, 'prefix/lib/ts-runc');
    const r = call([join(lib, 'bin/node'), '--input-type=module', '-e', `const m = await import(${JSON.stringify(join(lib, 'dist/engine/binaries.js'))}); console.log(m.monitorBinary()); console.log(m.pid1Binary());`], {
      env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    expect(r.stdout.split('\n').filter(Boolean), explain(r)).toEqual([join(lib, 'build/ts-runc-monitor'), join(lib, 'build/ts-runc-pid1')]);
  });

  it('a copy of the installed ts-runc, run from another cwd, runs a container with its own Node, code and init', () => {
    const box = sandbox();
    try {
      const bundle = box.bundle(['sh', '-c', 'echo hello from a copy; echo $$']);
      const cwd = join(dir, 'elsewhere');
      // PATH without the checkout's Node and no TSRUNC_INIT: everything comes from the installation.
      const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' };
      const version = call([copy, '--version'], { cwd, env });
      expect(version.stdout, explain(version)).toMatch(/^ts-runc version /);
      const r = call([copy, '--root', box.root, '--storage', box.storage, 'run', '--bundle', bundle, 'from-copy'], { cwd, env, timeout: 30_000 });
      expect(r.stdout, explain(r)).toBe('hello from a copy\n1\n');
      expect(r.status, explain(r)).toBe(0);
    } finally {
      box.cleanup();
    }
  }, 60_000);

  it('DESTDIR stages the files elsewhere while the launcher names PREFIX; uninstall removes what install wrote', () => {
    const stage = join(dir, 'stage');
    const r = install({ PREFIX: '/opt/ts runc', DESTDIR: stage });
    expect(r.status, explain(r)).toBe(0);
    const launcher = readFileSync(join(stage, 'opt/ts runc/bin/ts-runc'), 'utf8');
    expect(launcher).toContain(`lib='/opt/ts runc/lib/ts-runc'`);
    expect(existsSync(join(stage, 'opt/ts runc/lib/ts-runc/dist/cli/main.js'))).toBe(true);

    const removed = install({ PREFIX: '/opt/ts runc', DESTDIR: stage }, ['--uninstall']);
    expect(removed.status, explain(removed)).toBe(0);
    expect(readdirSync(join(stage, 'opt/ts runc/lib'))).toEqual([]);
    expect(readdirSync(join(stage, 'opt/ts runc/bin'))).toEqual([]);

    // A file of the same name that install did not write is left alone.
    writeFileSync(join(stage, 'opt/ts runc/bin/ts-runc'), '#!/bin/sh\necho someone else\n');
    const refused = install({ PREFIX: '/opt/ts runc', DESTDIR: stage }, ['--uninstall']);
    expect(refused.status).not.toBe(0);
    expect(existsSync(join(stage, 'opt/ts runc/bin/ts-runc'))).toBe(true);
  }, 120_000);
});

const podmanMissing = missingForClients([['podman', 'podman'], ['conmon', 'conmon']]);
const podmanSuite = isRoot && haveFixture && podmanMissing.length === 0 ? describe : describe.skip;

podmanSuite('podman --runtime <a copy of the installed ts-runc>', () => {
  const PODMAN = installed('podman')!;
  const IMAGE = 'localhost/ts-runc-install-fixture';
  // podman passes the runtime no --root: it keeps its state in /run/<basename>.
  const runtimeRoot = '/run/ts-runc';
  let createdRuntimeRoot = false;
  let createdVarLibContainers = false;
  // podman's storage, run directory and containers.conf
  let work = '';
  let env: NodeJS.ProcessEnv = {};
  let cgroupParent = '';

  // vfs: plain copies, no overlay mount to depend on; the fixture image is small.
  const podman = (args: string[]): Call =>
    call([PODMAN, '--root', join(work, 'root'), '--runroot', join(work, 'runroot'), '--storage-driver', 'vfs', '--runtime', copy, ...args],
      { env, cwd: join(work, 'tmp'), timeout: 60_000 });

  beforeAll(() => {
    installOnce();
    work = tempDir('install-podman');
    cgroupParent = `/${basename(work)}`;
    for (const sub of ['run', 'tmp', 'cni']) mkdirSync(join(work, sub));
    writeFileSync(join(work, 'containers.conf'), containersConf(work));
    env = { ...process.env, CONTAINERS_CONF: join(work, 'containers.conf'), TMPDIR: join(work, 'tmp') };
    createdRuntimeRoot = !existsSync(runtimeRoot);
    createdVarLibContainers = !existsSync('/var/lib/containers');
    const imported = podman(['import', FIXTURE_TAR, IMAGE]);
    expect(imported.status, explain(imported)).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (!work) return;
    podman(['rm', '--all', '--force', '--time', '0']);
    podman(['rmi', '--all', '--force']);
    // conmon names our storage and the runtime copy on its command line.
    const stuck = killPids([...pidsMentioning(work), ...(copy ? pidsMentioning(copy) : [])]);
    const mounts = unmountAllUnder(work);
    const cgroups = removeCgroupTree(cgroupParent);
    rmSync(work, { recursive: true, force: true });
    if (createdVarLibContainers) rmSync('/var/lib/containers', { recursive: true, force: true });
    if (createdRuntimeRoot && existsSync(runtimeRoot) && readdirSync(runtimeRoot).length === 0) rmdirSync(runtimeRoot);
    expect({ stuck, mounts, cgroups }).toEqual({ stuck: [], mounts: [], cgroups: [] });
  }, 120_000);

  it('podman run --rm runs a container through the copy and passes its output and exit code through', () => {
    const r = podman(['run', '--rm', '--pull=never', `--cgroup-parent=${cgroupParent}`, IMAGE, 'sh', '-c', 'echo hello through podman; exit 3']);
    expect(r.stdout, explain(r)).toBe('hello through podman\n');
    expect(r.status, explain(r)).toBe(3);
  }, 60_000);
});
