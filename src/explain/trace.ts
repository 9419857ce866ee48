/**
 * `ts-runc explain --trace -b BUNDLE`: run the container for real (create, start, wait,
 * delete, as `run` does) with the init reporting each plan step's outcome and duration on
 * its log pipe (native/init/steps.c run_plan, debug-log.c), then print them beside the
 * explanation. The only mode of explain that changes the host, and it cleans up: the
 * container is deleted (--force) whatever happens.
 */
import { crypto } from '../crypto.js';
import { createContainer } from '../container/create.js';
import { deleteContainer } from '../container/delete.js';
import { waitInForeground } from '../container/foreground.js';
import { startContainer } from '../container/start.js';
import { resolve } from 'node:path';
import { RuntimeError, errorMessage } from '../errors.js';
import { loadSpec } from '../spec/load.js';
import { log } from '../log.js';
import type { NetworkRequest } from '../network/request.js';
import type { StepTrace } from '../process/init-process.js';
import type { StateStore } from '../state/container-state.js';

export interface TraceResult {
  id: string;
  /** by plan index */
  steps: Map<number, StepTrace>;
  exitStatus: number;
}

export interface TraceOptions {
  bundle: string;
  id?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  network?: NetworkRequest;
  /** where the container's stdout and stderr go (an fd); default: our stderr, so stdout stays the explanation */
  outputFd?: number;
}

export async function traceContainer(store: StateStore, options: TraceOptions): Promise<TraceResult> {
  if ((await loadSpec(resolve(options.bundle))).process?.terminal) {
    throw new RuntimeError('explain --trace: process.terminal is true in config.json; the trace runs the program with its output on stderr, ' +
      'not on a terminal: set "terminal": false');
  }
  const id = options.id ?? `explain-${crypto().randomBytes(4).toString('hex')}`;
  const steps = new Map<number, StepTrace>();
  const output = options.outputFd ?? 2;
  const { init } = await createContainer(store, {
    id,
    bundle: options.bundle,
    noPivot: options.noPivot,
    noNewKeyring: options.noNewKeyring,
    network: options.network,
    foreground: true,
    stdio: { stdin: 'ignore', stdout: output, stderr: output },
    trace: (event) => steps.set(event.index, event),
  }); // a failed create undoes itself
  let exitStatus = -1;
  try {
    await startContainer(store, id);
    exitStatus = await waitInForeground(init, undefined);
    // The last lines may still be in the pipe when stage 0's exit is seen.
    await Promise.race([init.logClosed, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  } finally {
    try {
      await deleteContainer(store, id, true);
    } catch (error) {
      log().warn(`explain --trace: delete ${id}: ${errorMessage(error)}`);
    }
  }
  return { id, steps, exitStatus };
}

/** "12.3 µs done", "1.20 ms FAILED: …" */
export function formatTrace(event: StepTrace): string {
  const us = event.ns / 1000;
  const time = us < 1000 ? `${us.toFixed(1)} µs` : `${(us / 1000).toFixed(2)} ms`;
  return event.result === 'done' ? time : `${time} FAILED: ${event.message ?? ''}`;
}
