/**
 * `ts-runc system service`: the Engine API on a unix socket (or, when asked, TCP), so the
 * docker CLI, docker-compose, docker-py and testcontainers drive ts-runc unmodified.
 *
 * Node's http server on a net listener; no framework: the router is a table (router.ts),
 * each handler a thin translation onto the same library functions the CLI calls. The
 * service holds no container: each has its own monitor (src/engine/README.md), so killing
 * or stopping the service leaves them running, and a new service finds them all on disk.
 *
 * One service per --storage: <storage>/engine/service.lock is flock(2)ed for the service's
 * life (the kernel drops it when the process dies, so a kill -9 leaves no stale lock).
 */
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import { crypto } from '../crypto.js';
import type { Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { RuntimeError, errorMessage } from '../errors.js';
import { log, type Log } from '../log.js';
import { tryLockExclusive } from '../sys/libc.js';
import { parseGroup } from '../image/users.js';
import { ApiError, Query, sendError, statusOf } from './http.js';
import { Router, notImplemented } from './router.js';
import type { ApiContext } from './context.js';
import { systemRoutes } from './handlers/system.js';
import { imageRoutes } from './handlers/images.js';
import { networkRoutes } from './handlers/networks.js';
import { volumeRoutes } from './handlers/volumes.js';
import { containerRoutes } from './handlers/containers.js';
import { buildRoutes } from './handlers/build.js';
import { execRoutes } from './handlers/exec.js';
import { archiveRoutes } from './handlers/archive.js';
import { containerViewRoutes } from './handlers/container-views.js';
import { destroyHijacked, setUpgrade } from './hijack.js';

export const DEFAULT_HOST = 'unix:///run/ts-runc/docker.sock';

export interface ServiceOptions {
  /** unix:///path.sock or tcp://127.0.0.1:PORT */
  host: string;
  storage: string;
  root: string;
  /** a group whose members may use the socket (its gid owns it; mode 0660) */
  group?: string;
  pidFile?: string;
}

export interface RunningService {
  server: Server;
  /** where it listens, as given */
  host: string;
  ctx: ApiContext;
  close(): Promise<void>;
}

export type Listen = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

export function parseHost(host: string): Listen {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length);
    if (!path.startsWith('/')) throw new RuntimeError(`--host ${host}: the socket path must be absolute (unix:///run/ts-runc/docker.sock)`);
    return { kind: 'unix', path };
  }
  const tcp = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)\/?$/.exec(host);
  if (tcp) {
    const port = Number(tcp[2]);
    if (port < 1 || port > 65535) throw new RuntimeError(`--host ${host}: port must be 1-65535`);
    return { kind: 'tcp', host: tcp[1]!.replace(/^\[|\]$/g, ''), port };
  }
  throw new RuntimeError(`--host ${JSON.stringify(host)}: use unix:///path.sock or tcp://127.0.0.1:PORT`);
}

export function makeRouter(): Router {
  const router = new Router();
  systemRoutes(router);
  containerRoutes(router);
  execRoutes(router);
  archiveRoutes(router);
  containerViewRoutes(router);
  imageRoutes(router);
  networkRoutes(router);
  volumeRoutes(router);
  buildRoutes(router);
  // Endpoints of the API that belong to features ts-runc does not have: a clear 501.
  for (const [method, path, what] of [
    ['GET', '/swarm', 'swarm mode'], ['POST', '/swarm/init', 'swarm mode'], ['POST', '/swarm/join', 'swarm mode'],
    ['GET', '/nodes', 'swarm mode'], ['GET', '/services', 'swarm mode'], ['GET', '/tasks', 'swarm mode'],
    ['GET', '/secrets', 'swarm mode'], ['GET', '/configs', 'swarm mode'], ['GET', '/plugins', 'plugins'],
    ['POST', '/session', 'buildkit sessions'], ['GET', '/distribution/:name*/json', 'registry manifest inspection'],
    ['GET', '/containers/:id/checkpoints', 'checkpoints'], ['POST', '/containers/:id/checkpoints', 'checkpoints'],
  ] as const) router.add(method, path, notImplemented(`${method} ${path}`, `${what} is not supported by ts-runc`));
  return router;
}

/** The engine's id (/info ID): made once per --storage, kept. */
function engineId(storage: string): string {
  const file = join(storage, 'engine', 'engine-id');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    const id = crypto().randomBytes(32).toString('hex');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, `${id}\n`, { mode: 0o600 });
    return id;
  }
}

/** Holds <storage>/engine/service.lock for the life of the process; refuses a second service. */
function takeServiceLock(storage: string): number {
  const file = join(storage, 'engine', 'service.lock');
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const fd = openSync(file, 'a', 0o600);
  if (!tryLockExclusive(fd, `lock ${file}`)) {
    closeSync(fd);
    let holder = '';
    try {
      holder = readFileSync(join(storage, 'engine', 'service.pid'), 'utf8').trim();
    } catch {
      // no pid recorded: say only that one runs
    }
    throw new RuntimeError(`another ts-runc system service${holder ? ` (pid ${holder})` : ''} is already serving --storage ${storage}`);
  }
  writeFileSync(join(storage, 'engine', 'service.pid'), `${process.pid}\n`);
  return fd;
}

