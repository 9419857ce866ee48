/**
 * What a container's monitor left on disk: state.json (the live state, only the monitor
 * writes it, always by rename, so a read never sees half a file) and monitor.pid
 * ("<pid> <starttime>": alive only while that pid runs with that start time, so a pid
 * recycled after a reboot or a crash never passes for the monitor).
 */
import { readFileSync } from 'node:fs';
import { RuntimeError, errorCode } from '../../errors.js';
import { isAlive } from '../../process/liveness.js';
import type { MonitorState } from '../types.js';

const STATUSES = new Set(['created', 'running', 'restarting', 'exited']);

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** The monitor's state file (`state`), or undefined when no monitor ever wrote one. */
export function readMonitorState(path: string): MonitorState | undefined {
  const text = readText(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new RuntimeError(`${path}: not JSON (${(error as Error).message})`);
  }
  const v = value as Partial<MonitorState> | null;
  if (!v || typeof v !== 'object' || typeof v.Status !== 'string' || !STATUSES.has(v.Status)) {
    throw new RuntimeError(`${path}: not a monitor state (Status missing or unknown)`);
  }
  return {
    Status: v.Status,
    Pid: Number(v.Pid ?? 0),
    ExitCode: Number(v.ExitCode ?? 0),
    StartedAt: String(v.StartedAt ?? ''),
    FinishedAt: String(v.FinishedAt ?? ''),
    RestartCount: Number(v.RestartCount ?? 0),
    OOMKilled: v.OOMKilled === true,
    Error: String(v.Error ?? ''),
  };
}

/** The live monitor's pid from its pid file (`monitorPid`), or undefined when none runs. */
export function monitorPid(pidFile: string): number | undefined {
  const text = readText(pidFile);
  const match = text?.trim().match(/^(\d+) (\d+)$/);
  if (!match) return undefined;
  const pid = Number(match[1]);
  return isAlive(pid, match[2]!) ? pid : undefined;
}

export function monitorAlive(pidFile: string): boolean {
  return monitorPid(pidFile) !== undefined;
}

/**
 * A monitor left idle by a `run`/`start` killed between spawning it and sending START: it
 * waits for a frame that never comes, and `rm`/`start` would wait for it in vain. Call
 * with the container's start lock held (no start is under way). A monitor is idle when
 * its state is not running/restarting and it has no child (no hook running: an init hook
 * means a START did arrive). SIGTERM makes a monitor never asked to start exit at once
 * (native/monitor/child.c, child_terminate). Returns whether one was told to go.
 */
export function dismissIdleMonitor(pidFile: string, stateFile: string): boolean {
  const pid = monitorPid(pidFile);
  if (pid === undefined) return false;
  const state = readMonitorState(stateFile);
  if (state && (state.Status === 'running' || state.Status === 'restarting')) return false;
  const children = readText(`/proc/${pid}/task/${pid}/children`);
  if (children === undefined || children.trim() !== '') return false;
  try {
    process.kill(pid, 'SIGTERM');
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') throw error;
  }
  return true;
}
