/**
 * Starting a container's monitor (native/monitor/, the contract in src/engine/README.md).
 *
 * The monitor daemonizes itself (setsid, double fork), so it outlives the ts-runc command
 * that spawns it and is nobody's child; we only wait until it writes "ready" on the pipe
 * we gave it as --ready-fd, or tells us why it could not ("error: …"), and let it go.
 * Arguments it refuses before daemonizing come on its stderr.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { RuntimeError } from '../../errors.js';
import { monitorBinary } from '../binaries.js';

export type RestartPolicyArg = 'no' | 'always' | 'unless-stopped' | 'on-failure' | `on-failure:${number}`;

export interface MonitorOptions {
  /** the container's directory: state.json, container.log, attach.sock go there */
  dir: string;
  id: string;
  tty?: boolean;
  /** keep a stdin pipe open for attach (-i) */
  stdin?: boolean;
  /** close the container's stdin when the first client that wrote to it leaves */
  stdinOnce?: boolean;
  logDriver?: 'json-file' | 'none';
  /** rotate container.log at this many bytes (0: never) */
  logMaxSize?: number;
  /** keep this many files in all, container.log included */
  logMaxFiles?: number;
  restart?: RestartPolicyArg;
  /** run `HOOK health` this often while the container runs */
  healthIntervalMs?: number;
  /** exit if no START comes within this many ms (default: native/monitor/child.c START_WAIT_MS, 2 min) */
  startWaitMs?: number;
  /** a unix socket, relative to `dir`, where this process takes the container's cleanups (lifecycle/cleaner.ts) */
  cleaner?: string;
  /** the hook's argv; the monitor appends "init", "cleanup" or "health" */
  hook: string[];
  /** the monitor's (and so the hooks') environment; process.env by default */
  env?: NodeJS.ProcessEnv;
  /** how long to wait for "ready" */
  timeoutMs?: number;
}

/** The monitor's argv (without the binary); the ready fd is always 3. */
export function monitorArgs(o: MonitorOptions): string[] {
  if (o.hook.length === 0) throw new RuntimeError('monitor: the hook command is empty', { exitCode: 125 });
  const args = ['--dir', o.dir, '--id', o.id, '--ready-fd', '3'];
  if (o.tty) args.push('--tty');
  if (o.stdin) args.push('--stdin');
  if (o.stdinOnce) args.push('--stdin-once');
  if (o.logDriver) args.push('--log-driver', o.logDriver);
  if (o.logMaxSize !== undefined) args.push('--log-max-size', String(o.logMaxSize));
  if (o.logMaxFiles !== undefined) args.push('--log-max-files', String(o.logMaxFiles));
  if (o.restart) args.push('--restart', o.restart);
  if (o.healthIntervalMs) args.push('--health-interval-ms', String(o.healthIntervalMs));
  if (o.startWaitMs) args.push('--start-wait-ms', String(o.startWaitMs));
  if (o.cleaner) args.push('--cleaner', o.cleaner);
  return [...args, '--', ...o.hook];
}

function collect(stream: Readable | null | undefined): { text: () => string; ended: Promise<void> } {
  let text = '';
  const ended = new Promise<void>((resolve) => {
    if (!stream) return resolve();
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve();
    });
    stream.on('end', resolve);
    stream.on('error', () => resolve());
  });
  return { text: () => text, ended };
}

/** Spawns the monitor; resolves once it listens on attach.sock and has written state.json. */
export async function spawnMonitor(o: MonitorOptions): Promise<void> {
  const child = spawn(monitorBinary(), monitorArgs(o), {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: o.env ?? process.env,
  });
  child.unref();
  const ready = collect(child.stdio[3] as Readable | null);
  const stderr = collect(child.stderr);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const timeoutMs = o.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([ready.ended.then(() => 'ended' as const), spawnError, timedOut]);
    if (outcome instanceof Error) {
      throw new RuntimeError(`container ${o.id}: cannot run the monitor ${monitorBinary()}: ${outcome.message}`, { exitCode: 125, cause: outcome });
    }
    if (outcome === 'timeout') throw new RuntimeError(`container ${o.id}: the monitor was not ready within ${timeoutMs} ms`, { exitCode: 125 });
    const line = ready.text().split('\n')[0] ?? '';
    if (line === 'ready') return;
    // Not ready: the reason is on the ready pipe (after daemonizing) or on stderr (before).
    await Promise.race([stderr.ended, new Promise((resolve) => setTimeout(resolve, 1000))]);
    const reason = (line.replace(/^error: /, '') || stderr.text().trim().replace(/^error: /, '')) || 'it exited before it was ready';
    throw new RuntimeError(`container ${o.id}: monitor: ${reason}`, { exitCode: 125 });
  } finally {
    clearTimeout(timer);
    child.stdio[3]?.destroy();
    child.stderr?.destroy();
  }
}
