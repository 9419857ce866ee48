/**
 * `container stop`, `kill` and `restart` (POST /containers/{id}/stop|kill|restart).
 *
 * stop: the monitor is told NO_RESTART first (a restart policy never undoes a user's stop;
 * the record says StoppedByUser, so `start --all` leaves it too), then the container's
 * init gets its stop signal (--stop-signal, else the image's StopSignal, else SIGTERM);
 * after the timeout (-t, else --stop-timeout, else 10 s) SIGKILL, which the monitor records
 * as exit 137. Returns once the monitor has run the cleanup and gone, so a `start` or
 * `rm` right after finds the container whole.
 *
 * The signal goes through the runtime's kill (src/container/kill.ts), which signals only
 * the init whose start time it recorded: never a recycled pid.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../../errors.js';
import { killContainer as runtimeKill } from '../../container/kill.js';
import { resumeContainer } from '../../container/resume.js';
import { parseSignal } from '../../process/signals.js';
import { StateStore } from '../../state/container-state.js';
import { containerView, type ContainerView } from '../containers/status.js';
import { ContainerStore } from '../containers/store.js';
import { MonitorClient } from '../monitor/client.js';
import { waitForMonitorExit } from './start.js';
import { recordContainerEvent } from '../events.js';

export interface StopOptions {
  /** seconds to wait before SIGKILL; -1 waits forever, as Docker's */
  timeout?: number;
  /** overrides the container's StopSignal */
  signal?: string;
}

const DEFAULT_STOP_TIMEOUT = 10;

export async function stopContainer(storage: string, reference: string, options: StopOptions = {}): Promise<void> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  store.update(record.Id, (current) => {
    current.StoppedByUser = true;
  });
  const view = containerView(store, record);
  if (!view.monitorAlive) return;
  await tellNoRestart(store, record.Id);
  if (view.state.Running) {
    const signal = parseSignal(options.signal ?? record.Config.StopSignal ?? 'SIGTERM');
    const timeout = options.timeout ?? record.Config.StopTimeout ?? DEFAULT_STOP_TIMEOUT;
    // A restarting container may have no process yet (its init hook is creating one, or it
    // waits out a back-off that NO_RESTART cancels): the signal goes once there is one.
    let signalled = signalInit(record.Root, record.Id, signal, view);
    const stopped = await waitUntilStopped(store, record.Id, timeout < 0 ? Infinity : timeout * 1000, () => {
      signalled ||= signalInit(record.Root, record.Id, signal, view);
    });
    if (!stopped) {
      let killed = false;
      await waitUntilStopped(store, record.Id, 60_000, () => {
        killed ||= signalInit(record.Root, record.Id, parseSignal('SIGKILL'), view);
      });
    }
  }
  await waitForMonitorExit(store.paths(record.Id).dir, 60_000, record.Name.slice(1));
  recordContainerEvent(storage, 'stop', record);
}

/** `kill -s`: a signal (default SIGKILL) to the init; the restart policy is turned off too. */
export async function killContainer(storage: string, reference: string, signal = 'SIGKILL'): Promise<void> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const number = parseSignal(signal);
  const view = containerView(store, record);
  if (!view.state.Running || !view.monitorAlive) throw new RuntimeError(`cannot kill container ${record.Name.slice(1)}: it is not running`);
  store.update(record.Id, (current) => {
    current.StoppedByUser = true;
  });
  await tellNoRestart(store, record.Id);
  signalInit(record.Root, record.Id, number, view);
  recordContainerEvent(storage, 'kill', record, { signal: String(number) });
}

export async function restartContainer(storage: string, reference: string, options: StopOptions = {}): Promise<void> {
  await stopContainer(storage, reference, options);
  const { startContainer } = await import('./start.js');
  await startContainer(storage, reference);
}

async function tellNoRestart(store: ContainerStore, id: string): Promise<void> {
  let client: MonitorClient;
  try {
    client = await MonitorClient.connect(store.paths(id).dir);
  } catch {
    return; // gone meanwhile: nothing left to restart
  }
  client.noRestart();
  await client.closeAndWait();
}

/**
 * The runtime's kill of the init; a paused container is thawed after, so it can act on it.
 * Whether a process got the signal: not when there is none (exited, or a restart's still
 * being created), which is no error.
 */
function signalInit(root: string, id: string, signal: number, view: ContainerView): boolean {
  const runtime = new StateStore(root);
  if (!runtime.exists(id)) return false;
  try {
    runtimeKill(runtime, id, signal, false);
  } catch (error) {
    if (error instanceof RuntimeError && /not running|being created|does not exist/.test(error.message)) return false;
    throw error;
  }
  if (view.state.Paused) resumeContainer(runtime, id);
  return true;
}

/** Polls the merged state until the container no longer runs (its exit recorded). */
async function waitUntilStopped(store: ContainerStore, id: string, timeoutMs: number, onPoll?: () => void): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    const record = store.tryRead(id);
    if (!record) return true;
    const view = containerView(store, record);
    if (!view.state.Running) return true;
    onPoll?.();
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 100);
  }
}

