/**
 * `ts-runc container run [OPTIONS] IMAGE [COMMAND] [ARG...]`: create + start; in the
 * foreground attached to the container until it exits, with its exit code; `-d` prints
 * the 64-hex id and leaves (nothing of the container's output reaches our terminal: it
 * goes to the monitor and the log). Docker's codes: 125 when ts-runc fails, 126/127 when
 * the command cannot be run / is not found, else the container's.
 * A run that fails leaves nothing: the container it created is removed.
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import type { Command } from '../command.js';
import { CREATE_FLAGS, RUN_ONLY_FLAGS, parseRunFlags } from './run-flags.js';
import { runAttached } from './run-attached.js';

export const command: Command = {
  synopsis: '[options] IMAGE [COMMAND] [ARG...]',
  summary: 'create and start a container (docker run)',
  flags: [...CREATE_FLAGS, ...RUN_ONLY_FLAGS],
  async run({ globals }, argv) {
    const invocation = parseRunFlags(argv, 'run');
    const { request } = invocation;
    if (request.config.Tty && invocation.attach.stdin && !process.stdin.isTTY) {
      throw new RuntimeError('the input device is not a TTY (drop -t, or run from a terminal)', { exitCode: 1 });
    }
    const { createContainer } = await import('../../engine/lifecycle/create.js');
    const { Id } = await createContainer(globals.storage, globals.root, request);
    try {
      if (invocation.detach) {
        const { startContainer } = await import('../../engine/lifecycle/start.js');
        await startContainer(globals.storage, Id);
        process.stdout.write(`${Id}\n`);
        return 0;
      }
      return await runAttached(globals.storage, Id, invocation);
    } catch (error) {
      await removeQuietly(globals.storage, Id);
      throw error instanceof RuntimeError ? error : new RuntimeError(errorMessage(error), { exitCode: 125, cause: error });
    }
  },
};

/** A run that failed to start leaves nothing (it may already be gone: --rm's cleanup). */
async function removeQuietly(storage: string, id: string): Promise<void> {
  const { removeContainer } = await import('../../engine/lifecycle/remove.js');
  try {
    await removeContainer(storage, id, { force: true, volumes: true });
  } catch {
    // no such container: --rm removed it
  }
}
