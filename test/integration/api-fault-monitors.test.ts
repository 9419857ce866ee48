/**
 * The service killed with SIGKILL while 20 containers run and log (issue 12, fault tests):
 * the containers belong to their monitors, not to the service, so they keep running and
 * logging while it is down; a new service on the same storage lists every one running, and
 * stop / rm -f of all of them leaves nothing: no monitor, no mount, no record.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveFixture, isRoot } from './helpers.js';
import { FIXTURE_IMAGE, IMAGE_TAR, dockerBinary, loadFixture, startApiService, waitFor, type ApiService } from './api-service.js';

const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && dockerBinary() ? describe : describe.skip;

/** pids whose command line names a path under dir (monitors carry --dir <storage>/…) */
function processesUnder(dir: string, except: number[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    if (except.includes(Number(pid))) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(dir)) found.push(`${pid} ${cmd}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

suite('Engine API service: kill -9 while 20 containers run', () => {
  let api: ApiService;
  beforeAll(async () => {
    api = await startApiService('tsr-apimon');
    loadFixture(api);
  }, 120_000);
  afterAll(async () => {
    await api?.cleanup();
  }, 180_000);

  it('they keep running and logging while it is down, are listed running after a restart, and stop/rm -f leave nothing', async () => {
    const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const name of names) {
      const run = api.docker(['run', '-d', '--name', name, '--network', 'none', FIXTURE_IMAGE, 'sh', '-c', 'while true; do echo tick; sleep 0.2; done']);
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    }
    // every one has logged before the kill
    for (const name of names) await waitFor(`${name} logging`, () => api.docker(['logs', name]).stdout.includes('tick') || undefined);

    api.process.kill('SIGKILL');
    await new Promise((resolve) => (api.process.exitCode !== null || api.process.signalCode !== null ? resolve(undefined) : api.process.once('exit', resolve)));
    const killedAt = Date.now();
    // the service stays down a while (this is the gap the logs must cover, not a wait for speed)
    await sleep(3000);
    const restartedAt = Date.now();
    await api.restart();

    const ps = api.docker(['ps', '--format', '{{.Names}} {{.State}}']);
    expect(ps.status).toBe(0);
    expect(ps.stdout.trim().split('\n').sort()).toEqual(names.map((n) => `${n} running`).sort());
    for (const name of names) {
      const logs = api.docker(['logs', '-t', name]);
      expect(logs.status).toBe(0);
      const during = logs.stdout.trim().split('\n').map((l) => Date.parse(l.split(' ')[0]!)).filter((t) => t > killedAt && t < restartedAt);
      expect(during.length, `${name}: lines logged while the service was down`).toBeGreaterThan(0);
    }

    const stop = api.docker(['stop', '-t', '1', ...names.slice(0, 10)], { timeout: 120_000 });
    expect(stop.status).toBe(0);
    const rm = api.docker(['rm', '-f', ...names], { timeout: 120_000 });
    expect(rm.stderr).toBe('');
    expect(rm.status).toBe(0);
    expect(api.docker(['ps', '-aq']).stdout).toBe('');
    const containers = join(api.box.storage, 'engine', 'containers');
    expect(existsSync(containers) ? readdirSync(containers).filter((e) => /^[0-9a-f]{64}$/.test(e)) : []).toEqual([]);
    expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(api.box.dir))).toEqual([]);
    await api.stop();
    expect(processesUnder(api.box.dir, [process.pid])).toEqual([]);
  }, 300_000);
});
