/**
 * The service killed with SIGKILL while `docker run -d` is under way, at several moments
 * (issue 12, fault tests): after a new service starts on the same storage, every container
 * is accounted for (listed, in a state, removable with rm -f), and once they are removed
 * nothing is left: no record, no mount, no monitor.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, type ApiService } from './api-service.js';

const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() ? describe : describe.skip;

suite('Engine API service: kill -9 during docker run -d', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apiflt');
    loadFixture(api);
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  it('at any moment: every container is accounted for after a restart, and rm -f leaves nothing', async () => {
    const delays = [30, 100, 200, 350, 600, 900];
    for (const [i, delay] of delays.entries()) {
      const client = spawn('nsenter', [`--net=${api.ns.path}`, '--', dockerBinary()!, 'run', '-d', '--name', `f${i}`, '--network', 'none', FIXTURE_IMAGE, 'sleep', '300'], { env: api.env, stdio: 'ignore' });
      await sleep(delay);
      api.process.kill('SIGKILL');
      await new Promise((resolve) => api.process.once('exit', resolve));
      await new Promise((resolve) => (client.exitCode !== null ? resolve(undefined) : client.once('exit', resolve)));
      await api.restart();
      const ps = api.docker(['ps', '-a', '--format', '{{.Names}} {{.State}}']);
      expect(ps.status).toBe(0);
      for (const line of ps.stdout.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^f\d+ (created|running|exited)$/);
    }
    const ids = api.docker(['ps', '-aq']).stdout.trim().split('\n').filter(Boolean);
    if (ids.length > 0) {
      const rm = api.docker(['rm', '-f', ...ids]);
      expect(rm.stderr).toBe('');
    }
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
    const containers = join(api.box.storage, 'engine', 'containers');
    expect(existsSync(containers) ? readdirSync(containers).filter((e) => /^[0-9a-f]{64}$/.test(e)) : []).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(api.box.dir))).toEqual([]);
  }, 300_000);
});
