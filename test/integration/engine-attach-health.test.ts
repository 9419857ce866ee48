/**
 * `container run -it` on a real pty, the detach keys, healthchecks and `start --all`
 * (issue 11 items 6-8). As root, each test with its own --root and --storage, --network none.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerView } from '../../src/engine/containers/status.js';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { REPO, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && existsSync(join(REPO, 'build/ts-runc-monitor')) ? describe : describe.skip;

suite('container run -it, detach keys, healthchecks, start --all', { timeout: 120_000 }, () => {
  let box: Sandbox;
  let store: ContainerStore;
  beforeEach(() => {
    box = sandbox();
    if (box.run(['image', 'load', '-i', IMAGE_TAR]).status !== 0) throw new Error('image load failed');
    store = new ContainerStore(box.storage);
  });
  afterEach(() => {
    for (const record of store.list()) box.run(['container', 'rm', '-f', record.Id], { timeout: 60_000 });
    for (const line of mountsMentioning(box.dir)) spawnSync('umount', ['-l', line.split(' ')[4]!]);
    box.cleanup();
  });

  const ctr = (args: string[]) => box.run(['container', ...args], { timeout: 60_000 });
  async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = probe();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  }

  it('run -it --rm under a real pty: the container has a terminal, its exit code is ours, nothing is left', () => {
    const command = `${TS_RUNC} --root ${box.root} --storage ${box.storage} container run -it --rm --network none fixture:3layers sh -c 'tty; exit 3'`;
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 60_000, input: '' });
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
    expect(r.status).toBe(3);
    expect(store.list()).toEqual([]);
  });

  it('ctrl-p ctrl-q detaches from run -it: the CLI returns 0 and the container keeps running', async () => {
    const command = `${TS_RUNC} --root ${box.root} --storage ${box.storage} container run -it --name detachable --network none fixture:3layers sh`;
    // the keys are typed once the shell is up (its prompt), as a person would
    const shell = `(sleep 2; printf 'echo typed-in > /typed\\n'; sleep 2; printf '\\020\\021'; sleep 1) | script -qec "${command}" /dev/null`;
    const r = spawnSync('sh', ['-c', shell], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const view = containerView(store, store.resolve('detachable'));
    expect(view.state.Status).toBe('running');
    expect(ctr(['exec', 'detachable', 'cat', '/typed']).stdout).toBe('typed-in\n');
  });

  it('a healthcheck goes unhealthy after Retries failures and healthy after a success, keeping the last 5 results', async () => {
    const id = ctr(['run', '-d', '--name', 'checked', '--network', 'none', '--health-cmd', 'test -f /ok && echo fine',
      '--health-interval', '300ms', '--health-retries', '2', 'fixture:3layers', 'sleep', '60']).stdout.trim();
    const health = () => containerView(store, store.read(id)).state.Health;
    await until('unhealthy', () => health()?.Status === 'unhealthy');
    expect(health()!.FailingStreak).toBeGreaterThanOrEqual(2);
    expect(ctr(['exec', 'checked', 'touch', '/ok']).status).toBe(0);
    await until('healthy', () => health()?.Status === 'healthy');
    const last = health()!;
    expect(last.FailingStreak).toBe(0);
    expect(last.Log.length).toBeLessThanOrEqual(5);
    expect(last.Log.at(-1)).toMatchObject({ ExitCode: 0, Output: 'fine\n' });
  });

  it('a healthcheck that outlives --health-timeout counts as failed', async () => {
    const id = ctr(['run', '-d', '--network', 'none', '--health-cmd', 'sleep 30', '--health-interval', '500ms', '--health-timeout', '300ms',
      '--health-retries', '1', 'fixture:3layers', 'sleep', '60']).stdout.trim();
    const health = await until('unhealthy', () => {
      const h = containerView(store, store.read(id)).state.Health;
      return h?.Status === 'unhealthy' && h;
    });
    expect(health.Log[0]).toMatchObject({ ExitCode: -1 });
    expect(health.Log[0]!.Output).toContain('exceeded timeout');
  });

  it('stop is never undone by the policy; after a "reboot" start --all brings back always containers, and unless-stopped ones the user did not stop', async () => {
    const always = ctr(['run', '-d', '--network', 'none', '--name', 'always', '--restart', 'always', 'fixture:3layers', 'sleep', '60']).stdout.trim();
    const stoppedAlways = ctr(['run', '-d', '--network', 'none', '--name', 'stopped-always', '--restart', 'always', 'fixture:3layers', 'sleep', '60']).stdout.trim();
    ctr(['run', '-d', '--network', 'none', '--name', 'stopped', '--restart', 'unless-stopped', 'fixture:3layers', 'sleep', '60']);
    expect(ctr(['stop', '-t', '1', 'stopped']).status).toBe(0);
    expect(ctr(['stop', '-t', '1', 'stopped-always']).status).toBe(0);
    await sleep(500);
    // the policy never undoes a stop while the monitor lives
    expect(containerView(store, store.resolve('stopped')).state.Status).toBe('exited');
    expect(containerView(store, store.resolve('stopped-always')).state.Status).toBe('exited');
    // "reboot": the monitor and the container die, --root goes
    const monitorPid = Number(readFileSync(store.paths(always).monitorPid, 'utf8').split(' ')[0]);
    const pid = containerView(store, store.read(always)).state.Pid;
    process.kill(monitorPid, 'SIGKILL');
    process.kill(pid, 'SIGKILL');
    spawnSync(TS_RUNC, ['--root', box.root, 'delete', '--force', always], { stdio: 'ignore' });
    rmSync(box.root, { recursive: true, force: true });
    spawnSync('umount', ['-l', store.paths(always).rootfs]);
    await until('the monitor gone', () => !containerView(store, store.read(always)).monitorAlive);
    const r = ctr(['start', '--all']);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').filter(Boolean).sort()).toEqual([always, stoppedAlways].sort());
    expect(containerView(store, store.read(always)).state.Status).toBe('running');
    expect(containerView(store, store.read(stoppedAlways)).state.Status).toBe('running');
    expect(containerView(store, store.resolve('stopped')).state.Status).toBe('exited');
  });
});
