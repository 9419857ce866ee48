/**
 * `start`: release the barrier. runc's is one FIFO, exec.fifo; ours is two, so that no step
 * can wait forever. The init of a created container holds <state dir>/start.fifo and
 * report.fifo open for reading and writing (native/init/stage0.c open_fifo) and is blocked
 * reading one byte from start.fifo. Once it has it, a failed execve(2) comes back as an
 * ERROR frame on report.fifo, and a successful one closes the init's close-on-exec fd:
 * EOF. So, with plain file calls (no socket: node:net and its streams were 8 of the 41 ms
 * `start` took, issue 14):
 *
 *   1. rename start.fifo to a name of our own: of two concurrent `start`s one gets it,
 *      the other ENOENT;
 *   2. open report.fifo for writing, O_NONBLOCK: ENXIO if it has no reader, that is if the
 *      init is gone (fifo(7));
 *   3. open it for reading: a FIFO's open for reading waits for a writer, and there is one,
 *      ours;
 *   4. close our writer, leaving the init's: EOF now comes when the init execs or exits;
 *   5. write the byte into start.fifo (O_NONBLOCK again: ENXIO if the init just went);
 *   6. read report.fifo to its EOF, on the thread pool, as startContainer hooks run in
 *      between and a library caller's event loop must not wait on them (one of libuv's
 *      four threads is busy meanwhile).
 *
 * A step before 5 that fails gives start.fifo its name back, so the container can still be
 * started; only a `start` killed between 1 and 5 leaves it claimed, the init waiting, and
 * `delete --force` the way out.
 */
import { closeSync, constants, existsSync, openSync, read, renameSync, rmSync, writeSync } from 'node:fs';
import { RuntimeError, errnoName, errorCode } from '../errors.js';
import { log } from '../log.js';
import { runHook } from '../hooks/run-hooks.js';
import { MSG, MessageReader, decodeError } from '../process/protocol.js';
import type { StateStore } from '../state/container-state.js';
import { ociState, statusOf } from './status.js';

export async function startContainer(store: StateStore, id: string): Promise<void> {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status === 'stopped') throw new RuntimeError(`cannot start a container that has stopped`);
  if (status !== 'created') throw new RuntimeError(`cannot start an already ${status} container`);

  const startFifo = store.startFifo(id);
  const claimed = `${startFifo}.${process.pid}`;
  try {
    renameSync(startFifo, claimed);
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
    // made by a ts-runc from before the FIFOs: its init waits on a socket this one never connects to
    if (existsSync(store.legacyExecSocket(id))) throw new RuntimeError(`container ${id} was created by an older ts-runc; delete it and create it again`);
    throw new RuntimeError(`cannot start an already running container`);
  }
  const reportFifo = store.reportFifo(id);
  let writer: number | undefined;
  let reader: number | undefined;
  let sent = false;
  try {
    writer = openSync(reportFifo, constants.O_WRONLY | constants.O_NONBLOCK);
    reader = openSync(reportFifo, constants.O_RDONLY);
    const ours = writer;
    writer = undefined;
    closeSync(ours);
    const go = openSync(claimed, constants.O_WRONLY | constants.O_NONBLOCK);
    try {
      sent = writeSync(go, Buffer.of(0)) === 1;
      if (!sent) throw new RuntimeError(`write to ${claimed}: nothing written`);
    } finally {
      closeSync(go);
    }
  } catch (error) {
    if (writer !== undefined) closeSync(writer);
    if (reader !== undefined) closeSync(reader);
    if (errorCode(error) === 'ENXIO') throw new RuntimeError(`cannot start a container that has stopped`);
    throw new RuntimeError(`start ${id}: ${(error as Error).message}`, { cause: error });
  } finally {
    if (sent) {
      rmSync(claimed, { force: true });
      rmSync(reportFifo, { force: true });
    } else {
      try {
        renameSync(claimed, startFifo); // not started: startable again
      } catch {
        // the state directory went (a delete --force meanwhile): nothing to start
      }
    }
  }
  const reply = await readToEnd(reader).finally(() => closeSync(reader));
  const [message] = new MessageReader().push(reply);
  if (message?.type === MSG.ERROR) {
    const failure = decodeError(message.payload);
    throw new RuntimeError(`start ${id}: ${failure.op}: ${failure.errno ? `${errnoName(failure.errno)}: ` : ''}${failure.message}`);
  }

  state.started = true;
  store.write(state);
  // runtime.md#lifecycle: a failing poststart hook is logged; the container keeps running.
  const hookState = JSON.stringify(ociState(store, state, 'running'));
  for (const hook of state.hooks.poststart) {
    await runHook('poststart', hook, hookState).catch((error: Error) => log().warn(error.message));
  }
}

/** Everything read from `fd` up to EOF, each read(2) on the thread pool. */
function readToEnd(fd: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    const next = () => read(fd, Buffer.allocUnsafe(4096), 0, 4096, null, (error, n, buffer) => {
      if (error) reject(error);
      else if (n === 0) resolve(Buffer.concat(chunks));
      else {
        chunks.push(buffer.subarray(0, n));
        next();
      }
    });
    next();
  });
}
