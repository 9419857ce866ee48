/**
 * `run`: create + start, then (unless --detach) wait for the container to exit, pass its
 * exit status on (128+N for death by signal N) and delete it (unless --keep).
 *
 * With process.terminal and no --console-socket, the container's pty is attached to our
 * own terminal (process/console.ts), as `runc run` does.
 */
import { resolve } from 'node:path';
import { RuntimeError } from '../errors.js';
import { ConsoleListener } from '../process/console.js';
import { loadSpec } from '../spec/load.js';
import type { StateStore } from '../state/container-state.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { waitInForeground } from './foreground.js';
import { startContainer } from './start.js';

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}

export async function runContainer(store: StateStore, options: RunOptions): Promise<number> {
  // Loaded once here, to see process.terminal, and handed to create.
  const spec = await loadSpec(resolve(options.bundle));
  const terminal = !options.consoleSocket && spec.process?.terminal === true;
  if (terminal && options.detach) {
    throw new RuntimeError('cannot allocate tty if ts-runc will detach without setting console socket');
  }
  const listener = terminal ? new ConsoleListener() : undefined;
  let master: number | undefined;
  let init;
  try {
    ({ init } = await createContainer(store, {
      ...options,
      spec,
      consoleSocket: listener?.path ?? options.consoleSocket,
      foreground: !options.detach,
    }));
    master = listener?.receiveMaster();
  } finally {
    listener?.close();
  }
  try {
    await startContainer(store, options.id);
  } catch (error) {
    await deleteContainer(store, options.id, true);
    throw error;
  }
  if (options.detach) {
    init.release();
    return 0;
  }
  const status = await waitInForeground(init, master);
  if (!options.keep) await deleteContainer(store, options.id, true);
  return status;
}
