/**
 * `container wait` (POST /containers/{id}/wait?condition=…): block until the container
 *   not-running  is not running (at once if it is not), the default
 *   next-exit    exits next (a restart by policy counts as an exit)
 *   removed      is removed (by rm, or by --rm's cleanup)
 * and give its exit code. Polls the merged state: the monitor may come and go meanwhile
 * (a restart, a `start` from another shell), and the state files say it all; a new event
 * (events.ts eventsAlarm) brings the next poll forward.
 */
import { containerView } from '../containers/status.js';
import { ContainerStore } from '../containers/store.js';
import { eventsAlarm, eventsEnd, exitCodeDiedSince } from '../events.js';

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string };
}

export async function waitContainer(storage: string, reference: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<WaitResult> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  // where the events file ends now: a container removed between two polls (--rm's
  // cleanup takes ~50 ms) is found exited in its `die` event (exitCode) written since
  const eventsAt = eventsEnd(storage);
  const first = containerView(store, record);
  const finishedBefore = first.state.FinishedAt;
  const restartsBefore = first.RestartCount;
  let last = first;
  let delay = 10;
  // each poll sooner when an event (die, destroy) comes
  const alarm = eventsAlarm(storage);
  try {
    for (;;) {
      signal?.throwIfAborted();
      const current = store.tryRead(record.Id);
      if (!current) return removedExit(storage, record.Id, eventsAt, last);
      const view = containerView(store, current);
      last = view;
      const notRunning = !view.state.Running && !view.state.Restarting && view.state.Status !== 'paused';
      switch (condition) {
        case 'not-running':
          // a container never started counts as not running only once it is stopped: Docker waits for created ones
          if (notRunning && view.state.Status !== 'created') return result(view.state.ExitCode, view.state.Error);
          break;
        case 'next-exit':
          if (view.state.FinishedAt !== finishedBefore || view.RestartCount !== restartsBefore) {
            if (view.state.Status !== 'running' || view.RestartCount !== restartsBefore) return result(view.state.ExitCode, view.state.Error);
          }
          break;
        case 'removed':
          break;
      }
      await alarm.sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  } finally {
    alarm.close();
  }
}

/**
 * A container that is gone: the exit code of its last `die` event since `offset` (the wait
 * may never have seen it running, let alone exited: `docker run --rm` waits before it
 * starts), else what was last seen.
 */
function removedExit(storage: string, id: string, offset: number, last: ReturnType<typeof containerView>): WaitResult {
  const code = exitCodeDiedSince(storage, id, offset);
  return code !== undefined ? result(code, '') : result(last.state.ExitCode, last.state.Error);
}

function result(code: number, error: string): WaitResult {
  return { StatusCode: code, ...(error ? { Error: { Message: error } } : {}) };
}
