/**
 * Cleanups done by this process instead of a hook (issue 14). When a container exits, its
 * monitor runs `ts-runc container _hook <id> cleanup`: a new Node process, ~45 ms, most of
 * it Node's own start, on the way of every `docker rm` and `docker run --rm`. A process
 * that has the engine loaded anyway and outlives the container's exit (the Engine API
 * service; a `container run` attached in the foreground) offers to do it: it listens on
 * <storage>/engine/cleaners/<pid>.sock, and the monitors of the containers it starts get
 * that socket (--cleaner, native/monitor/cleaner.c). The request is one JSON line,
 * {"id":…,"exitCode":N,"restarting":bool}; the answer the hook's own report,
 * {"oomKilled":bool}, from the same cleanupContainer the hook calls.
 *
 * Nothing depends on it: once this process has gone (the monitor's connect fails), or if it
 * answers with an error or not within 30 s, the monitor runs the hook as before.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { log } from '../../log.js';
import { isFullId } from '../containers/ids.js';
import { ContainerStore } from '../containers/store.js';
import { engineDir } from '../paths.js';
import { setServedCleaner } from './cleaner-socket.js';
import { cleanupContainer } from './hook-cleanup.js';

let serving: { path: string; server: Server } | undefined;

/** Starts taking this storage's cleanups (once per process); stops by itself at exit. */
export async function serveCleanups(storage: string): Promise<void> {
  if (serving) return;
  const dir = join(engineDir(storage), 'cleaners');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${process.pid}.sock`);
  rmSync(path, { force: true }); // a process of this pid before a reboot
  const server = createServer((socket) => answer(storage, socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  // It never keeps the process alive: a `container run` ends when its container does.
  server.unref();
  serving = { path, server };
  setServedCleaner({ storage, path });
  process.once('exit', () => rmSync(path, { force: true }));
}

/** Stops taking cleanups (the service's shutdown); the monitors then run their hooks. */
export async function stopServingCleanups(): Promise<void> {
  const current = serving;
  serving = undefined;
  setServedCleaner(undefined);
  if (!current) return;
  await new Promise<void>((resolve) => current.server.close(() => resolve()));
  rmSync(current.path, { force: true });
}

interface Request {
  id: string;
  exitCode: number;
  restarting: boolean;
}

function answer(storage: string, socket: Socket): void {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    text += chunk;
    const end = text.indexOf('\n');
    if (end < 0) {
      if (text.length > 4096) socket.destroy();
      return;
    }
    socket.removeAllListeners('data');
    void clean(storage, text.slice(0, end)).then((reply) => socket.end(`${JSON.stringify(reply)}\n`));
  });
}

async function clean(storage: string, line: string): Promise<{ oomKilled: boolean } | { error: string }> {
  let request: Request;
  try {
    request = JSON.parse(line) as Request;
    if (!isFullId(request.id) || !Number.isInteger(request.exitCode) || typeof request.restarting !== 'boolean') throw new Error('malformed');
  } catch {
    return { error: `not a cleanup request: ${JSON.stringify(line.slice(0, 200))}` };
  }
  try {
    const oomKilled = await cleanupContainer(new ContainerStore(storage), request.id, { exitCode: request.exitCode, restarting: request.restarting });
    return { oomKilled };
  } catch (error) {
    // the monitor runs the hook, which logs its own failure where the hook's go
    log().warn(`cleanup ${request.id}: ${errorMessage(error)}; the monitor's hook will try`);
    return { error: errorMessage(error) };
  }
}
