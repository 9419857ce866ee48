/**
 * testcontainers (npm, a devDependency) against `ts-runc system service` (issue 12): a
 * GenericContainer from the fixture image with an exposed port and a log-message wait
 * strategy starts, answers on the mapped port, exec works, stop cleans up. Ryuk, its
 * reaper, is an image that cannot be pulled here: TESTCONTAINERS_RYUK_DISABLED=true.
 * The client runs in a child Node inside the test's network namespace, where the service
 * and its published ports are.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, type ApiService } from './api-service.js';

const testcontainers = join(REPO, 'node_modules/testcontainers/build/index.js');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() ? describe : describe.skip;

suite('Engine API service: testcontainers', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apitc');
    loadFixture(api);
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  it('a GenericContainer with an exposed port and a log wait strategy starts, answers, execs and stops', () => {
    const script = join(api.box.dir, 'tc.mjs');
    writeFileSync(script, `
const { GenericContainer, Wait } = await import(${JSON.stringify(testcontainers)});
const c = await new GenericContainer(${JSON.stringify(FIXTURE_IMAGE)})
  .withCommand(['sh', '-c', 'echo index-page > /tmp/index.html; echo server-ready; exec httpd -f -p 80 -h /tmp'])
  .withExposedPorts(80)
  .withWaitStrategy(Wait.forLogMessage('server-ready'))
  .start();
const port = c.getMappedPort(80);
const r = await fetch('http://127.0.0.1:' + port + '/index.html');
console.log('http', r.status, (await r.text()).trim());
const e = await c.exec(['sh', '-c', 'echo in-exec; exit 2']);
console.log('exec', e.exitCode, e.output.trim());
await c.stop();
console.log('stopped');
`);
    // its own TMPDIR: testcontainers keeps a lock file there, which goes with the test's directory
    const tmp = join(api.box.dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const r = api.exec(process.execPath, [script], { env: { ...api.env, TESTCONTAINERS_RYUK_DISABLED: 'true', TMPDIR: tmp } });
    expect(r.stdout).toBe('http 200 index-page\nexec 2 in-exec\nstopped\n');
    expect(r.status).toBe(0);
    // stop removed it (testcontainers removes on stop), and nothing else is left
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
  });
});
