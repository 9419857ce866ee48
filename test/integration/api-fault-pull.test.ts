/**
 * The service killed with SIGKILL during `docker pull` from a loopback registry (issue 12,
 * fault tests): after a new service starts on the same storage no half-made image is listed,
 * the pull succeeds when run again, and rmi + image prune leave the image store empty: no
 * orphan blob, no unpacked layer, no download left behind.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot } from './helpers.js';
import { IMAGE_TAR, dockerBinary, startApiService, waitFor, type ApiService } from './api-service.js';

const haveRegistry = existsSync('/usr/bin/docker-registry');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() && haveRegistry ? describe : describe.skip;

const REGISTRY = '127.0.0.1:5078';
const REF = `${REGISTRY}/big:1`;

/** every file under dir, relative, but the database and its lock files */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.filter((f) => f !== 'images.json' && f !== 'images.lock' && !f.startsWith('locks/'));
}

/** bytes of the largest download in progress (blob-store.ts writes to blobs/tmp first) */
function downloading(images: string): number {
  const tmp = join(images, 'blobs', 'tmp');
  let most = 0;
  try {
    for (const e of readdirSync(tmp)) most = Math.max(most, statSync(join(tmp, e)).size);
  } catch {
    // not there yet, or the file was renamed meanwhile
  }
  return most;
}

/** directories that hold something in images/l (unpacked layers) */
function layerDirs(images: string): string[] {
  const l = join(images, 'l');
  return existsSync(l) ? readdirSync(l) : [];
}

suite('Engine API service: kill -9 during docker pull', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apipul');
    const config = join(api.box.dir, 'registry.yml');
    writeFileSync(config, ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(api.box.dir, 'registry')}`,
      'http:', `  addr: ${REGISTRY}`, '  secret: ts-runc-test', ''].join('\n'));
    api.ns.spawn('docker-registry', ['serve', config]);
    await waitFor('the registry', () => api.exec('curl', ['-sf', `http://${REGISTRY}/v2/`]).status === 0 || undefined, 30_000);
    // an image with one ~50 MB layer of random bytes (does not compress), pushed to the registry
    const src = join(api.box.dir, 'big');
    mkdirSync(src);
    expect(api.exec('sh', ['-c', `head -c 50000000 /dev/urandom > ${src}/random && tar -C ${src} -cf ${api.box.dir}/big.tar random`]).status).toBe(0);
    const imp = api.docker(['import', join(api.box.dir, 'big.tar'), REF], { timeout: 120_000 });
    expect(imp.stderr).toBe('');
    const push = api.docker(['push', REF], { timeout: 120_000 });
    expect(push.stderr).toBe('');
    expect(push.status).toBe(0);
    expect(api.docker(['rmi', REF]).status).toBe(0);
    expect(api.docker(['image', 'prune', '-a', '-f']).status).toBe(0);
  }, 240_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  it('leaves no half-made image; the pull works again; rmi and prune leave no orphan', async () => {
    const images = join(api.box.storage, 'images');
    const clientCodes: (number | null)[] = [];
    // killed while the big layer is being downloaded (its temporary file is growing in
    // blobs/tmp), once early and once later into it
    for (const atBytes of [1_000_000, 25_000_000]) {
      const client = spawn('nsenter', [`--net=${api.ns.path}`, '--', dockerBinary()!, 'pull', REF], { env: api.env, stdio: 'ignore' });
      let done = false;
      const closed = new Promise<number | null>((resolve) => client.once('close', (code) => { done = true; resolve(code); }));
      // a tight poll: on loopback the download takes well under a second
      const deadline = Date.now() + 120_000;
      while (!done && downloading(images) < atBytes && Date.now() < deadline) await sleep(2);
      const serviceGone = new Promise((resolve) => api.process.once('exit', resolve));
      api.process.kill('SIGKILL');
      await serviceGone;
      clientCodes.push(await closed);
      await api.restart();
      const listed = api.docker(['images', '-a', '--format', '{{.Repository}}:{{.Tag}}']);
      expect(listed.status).toBe(0);
      // either the pull had finished (the whole image) or nothing is listed
      if (listed.stdout.trim() !== '') {
        expect(listed.stdout).toBe(`${REF}\n`);
        expect(Number(api.docker(['image', 'inspect', '--format', '{{.Size}}', REF]).stdout.trim())).toBeGreaterThan(50_000_000);
        expect(api.docker(['rmi', REF]).status).toBe(0);
      }
      expect(api.docker(['images', '-q']).stdout).toBe('');
    }
    // the kill did land mid-pull (the client saw the connection drop)
    expect(clientCodes.every((c) => c !== 0), `docker pull exit codes ${clientCodes.join(',')}`).toBe(true);
    const pull = api.docker(['pull', REF], { timeout: 120_000 });
    expect(pull.stderr).toBe('');
    expect(pull.status).toBe(0);
    expect(pull.stdout).toMatch(/Digest: sha256:[0-9a-f]{64}/);
    const inspect = api.docker(['image', 'inspect', '--format', '{{.Size}}', REF]);
    expect(Number(inspect.stdout.trim())).toBeGreaterThan(50_000_000);
    expect(api.docker(['rmi', REF]).status).toBe(0);
    expect(api.docker(['image', 'prune', '-a', '-f']).status).toBe(0);
    expect(api.docker(['images', '-aq']).stdout).toBe('');
    expect(filesUnder(images)).toEqual([]);
    expect(layerDirs(images)).toEqual([]);
  }, 300_000);
});
