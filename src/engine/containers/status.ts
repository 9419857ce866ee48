/**
 * A container's live state as Docker shows it (inspect's `State`, ls's STATUS), merged
 * from four sources, each trusted for what only it knows:
 *
 *   record.json      the container exists (and was never started if there is no state.json)
 *   state.json       what the monitor last wrote: running/restarting/exited, pid, exit code,
 *                    times, restart count, OOM kill, error (src/engine/README.md)
 *   monitor.pid      whether that monitor still lives ("<pid> <starttime>", checked against
 *                    /proc/<pid>/stat so a recycled pid is not taken for it)
 *   the runtime      paused: the container's cgroup freezer, through --root's state
 *
 * A state.json that says running or restarting while its monitor is gone (the host
 * rebooted, or someone killed the monitor) is shown as exited with ExitCode 255, as Docker
 * shows a container whose daemon died under it, and an Error saying why. `container start`
 * brings such a container back (lifecycle/start.ts removes the runtime's leftovers first).
 */
import { readFileSync } from 'node:fs';
import { freezerState } from '../../cgroups/freezer.js';
import { StateStore } from '../../state/container-state.js';
import type { ContainerRecord, ContainerStatus, MonitorState } from '../types.js';
import { monitorAlive, readMonitorState } from '../monitor/state.js';
import type { ContainerStore } from './store.js';

/** Go's zero time, which Docker shows for a StartedAt/FinishedAt that never happened. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** The ExitCode Docker records for a container whose keeper died under it. */
export const EXIT_MONITOR_GONE = 255;

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** health.json, written by the health hook (lifecycle/health.ts). */
export interface HealthState {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

/** inspect's State object. */
export interface DockerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: HealthState;
}

export interface ContainerView {
  record: ContainerRecord;
  state: DockerState;
  RestartCount: number;
  /** whether a monitor lives for it (then stop/kill/attach talk to it) */
  monitorAlive: boolean;
}

export function readHealth(path: string): HealthState | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as HealthState;
  } catch {
    return undefined;
  }
}

/**
 * The merge itself, pure, so the unit tests can hold every case: `paused` is asked only
 * when the result would be running (it reads the cgroup freezer).
 */
export function mergeState(
  monitor: MonitorState | undefined,
  monitorAlive: boolean,
  paused: () => boolean,
  health?: HealthState,
): { state: DockerState; restartCount: number } {
  const base: DockerState = {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
  if (!monitor) return { state: base, restartCount: 0 };
  const state: DockerState = {
    ...base,
    OOMKilled: monitor.OOMKilled,
    ExitCode: monitor.ExitCode,
    Error: monitor.Error,
    StartedAt: monitor.StartedAt || ZERO_TIME,
    FinishedAt: monitor.FinishedAt || ZERO_TIME,
  };
  const live = monitor.Status === 'running' || monitor.Status === 'restarting';
  if (live && !monitorAlive) {
    state.Status = 'exited';
    state.ExitCode = EXIT_MONITOR_GONE;
    state.Error = 'the container\'s monitor is gone (host rebooted, or it was killed): the container stopped without an exit status';
    if (state.FinishedAt === ZERO_TIME || state.FinishedAt < state.StartedAt) state.FinishedAt = state.StartedAt;
  } else if (monitor.Status === 'running') {
    state.Status = 'running';
    state.Running = true;
    state.Pid = monitor.Pid;
    state.FinishedAt = ZERO_TIME;
    if (paused()) {
      state.Status = 'paused';
      state.Paused = true;
    }
  } else if (monitor.Status === 'restarting') {
    state.Status = 'restarting';
    state.Restarting = true;
    // Docker shows Running true while it restarts (the container is not stopped by policy)
    state.Running = true;
  } else {
    state.Status = monitor.Status;
  }
  if (health && (state.Running || state.Status === 'exited')) state.Health = health;
  return { state, restartCount: monitor.RestartCount };
}

/** The whole view of one container: record + live state. */
export function containerView(store: ContainerStore, record: ContainerRecord): ContainerView {
  const paths = store.paths(record.Id);
  const alive = monitorAlive(paths.monitorPid);
  const monitor = readMonitorState(paths.state);
  const hasHealth = (record.Config.Healthcheck?.Test ?? []).length > 0 && record.Config.Healthcheck?.Test?.[0] !== 'NONE';
  const { state, restartCount } = mergeState(monitor, alive, () => runtimePaused(record), hasHealth ? readHealth(paths.health) : undefined);
  return { record, state, RestartCount: restartCount, monitorAlive: alive };
}

/** Whether the runtime (in the record's --root) reports the container paused (its cgroup freezer). */
function runtimePaused(record: ContainerRecord): boolean {
  const runtime = new StateStore(record.Root);
  if (!runtime.exists(record.Id)) return false;
  const freezer = freezerState(runtime.read(record.Id).cgroupPaths);
  return freezer === 'frozen' || freezer === 'freezing';
}
