/**
 * `container start` (POST /containers/{id}/start), and the second half of `run`:
 *
 *   1. a running container: nothing to do (Docker's start is idempotent)
 *   2. a monitor still finishing a cleanup: wait for it to go
 *   3. leftovers of a run that never got its cleanup (reboot, killed monitor): removed
 *   4. spawn the monitor (src/engine/monitor/spawn.ts) with the record's restart policy,
 *      log options, tty and stdin; connect (subscribed to the output when attaching, so
 *      not a byte is missed: the monitor runs the init hook only on START); send START
 *   5. STARTED → the pid; START_FAILED → an error with Docker's 125/126/127
 *
 * `startAll` is `container start --all`, what Docker's daemon does when it starts (e.g.
 * after a reboot): every container not running whose policy is always, or unless-stopped
 * and the user did not stop it.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../../errors.js';
import { withFileLockAsync } from '../../sys/file-lock.js';
import { containerView } from '../containers/status.js';
import { ContainerStore } from '../containers/store.js';
import { MonitorClient } from '../monitor/client.js';
import { dismissIdleMonitor, monitorAlive } from '../monitor/state.js';
import { spawnMonitor, type MonitorOptions, type RestartPolicyArg } from '../monitor/spawn.js';
import { tsRuncCommand } from '../paths.js';
import { parseSize } from '../units.js';
import type { ContainerRecord } from '../types.js';
import { removeRuntimeLeftovers } from './hook-init.js';
import { writeHealth } from './health.js';
import { recordContainerEvent } from '../events.js';
import { cleanerFor } from './cleaner-socket.js';

export interface StartOptions {
  /** stay connected, subscribed to these streams; the caller owns the returned client */
  attach?: { stdout: boolean; stderr: boolean };
  /**
   * Called with the connected client before START: listeners put on it here (onExit) see
   * even a container that exits at once. The client stays open only with `attach`.
   */
  onClient?: (client: MonitorClient) => void;
}

export interface Started {
  id: string;
  pid: number;
  /** set when options.attach asked for it (or the container was already running: undefined) */
  client?: MonitorClient;
  alreadyRunning: boolean;
}

export async function startContainer(storage: string, reference: string, options: StartOptions = {}): Promise<Started> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  // Two starts at once must not make two monitors (the second would fail on the runtime id
  // and its cleanup delete the first's container): the second waits, then finds it running.
  // Not the record's lock, which the init hook takes while this waits for STARTED.
  try {
    return await withFileLockAsync(store.paths(record.Id).startLock, () => startLocked(store, record, reference, options));
  } finally {
    store.removeIfGone(record.Id);
  }
}

async function startLocked(store: ContainerStore, record: ContainerRecord, reference: string, options: StartOptions): Promise<Started> {
  const storage = store.storage;
  const paths = store.paths(record.Id);
  const view = containerView(store, record);
  if (view.state.Status === 'running' || view.state.Status === 'paused' || view.state.Status === 'restarting') {
    return { id: record.Id, pid: view.state.Pid, alreadyRunning: true };
  }
  // A monitor whose `run` was killed before START waits for nothing: it goes. One that
  // outlives the exit by its cleanup hook (and --rm's removal): let it finish.
  dismissIdleMonitor(paths.monitorPid, paths.state);
  await waitForMonitorExit(paths.dir, 60_000, record.Name);
  if (!store.tryRead(record.Id)) throw new RuntimeError(`no such container: ${reference} (removed on exit: --rm)`);
  await removeRuntimeLeftovers(store, record);
  store.update(record.Id, (current) => {
    delete current.StoppedByUser;
  });
  if (hasHealthcheck(record)) writeHealth(paths.health, { Status: 'starting', FailingStreak: 0, Log: [] });
  await spawnMonitor(monitorOptions(storage, record));
  const client = await MonitorClient.connect(paths.dir, options.attach ?? {});
  options.onClient?.(client);
  try {
    const started = await client.start();
    if (!options.attach) client.close();
    recordContainerEvent(storage, 'start', record);
    return { id: record.Id, pid: started.pid, alreadyRunning: false, ...(options.attach ? { client } : {}) };
  } catch (error) {
    client.close();
    throw error;
  }
}

/** `container start --all`: the ids it started. */
export async function startAll(storage: string): Promise<{ started: string[]; failed: { id: string; error: string }[] }> {
  const store = new ContainerStore(storage);
  const started: string[] = [];
  const failed: { id: string; error: string }[] = [];
  for (const record of store.list()) {
    const policy = record.HostConfig.RestartPolicy?.Name ?? '';
    if (policy !== 'always' && policy !== 'unless-stopped') continue;
    // Docker's rule at a daemon's start: `always` comes back even if the user stopped it,
    // `unless-stopped` only if they did not
    if (policy === 'unless-stopped' && record.StoppedByUser) continue;
    const view = containerView(store, record);
    if (view.state.Running) continue;
    try {
      await startContainer(storage, record.Id);
      started.push(record.Id);
    } catch (error) {
      failed.push({ id: record.Id, error: (error as Error).message });
    }
  }
  return { started, failed };
}

export function hasHealthcheck(record: ContainerRecord): boolean {
  const test = record.Config.Healthcheck?.Test ?? [];
  return test.length > 0 && test[0] !== 'NONE';
}

/** Docker's default healthcheck interval: 30 s. */
const DEFAULT_HEALTH_INTERVAL_NS = 30e9;

export function monitorOptions(storage: string, record: ContainerRecord): MonitorOptions {
  const store = new ContainerStore(storage);
  const paths = store.paths(record.Id);
  const host = record.HostConfig;
  const policy = host.RestartPolicy?.Name || 'no';
  const restart: RestartPolicyArg = policy === 'on-failure' && host.RestartPolicy?.MaximumRetryCount
    ? `on-failure:${host.RestartPolicy.MaximumRetryCount}`
    : policy;
  const logConfig = host.LogConfig?.Config ?? {};
  const cleaner = cleanerFor(storage, paths.dir);
  return {
    dir: paths.dir,
    id: record.Id,
    tty: record.Config.Tty === true,
    stdin: record.Config.OpenStdin === true,
    stdinOnce: record.Config.StdinOnce === true,
    logDriver: host.LogConfig?.Type ?? 'json-file',
    ...(logConfig['max-size'] ? { logMaxSize: parseSize(logConfig['max-size'], 'log-opt max-size') } : {}),
    ...(logConfig['max-file'] ? { logMaxFiles: parseCount(logConfig['max-file']) } : {}),
    restart,
    ...(hasHealthcheck(record) ? { healthIntervalMs: Math.max(1, Math.round((record.Config.Healthcheck?.Interval || DEFAULT_HEALTH_INTERVAL_NS) / 1e6)) } : {}),
    ...(cleaner !== undefined ? { cleaner } : {}),
    hook: [...tsRuncCommand(), '--root', record.Root, '--storage', storage, '--log', paths.hookLog, '--log-format', 'json', 'container', '_hook', record.Id],
  };
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new RuntimeError(`max-file ${JSON.stringify(text)}: expected a whole number ≥ 1`, { exitCode: 125 });
  return Number(text);
}

/** Polls until no monitor lives for `dir` (its last cleanup done); false on timeout. */
export async function waitForMonitorExit(dir: string, timeoutMs: number, name = dir, onPoll?: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 2;
  while (monitorAlive(join(dir, 'monitor.pid'))) {
    if (Date.now() > deadline) throw new RuntimeError(`container ${name}: its monitor is still finishing after ${timeoutMs / 1000} s`);
    await onPoll?.();
    await sleep(delay);
    delay = Math.min(delay * 2, 25);
  }
}
