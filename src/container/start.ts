/**
 * `start`: release the barrier. The init of a created container is blocked in accept(2)
 * on <state dir>/exec.sock; connecting lets it go on to exec the user's process. The init
 * keeps the connection open (close-on-exec) until then, so EOF means the execve
 * succeeded and an ERROR frame means it did not.
 */
import { connect } from 'node:net';
import { closeSync, openSync, unlinkSync } from 'node:fs';
import { basename, dirname } from 'node:path';
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
  // A path past sockaddr_un's 108 bytes (a long --root) is reached through its directory,
  // as the init bound it (native/init/stage0.c socket_address).
  let dirFd = Buffer.byteLength(socketPath) >= 108 ? openSync(dirname(socketPath), 'r') : undefined;
  const closeDir = () => {
    if (dirFd !== undefined) closeSync(dirFd);
    dirFd = undefined;
  };
  const reply = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect(dirFd === undefined ? socketPath : `/proc/self/fd/${dirFd}/${basename(socketPath)}`);
    const chunks: Buffer[] = [];
    socket.on('connect', () => {
      closeDir();
      unlinkSync(socketPath);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks)));
    socket.on('error', (error) => {
      closeDir();
      reject(new RuntimeError(`start ${id}: connect to ${socketPath}: ${error.message}`, { cause: error }));
    });
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
