/**
 * `container cp` on an engine container: a tree with modes and a symlink pointing outside
 * round-trips (the link copied as a link, never followed), a symlink the container holds
 * never redirects a write to the host, docker's destination rules, and tar streams with "-".
 *
 * The container is a stopped one (created, never started): its record and writable layer
 * are made here the way `container create` lays them out (src/engine/paths.ts), so the copy
 * mounts its overlay privately, as it does for any stopped container.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { ImageStore } from '../../src/image/store.js';
import { REPO, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const ID = 'c0ffee'.padEnd(64, '0');

describe.runIf(isRoot && haveFixture)('container cp', () => {
  let box: Sandbox;
  let upper: string;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', join(REPO, 'rootfs-fixtures/out/image.tar')]);
    expect(loaded.status, loaded.stderr).toBe(0);
    const image = new ImageStore(box.storage).resolve('fixture:3layers');
    const store = new ContainerStore(box.storage);
    const paths = store.paths(ID);
    upper = paths.upper;
    mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
    mkdirSync(paths.work, { recursive: true, mode: 0o700 });
    store.write({
      Id: ID, Name: '/web', Created: new Date().toISOString(), Path: 'sh', Args: [], Image: image.id,
      Config: { Image: 'fixture:3layers' }, HostConfig: {}, NetworkingConfig: {}, Mounts: [], Root: box.root,
    });
    store.claimName('web', ID);
  });
  afterEach(() => box.cleanup());

  it('round-trips a tree with its modes and a symlink to outside, copied as a link and never followed', () => {
    const src = join(box.dir, 'tree');
    mkdirSync(join(src, 'private'), { recursive: true });
    writeFileSync(join(src, 'private/key'), 'k\n');
    chmodSync(join(src, 'private/key'), 0o600);
    chmodSync(join(src, 'private'), 0o710);
    writeFileSync(join(src, 'tool'), '#!/bin/sh\n');
    chmodSync(join(src, 'tool'), 0o4755);
    symlinkSync('/etc/shadow', join(src, 'shadow-link'));
    mkdirSync(join(upper, 'srv'));
    expect(box.run(['container', 'cp', src, 'web:/srv/']).stderr).toBe('');
    // in the container's layer, as docker cp: SRC a directory, DEST an existing one → DEST/<name>
    expect(readlinkSync(join(upper, 'srv/tree/shadow-link'))).toBe('/etc/shadow');
    expect(statSync(join(upper, 'srv/tree/tool')).mode & 0o7777).toBe(0o4755);
    const back = join(box.dir, 'back');
    const out = box.run(['container', 'cp', 'web:/srv/tree', back]);
    expect(out.stderr).toBe('');
    expect(readlinkSync(join(back, 'shadow-link'))).toBe('/etc/shadow');
    expect(lstatSync(join(back, 'shadow-link')).isSymbolicLink()).toBe(true);
    expect(statSync(join(back, 'private')).mode & 0o7777).toBe(0o710);
    expect(statSync(join(back, 'private/key')).mode & 0o7777).toBe(0o600);
    expect(statSync(join(back, 'tool')).mode & 0o7777).toBe(0o4755);
    expect(readFileSync(join(back, 'private/key'), 'utf8')).toBe('k\n');
    // nothing stays mounted after the copy
    expect(mountsMentioning(box.storage)).toEqual([]);
  });

  it('a symlink in the container never sends a write to the host', () => {
    const hostDir = join(box.dir, 'host-target');
    mkdirSync(hostDir);
    mkdirSync(join(upper, 'etc'), { recursive: true });
    // a hostile image: /evil points at a host path, /up climbs "above" the root
    symlinkSync(hostDir, join(upper, 'evil'));
    symlinkSync('../../../../../../../../..', join(upper, 'up'));
    const file = join(box.dir, 'payload');
    writeFileSync(file, 'p\n');
    expect(box.run(['container', 'cp', file, 'web:/evil/x']).status).not.toBe(0);
    expect(box.run(['container', 'cp', file, `web:/up${hostDir}/`]).status).not.toBe(0);
    mkdirSync(join(upper, hostDir.slice(1)), { recursive: true });
    expect(box.run(['container', 'cp', file, 'web:/evil/x']).stderr).toBe('');
    expect(readdirSync(hostDir)).toEqual([]);
    // it landed at the same path inside the container's root
    expect(readFileSync(join(upper, hostDir.slice(1), 'x'), 'utf8')).toBe('p\n');
  });

  it('follows docker\'s destination rules and streams tars with -', () => {
    const src = join(box.dir, 'd');
    mkdirSync(src);
    writeFileSync(join(src, 'a'), 'a\n');
    expect(box.run(['container', 'cp', `${src}/.`, 'web:/new']).stderr).toBe('');
    expect(readdirSync(join(upper, 'new'))).toEqual(['a']);
    expect(box.run(['container', 'cp', join(src, 'a'), 'web:/missing/']).stderr).toBe('ts-runc: destination directory /missing/ must exist\n');
    expect(box.run(['container', 'cp', src, 'web:/etc/fixture-version']).stderr).toBe('ts-runc: cannot copy a directory to a file: /etc/fixture-version\n');
    const tar = join(box.dir, 'out.tar');
    const got = spawnSync('sh', ['-c', `${join(REPO, 'bin/ts-runc')} --root ${box.root} --storage ${box.storage} container cp web:/etc/fixture-version - > ${tar}`]);
    expect(got.status, got.stderr.toString()).toBe(0);
    expect(spawnSync('tar', ['-tf', tar], { encoding: 'utf8' }).stdout).toBe('fixture-version\n');
    const put = spawnSync('sh', ['-c', `${join(REPO, 'bin/ts-runc')} --root ${box.root} --storage ${box.storage} container cp - web:/new < ${tar}`]);
    expect(put.status, put.stderr.toString()).toBe(0);
    expect(existsSync(join(upper, 'new/fixture-version'))).toBe(true);
    // without -a the files belong to the container's root
    expect(statSync(join(upper, 'new/fixture-version')).uid).toBe(0);
  });
});

describe.runIf(isRoot && haveFixture && existsSync(join(REPO, 'build/ts-runc-monitor')))('container cp with container run', { timeout: 120_000 }, () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', join(REPO, 'rootfs-fixtures/out/image.tar')]);
    expect(loaded.status, loaded.stderr).toBe(0);
  });
  afterEach(() => {
    for (const record of new ContainerStore(box.storage).list()) box.run(['container', 'rm', '-f', record.Id], { timeout: 60_000 });
    box.cleanup();
  });

  it('a file copied into a stopped container is there when it starts', () => {
    const created = box.run(['container', 'create', '--name', 'cc', '--network', 'none', 'fixture:3layers', 'cat', '/etc/copied.conf']);
    expect(created.status, created.stderr).toBe(0);
    const file = join(box.dir, 'copied.conf');
    writeFileSync(file, 'from the host\n');
    expect(box.run(['container', 'cp', file, 'cc:/etc/']).stderr).toBe('');
    const started = box.run(['container', 'start', '-a', 'cc'], { timeout: 60_000 });
    expect(started.stdout).toBe('from the host\n');
  });

  it('a running container that points a directory at a host path cannot redirect a copy there', async () => {
    const hostDir = join(box.dir, 'host-secrets');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'secret'), 'host only\n');
    // the container replaces a directory by a link to the host's path, and makes that path its own
    // (/opt, not /etc: /etc holds the bind-mounted hosts and resolv.conf, which rm cannot remove)
    const r = box.run(['container', 'run', '-d', '--name', 'hostile', '--network', 'none', 'fixture:3layers', 'sh', '-c',
      `mkdir -p ${hostDir} && echo mine > ${hostDir}/secret && rm -rf /opt && ln -s ${hostDir} /opt && touch /ready && sleep 100`]);
    expect(r.status, r.stderr).toBe(0);
    for (let i = 0; i < 50 && box.run(['container', 'exec', 'hostile', 'test', '-e', '/ready']).status !== 0; i++) await new Promise((done) => setTimeout(done, 100));
    const file = join(box.dir, 'payload');
    writeFileSync(file, 'payload\n');
    expect(box.run(['container', 'cp', file, 'hostile:/opt/']).stderr).toBe('');
    expect(readdirSync(hostDir)).toEqual(['secret']);
    expect(readFileSync(join(hostDir, 'secret'), 'utf8')).toBe('host only\n');
    // copying out reads the container's file, not the host's
    const out = join(box.dir, 'out-secret');
    expect(box.run(['container', 'cp', 'hostile:/opt/secret', out]).stderr).toBe('');
    expect(readFileSync(out, 'utf8')).toBe('mine\n');
    expect(box.run(['container', 'exec', 'hostile', 'cat', `${hostDir}/payload`]).stdout).toBe('payload\n');
  });

  it('copies out of and into a running container, into its volume too', async () => {
    const r = box.run(['container', 'run', '-d', '--name', 'live', '--network', 'none', '-v', 'vol:/data', 'fixture:3layers', 'sh', '-c', 'echo inside > /tmp/made; sleep 100']);
    expect(r.status, r.stderr).toBe(0);
    const out = join(box.dir, 'made');
    for (let i = 0; i < 100 && !existsSync(out); i++) {
      box.run(['container', 'cp', 'live:/tmp/made', out]);
      if (!existsSync(out)) await new Promise((done) => setTimeout(done, 100));
    }
    expect(readFileSync(out, 'utf8')).toBe('inside\n');
    const file = join(box.dir, 'in-volume');
    writeFileSync(file, 'v\n');
    expect(box.run(['container', 'cp', file, 'live:/data/']).stderr).toBe('');
    // the running container's own view: the file is in the volume, not in its layer
    expect(readFileSync(join(box.storage, 'volumes/vol/_data/in-volume'), 'utf8')).toBe('v\n');
    expect(box.run(['container', 'exec', 'live', 'cat', '/data/in-volume']).stdout).toBe('v\n');
  });
});
