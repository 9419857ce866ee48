/**
 * Volumes and mounts of `ts-runc container run` (issue 11 items 4 and 9), each a behaviour a
 * user relies on: a single file bound with -v, ro, tmpfs sizes, --volumes-from, a named
 * volume outliving its container, rm -v taking the anonymous ones, `volume rm` refused
 * while a container uses the volume (naming it), a tmpfs volume, --read-only.
 * As root on the fixture image, --network none, each test with its own --root and --storage.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { REPO, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture && existsSync(join(REPO, 'build/ts-runc-monitor')) ? describe : describe.skip;

suite('volumes and mounts of engine containers', { timeout: 120_000 }, () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', IMAGE_TAR]);
    if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
  });
  afterEach(() => {
    for (const record of new ContainerStore(box.storage).list()) box.run(['container', 'rm', '-f', record.Id], { timeout: 60_000 });
    box.cleanup();
  });
  const run = (args: string[]) => box.run(['container', 'run', '--rm', '--network', 'none', ...args], { timeout: 60_000 });

  it('-v binds a single file, read-only with :ro', () => {
    const file = join(box.dir, 'app.conf');
    writeFileSync(file, 'setting=1\n');
    const r = run(['-v', `${file}:/etc/app.conf:ro`, 'fixture:3layers', 'sh', '-c', 'cat /etc/app.conf; echo x > /etc/app.conf || echo refused']);
    expect(r.stdout).toBe('setting=1\nrefused\n');
    expect(r.stderr).toMatch(/Read-only file system/);
  });

  it('--tmpfs and --mount type=tmpfs get their size; --read-only makes / read-only', () => {
    const r = run(['--tmpfs', '/scratch:size=1m', '--mount', 'type=tmpfs,dst=/t2,tmpfs-size=2m', '--read-only', 'fixture:3layers', 'sh', '-c',
      'df -k /scratch /t2 | tail -2 | awk \'{print $2}\'; touch /x 2>/dev/null || echo ro']);
    expect(r.stdout).toBe('1024\n2048\nro\n');
  });

  it('a named volume outlives its container, --volumes-from shares it read-only, rm -v takes only the anonymous one, and volume rm is refused while in use', () => {
    const d = box.run(['container', 'run', '-d', '--name', 'keep', '--network', 'none', '-v', 'data:/data', '-v', '/anon', 'fixture:3layers', 'sh', '-c',
      'echo kept > /data/f; echo a > /anon/a; touch /ready; sleep 100']);
    expect(d.status, d.stderr).toBe(0);
    const names = () => box.run(['volume', 'ls', '-q']).stdout.trim().split('\n').filter(Boolean);
    const anonymous = names().filter((n) => /^[0-9a-f]{64}$/.test(n));
    expect(anonymous).toHaveLength(1);
    expect(names()).toContain('data');
    const refused = box.run(['volume', 'rm', 'data']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^ts-runc: volume data is in use by container keep \([0-9a-f]{12}\)/);
    expect(box.run(['volume', 'rm', '-f', 'data']).status, 'even with -f, as docker').toBe(1);
    // the writer may not have written yet: read until it has
    let shared = '';
    for (let i = 0; i < 100 && !shared.includes('kept'); i++) shared = run(['--volumes-from', 'keep:ro', 'fixture:3layers', 'sh', '-c', 'cat /data/f /anon/a; touch /data/g 2>/dev/null || echo ro']).stdout;
    expect(shared).toBe('kept\na\nro\n');
    expect(box.run(['volume', 'ls', '-q', '--filter', 'dangling=true']).stdout).toBe('');
    expect(box.run(['container', 'rm', '-f', '-v', 'keep'], { timeout: 60_000 }).status).toBe(0);
    expect(names()).toEqual(['data']);
    expect(run(['-v', 'data:/data', 'fixture:3layers', 'cat', '/data/f']).stdout).toBe('kept\n');
    expect(box.run(['volume', 'ls', '-q', '--filter', 'dangling=true']).stdout).toBe('data\n');
    expect(box.run(['volume', 'rm', 'data']).stdout).toBe('data\n');
    expect(names()).toEqual([]);
  });

  it('--rm takes the anonymous volumes of the image and of -v /path', () => {
    expect(run(['-v', '/scratch', 'fixture:3layers', 'sh', '-c', 'echo x > /scratch/x']).status).toBe(0);
    expect(readdirSync(join(box.storage, 'volumes')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('a tmpfs volume is mounted at first use, shared by the containers using it, and unmounted by volume rm', () => {
    expect(box.run(['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=3m', 'tv']).status).toBe(0);
    expect(run(['-v', 'tv:/m', 'fixture:3layers', 'sh', '-c', "df -k /m | tail -1 | awk '{print $2}'; echo hi > /m/x"]).stdout).toBe('3072\n');
    expect(run(['-v', 'tv:/m', 'fixture:3layers', 'cat', '/m/x']).stdout).toBe('hi\n');
    expect(box.run(['volume', 'rm', 'tv']).status).toBe(0);
    expect(mountsMentioning(box.storage)).toEqual([]);
  });

  it('refuses a bad -v or --mount before making anything', () => {
    const bad = run(['-v', '/a:/b:bogus', 'fixture:3layers', 'true']);
    expect(bad.status).toBe(125);
    expect(bad.stderr).toMatch(/unknown option "bogus"/);
    // refused at create, as docker's, so not even a created container is left
    const missing = box.run(['container', 'run', '-d', '--network', 'none', '--mount', `type=bind,src=${join(box.dir, 'nope')},dst=/x`, 'fixture:3layers', 'true']);
    expect(missing.status).toBe(125);
    expect(missing.stderr).toMatch(/bind source path does not exist/);
    const from = box.run(['container', 'create', '--network', 'none', '--volumes-from', 'nope', 'fixture:3layers', 'true']);
    expect(from.status).toBe(125);
    expect(from.stderr).toBe('ts-runc: --volumes-from nope: no such container\n');
    expect(new ContainerStore(box.storage).list()).toEqual([]);
    expect(existsSync(join(box.storage, 'volumes')) ? readdirSync(join(box.storage, 'volumes')).filter((n) => !n.startsWith('.')) : []).toEqual([]);
  });
});
