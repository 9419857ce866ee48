/**
 * Shared by the monitor's integration tests (monitor.test.ts with fake hooks,
 * monitor-container.test.ts with real containers): a scratch directory per test, the
 * monitor started on it, its log read back, and whatever a failed test left stopped.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MonitorClient } from '../../src/engine/monitor/client.js';
import { spawnMonitor, type MonitorOptions } from '../../src/engine/monitor/spawn.js';
import { monitorAlive, monitorPid, readMonitorState } from '../../src/engine/monitor/state.js';

export interface LogLine {
  log: string;
  stream: string;
  time: string;
}

/** `work`: the test's temporary directory; `dir`: the container directory in it. */
export function makeScratch(): { work: string; dir: string } {
  const work = mkdtempSync(join(tmpdir(), 'ts-runc-monitor-'));
  const dir = join(work, 'c');
  mkdirSync(dir);
  return { work, dir };
}

/** Stops a monitor a failed test left (no restart, its container killed), then removes `work`. */
export async function removeScratch(dir: string, work: string): Promise<void> {
  const pid = monitorPid(join(dir, 'monitor.pid'));
  if (pid) {
    try {
      const state = readMonitorState(join(dir, 'state.json'));
      const client = await MonitorClient.connect(dir);
      client.noRestart();
      if (state?.Pid) process.kill(state.Pid, 'SIGKILL');
      await client.closeAndWait();
    } catch {
      process.kill(pid, 'SIGKILL');
    }
    await waitFor(() => !monitorAlive(join(dir, 'monitor.pid')), 'the monitor to exit');
  }
  rmSync(work, { recursive: true, force: true });
}

export async function waitFor<T>(check: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Spawns the monitor for `dir` and connects a client subscribed to stdout and stderr. */
export async function startMonitor(dir: string, options: Partial<MonitorOptions> & { hook: string[] }): Promise<MonitorClient> {
  await spawnMonitor({ dir, id: 'test', ...options });
  return MonitorClient.connect(dir, { stdout: true, stderr: true });
}

export function readLog(dir: string, file = 'container.log'): LogLine[] {
  const text = readFileSync(join(dir, file), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

/** Waits until the monitor of `dir` has exited (monitor.pid dead, attach.sock removed). */
export async function monitorGone(dir: string): Promise<void> {
  await waitFor(() => !monitorAlive(join(dir, 'monitor.pid')) && !existsSync(join(dir, 'attach.sock')), 'the monitor to exit');
}
