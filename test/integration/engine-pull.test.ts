/**
 * `container run --pull missing|always|never` against a real registry: Debian's
 * docker-registry, started by this test on 127.0.0.1 with a random port and its storage in
 * a temporary directory, killed by pid at the end (as registry.test.ts does).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { installed, tempDir } from './clients.js';
import { REPO, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && installed('docker-registry') && existsSync(join(REPO, 'build/ts-runc-monitor')) ? describe : describe.skip;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

suite('container run --pull through a local registry', { timeout: 120_000 }, () => {
  let dir: string;
  let registryPid = 0;
  let reference = '';
  const boxes: Sandbox[] = [];
  const box = () => {
    const b = sandbox();
    boxes.push(b);
    return b;
  };

  beforeAll(async () => {
    dir = tempDir('engine-pull');
    const port = await freePort();
    writeFileSync(join(dir, 'config.yml'), ['version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'data')}`,
      'http:', `  addr: 127.0.0.1:${port}`, '  secret: ts-runc-test', ''].join('\n'));
    const log = openSync(join(dir, 'registry.log'), 'w');
    const child = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { cwd: dir, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    registryPid = child.pid!;
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/v2/`);
        break;
      } catch {
        if (i > 100) throw new Error(`registry did not come up: ${readFileSync(join(dir, 'registry.log'), 'utf8')}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    reference = `127.0.0.1:${port}/fixture:pulled`;
    const pusher = box();
    expect(pusher.run(['image', 'load', '-i', IMAGE_TAR]).status).toBe(0);
    expect(pusher.run(['image', 'tag', 'fixture:3layers', reference]).status).toBe(0);
    const pushed = pusher.run(['image', 'push', '-q', reference], { timeout: 60_000 });
    if (pushed.status !== 0) throw new Error(`push: ${pushed.stderr}`);
  });
  afterAll(() => {
    for (const b of boxes) {
      for (const record of new ContainerStore(b.storage).list()) b.run(['container', 'rm', '-f', record.Id], { timeout: 60_000 });
      b.cleanup();
    }
    if (registryPid > 0) process.kill(registryPid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('--pull missing (the default) pulls an image named with its registry, then runs it', () => {
    const b = box();
    const r = b.run(['container', 'run', '--rm', '--network', 'none', reference, 'cat', '/etc/fixture-version'], { timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('2\n');
    expect(r.status).toBe(0);
  });

  it('--pull never refuses an image not in the storage (125), and leaves nothing', () => {
    const b = box();
    const r = b.run(['container', 'run', '--rm', '--pull', 'never', '--network', 'none', reference, 'true']);
    expect(r.status).toBe(125);
    expect(r.stderr).toContain('--pull never');
    expect(new ContainerStore(b.storage).list()).toEqual([]);
  });

  it('--pull always pulls even when the image is present; a name without a registry cannot be pulled', () => {
    const b = box();
    expect(b.run(['container', 'run', '--rm', '--network', 'none', reference, 'true']).status).toBe(0);
    const again = b.run(['container', 'run', '--rm', '--pull', 'always', '--network', 'none', reference, 'true'], { timeout: 60_000 });
    expect(again.stderr).toBe('');
    expect(again.status).toBe(0);
    const noRegistry = b.run(['container', 'run', '--rm', '--pull', 'always', '--network', 'none', 'fixture:3layers', 'true']);
    expect(noRegistry.status).toBe(125);
    expect(noRegistry.stderr).toContain('no registry host');
  });
});
