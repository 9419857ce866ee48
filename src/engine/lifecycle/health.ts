/**
 * Healthchecks (image HEALTHCHECK or --health-*): the monitor runs the health hook every
 * Interval while the container runs; one run here:
 *
 *   the Test through exec:  ["CMD", args…] as is, ["CMD-SHELL", cmd] as /bin/sh -c cmd
 *   Timeout (default 30 s)  the check's process is killed, and the run counts as failed (-1)
 *   StartPeriod             failures in it do not count (the status stays "starting")
 *   Retries (default 3)     consecutive failures that make it "unhealthy"
 *
 * health.json keeps {Status, FailingStreak, Log: the last 5 results}, as Docker's
 * State.Health; it is written by rename under the container's lock.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { signalProcess } from '../../process/signals.js';
import { writeFileAtomic } from '../../sys/write-atomic.js';
import { readHealth, type HealthState } from '../containers/status.js';
import type { ContainerStore } from '../containers/store.js';
import { readMonitorState } from '../monitor/state.js';
import { execInContainer } from './exec.js';

const DEFAULT_TIMEOUT_NS = 30e9;
const DEFAULT_RETRIES = 3;
const KEEP_RESULTS = 5;
/** Docker keeps at most this much of a check's output */
const MAX_OUTPUT = 4096;

export function writeHealth(path: string, health: HealthState): void {
  writeFileAtomic(path, `${JSON.stringify(health)}\n`);
}

export async function runHealthcheck(store: ContainerStore, id: string): Promise<void> {
  const record = store.read(id);
  const check = record.Config.Healthcheck;
  const test = check?.Test ?? [];
  if (test.length === 0 || test[0] === 'NONE') return;
  const cmd = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test[0] === 'CMD' ? test.slice(1) : test;
  const timeoutMs = (check?.Timeout || DEFAULT_TIMEOUT_NS) / 1e6;
  const scratch = mkdtempSync(join(tmpdir(), 'ts-runc-health-'));
  const outputFile = join(scratch, 'output');
  const pidFile = join(scratch, 'pid');
  const start = new Date();
  let exitCode: number;
  let output = '';
  const fd = openSync(outputFile, 'w+', 0o600);
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  try {
    const run = execInContainer(store.storage, id, { Cmd: cmd }, { stdio: { stdin: 'ignore', stdout: fd, stderr: fd }, pidFile });
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        try {
          signalProcess(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
        } catch {
          // not started yet or gone: the exec's own end settles it
        }
        resolve(-1);
      }, timeoutMs);
    });
    exitCode = await Promise.race([run, timeout]);
    if (!timedOut) clearTimeout(timer);
    run.catch(() => {});
    output = timedOut ? `Health check exceeded timeout (${timeoutMs / 1000}s)` : readFileSync(outputFile, 'utf8').slice(0, MAX_OUTPUT);
  } catch (error) {
    exitCode = -1;
    output = errorMessage(error);
  } finally {
    clearTimeout(timer);
    closeSync(fd);
    rmSync(scratch, { recursive: true, force: true });
  }
  const end = new Date();
  const paths = store.paths(id);
  store.withLock(id, () => {
    const health = readHealth(paths.health) ?? { Status: 'starting', FailingStreak: 0, Log: [] };
    health.Log = [...health.Log, { Start: start.toISOString(), End: end.toISOString(), ExitCode: exitCode, Output: output }].slice(-KEEP_RESULTS);
    if (exitCode === 0) {
      health.Status = 'healthy';
      health.FailingStreak = 0;
    } else {
      const started = Date.parse(readMonitorState(paths.state)?.StartedAt ?? '') || 0;
      const inStartPeriod = start.getTime() - started < (check?.StartPeriod ?? 0) / 1e6;
      if (!inStartPeriod || health.Status !== 'starting') {
        health.FailingStreak++;
        if (health.FailingStreak >= (check?.Retries || DEFAULT_RETRIES)) health.Status = 'unhealthy';
      }
    }
    writeHealth(paths.health, health);
  });
}