function groupId(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const entry = parseGroup(readFileSync('/etc/group', 'utf8')).find((g) => g.name === name);
  if (!entry) throw new RuntimeError(`--group ${name}: no such group in /etc/group`);
  return entry.gid;
}

async function dispatch(router: Router, ctx: ApiContext, req: IncomingMessage, res: ServerResponse, upgrade?: { socket: Socket; head: Buffer }): Promise<void> {
  const started = Date.now();
  const url = new URL(req.url ?? '/', 'http://localhost');
  try {
    const { handler, params, version } = router.match(req.method ?? 'GET', url.pathname);
    if (upgrade) setUpgrade(req, upgrade.socket, upgrade.head);
    await handler({ req, res, params, query: new Query(url.searchParams), ctx, version });
  } catch (error) {
    const status = statusOf(error);
    const message = errorMessage(error);
    if (status >= 500 && !(error instanceof ApiError)) ctx.log.error(`${req.method} ${url.pathname}: ${message}`, { stack: error instanceof Error ? error.stack : undefined });
    sendError(res, status, message);
  } finally {
    ctx.log.debug(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
  }
}

export async function startService(options: ServiceOptions, logger: Log = log()): Promise<RunningService> {
  const listen = parseHost(options.host);
  const gid = options.group !== undefined ? groupId(options.group) : 0;
  const lockFd = takeServiceLock(options.storage);
  const ctx: ApiContext = { storage: options.storage, root: options.root, engineId: engineId(options.storage), startedAt: new Date().toISOString(), log: logger };
  const router = makeRouter();
  const server = createServer({ keepAlive: true });
  server.on('request', (req, res) => {
    void dispatch(router, ctx, req, res);
  });
  // `Connection: Upgrade` (attach, exec start): Node hands over the raw socket; a response
  // bound to it answers errors, and hijack.ts writes the 101 when a handler takes it.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket);
    res.shouldKeepAlive = false;
    void dispatch(router, ctx, req, res, { socket, head });
  });
  server.on('clientError', (error, socket) => {
    if (socket.writable) socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ message: errorMessage(error) })}`);
  });
  // no timeout: logs -f, events and attach streams stay open as long as the client wants
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.timeout = 0;

  try {
    if (listen.kind === 'unix') {
      mkdirSync(dirname(listen.path), { recursive: true, mode: 0o755 });
      // the lock is ours, so a socket file left there is a dead service's
      if (existsSync(listen.path)) unlinkSync(listen.path);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // umask-free: the socket is made, then chmod'ed before anyone is told it is up
        server.listen(listen.path, () => resolve());
      });
      chownSync(listen.path, 0, gid);
      chmodSync(listen.path, 0o660);
    } else {
      logger.warn(`listening on ${options.host} WITHOUT TLS OR AUTHENTICATION: whoever can connect to it is root on this machine`);
      process.stderr.write(`ts-runc: WARNING: the Engine API on ${options.host} has no authentication; anyone who can connect to it has root on this host\n`);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(listen.port, listen.host, () => resolve());
      });
    }
  } catch (error) {
    closeSync(lockFd);
    throw new RuntimeError(`system service: cannot listen on ${options.host}: ${errorMessage(error)}`);
  }
  if (options.pidFile) writeFileSync(options.pidFile, `${process.pid}\n`);
  // The containers this service starts are cleaned up here when they exit, not by a new
  // Node process per container (engine/lifecycle/cleaner.ts); without it, by their hooks.
  const { serveCleanups, stopServingCleanups } = await import('../engine/lifecycle/cleaner.js');
  await serveCleanups(options.storage).catch((error: unknown) => logger.warn(`cleanups by the hooks only: ${errorMessage(error)}`));
  logger.info(`API listening on ${options.host}`, { storage: options.storage, root: options.root, pid: process.pid });
  // As dockerd at boot: containers with restart policy always/unless-stopped that are not
  // running (a reboot, a killed monitor) are started again, by the same function as
  // `ts-runc container start --all`. In the background: the socket answers meanwhile.
  void import('../engine/lifecycle/start.js').then(({ startAll }) => startAll(options.storage)).then(({ started, failed }) => {
    if (started.length > 0) logger.info(`restart policy: started ${started.length} container(s)`, { ids: started });
    for (const f of failed) logger.warn(`restart policy: could not start ${f.id}: ${f.error}`);
  }, (error: unknown) => logger.warn(`restart policy: ${errorMessage(error)}`));

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      // streams (logs -f, events, attach) would hold close() forever: end them
      server.closeAllConnections();
      destroyHijacked();
    }).then(stopServingCleanups).then(() => {
      if (listen.kind === 'unix') rmSync(listen.path, { force: true });
      if (options.pidFile) rmSync(options.pidFile, { force: true });
      rmSync(join(options.storage, 'engine', 'service.pid'), { force: true });
      closeSync(lockFd);
      logger.info('API service stopped (containers keep running under their monitors)');
    });
    return closing;
  };
  return { server, host: options.host, ctx, close };
}
