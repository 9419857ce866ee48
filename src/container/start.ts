/**
 * `start`: release the barrier. The init of a created container is blocked in accept(2)
 * on <state dir>/exec.sock; connecting lets it go on to exec the user's process. The init
 * keeps the connection open (close-on-exec) until then, so EOF means the execve
 * succeeded and an ERROR frame means it did not.
 */
import { connect } from 'node:net';
import { unlinkSync } from 'node:fs';
import { RuntimeError, errnoName } from '../errors.js';
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

  const socketPath = store.execSocket(id);
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    socket.on('connect', () => unlinkSync(socketPath));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (error) => reject(new RuntimeError(`start ${id}: connect to ${socketPath}: ${error.message}`, { cause: error })));
  });
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
