/**
 * The containers group (Engine API "Container"): thin translations onto the engine's
 * library (src/engine/), the same functions `ts-runc container …` calls. Streams (attach,
 * logs) are in attach.ts and logs.ts; exec in exec.ts; docker cp's archive in archive.ts.
 */
import { ContainerStore, NoSuchContainer } from '../../engine/containers/store.js';
import { containerView } from '../../engine/containers/status.js';
import { inspectContainer } from '../../engine/inspect/inspect.js';
import { listContainers } from '../../engine/list/summary.js';
import { createContainer } from '../../engine/lifecycle/create.js';
import { removeContainer } from '../../engine/lifecycle/remove.js';
import { killContainer, restartContainer, stopContainer } from '../../engine/lifecycle/stop.js';
import { waitContainer, type WaitCondition } from '../../engine/lifecycle/wait.js';
import { containerStore, findContainer, recentExits, translate } from './container-ref.js';
import { errorMessage } from '../../errors.js';
import { parseCreateBody } from '../create-body.js';
import { ApiError, badRequest, notFound, readJson, sendJson, statusOf } from '../http.js';
import { type Call, type Router } from '../router.js';
import type { ApiContext } from '../context.js';
import { localImageName } from './images.js';
import { attach, resize, start } from './attach.js';
import { logs } from './logs.js';

export function containerRoutes(router: Router): void {
  router
    .add('GET', '/containers/json', list)
    .add('POST', '/containers/create', create)
    .add('GET', '/containers/:id/json', inspect)
    .add('POST', '/containers/:id/start', start)
    .add('POST', '/containers/:id/stop', stop)
    .add('POST', '/containers/:id/restart', restart)
    .add('POST', '/containers/:id/kill', kill)
    .add('POST', '/containers/:id/wait', wait)
    .add('DELETE', '/containers/:id', remove)
    .add('POST', '/containers/:id/attach', attach)
    .add('POST', '/containers/:id/resize', resize)
    .add('GET', '/containers/:id/logs', logs);
}

async function list({ res, query, ctx }: Call): Promise<void> {
  const filters = query.filters();
  const limit = query.int('limit', -1);
  try {
    sendJson(res, 200, await listContainers(ctx.storage, { all: query.bool('all'), limit: limit > 0 ? limit : undefined, size: query.bool('size'), filters: filters.values }));
  } catch (error) {
    if (/filter/i.test(errorMessage(error))) throw new ApiError(400, errorMessage(error));
    translate(error);
  }
}

async function create({ req, res, query, ctx }: Call): Promise<void> {
  const body = await readJson(req);
  const request = parseCreateBody(body, query.str('name'), query.str('platform'), localImageName);
  try {
    sendJson(res, 201, await createContainer(ctx.storage, ctx.root, request));
  } catch (error) {
    const message = errorMessage(error);
    // docker's CLI pulls the image on a 404 that says so
    if (/image/i.test(message) && statusOf(error) === 404) throw notFound(`No such image: ${request.config.Image}`);
    if (/name .*(in use|taken|already)/i.test(message) || /already in use/i.test(message)) throw new ApiError(409, `Conflict. ${message}`);
    translate(error);
  }
}

async function inspect({ res, params, query, ctx }: Call): Promise<void> {
  findContainer(ctx, params.id!);
  try {
    sendJson(res, 200, await inspectContainer(ctx.storage, params.id!, { size: query.bool('size') }));
  } catch (error) {
    translate(error);
  }
}

/** ?t=seconds (and the newer ?signal=); a stopped container is a 304, as dockerd's. */
async function stop({ res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const store = containerStore(ctx);
  if (!containerView(store, record).state.Running) {
    res.writeHead(304);
    res.end();
    return;
  }
  const t = query.str('t');
  try {
    await stopContainer(ctx.storage, record.Id, { ...(t !== undefined && t !== '' ? { timeout: query.int('t', 10) } : {}), ...(query.str('signal') ? { signal: query.str('signal') } : {}) });
  } catch (error) {
    translate(error);
  }
  res.writeHead(204);
  res.end();
}

async function restart({ res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const t = query.str('t');
  try {
    await restartContainer(ctx.storage, record.Id, { ...(t !== undefined && t !== '' ? { timeout: query.int('t', 10) } : {}), ...(query.str('signal') ? { signal: query.str('signal') } : {}) });
  } catch (error) {
    translate(error);
  }
  res.writeHead(204);
  res.end();
}

async function kill({ res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  if (!containerView(containerStore(ctx), record).state.Running) throw new ApiError(409, `Cannot kill container: ${params.id}: container ${record.Id} is not running`);
  try {
    await killContainer(ctx.storage, record.Id, query.str('signal') || 'SIGKILL');
  } catch (error) {
    if (/signal/i.test(errorMessage(error))) throw badRequest(errorMessage(error));
    translate(error);
  }
  res.writeHead(204);
  res.end();
}

async function wait({ req, res, params, query, ctx }: Call): Promise<void> {
  const condition = (query.str('condition') || 'not-running') as WaitCondition;
  if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw badRequest(`invalid condition ${JSON.stringify(condition)} (not-running, next-exit or removed)`);
  const store = containerStore(ctx);
  let record: ReturnType<ContainerStore['resolve']> | undefined;
  try {
    record = store.resolve(params.id!);
  } catch (error) {
    if (!(error instanceof NoSuchContainer)) throw error;
  }
  const late = [...recentExits.entries()].find(([id]) => id === params.id || id === record?.Id || (params.id!.length >= 12 && id.startsWith(params.id!)));
  if (!record) {
    // removed already: a late wait for a container this service started and saw exit
    if (late && condition !== 'not-running') {
      sendJson(res, 200, { StatusCode: late[1].StatusCode, ...(late[1].Error ? { Error: late[1].Error } : {}) });
      return;
    }
    throw notFound(`No such container: ${params.id}`);
  }
  // headers now, as dockerd: the client knows its wait is in place
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
  const view = containerView(store, record);
  if (condition === 'next-exit' && late && !late[1].waited && !view.state.Running) {
    late[1].waited = true;
    res.end(JSON.stringify({ StatusCode: late[1].StatusCode, ...(late[1].Error ? { Error: late[1].Error } : {}) }));
    return;
  }
  const abort = new AbortController();
  req.socket.on('close', () => abort.abort());
  try {
    const result = await waitContainer(ctx.storage, record.Id, condition, abort.signal);
    res.end(JSON.stringify(result));
  } catch (error) {
    if (abort.signal.aborted) return;
    res.end(JSON.stringify({ StatusCode: -1, Error: { Message: errorMessage(error) } }));
  }
}

async function remove({ res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  if (query.bool('link')) throw new ApiError(501, 'DELETE /containers/{id}?link=1: legacy links are not supported');
  try {
    await removeContainer(ctx.storage, record.Id, { force: query.bool('force'), volumes: query.bool('v') });
  } catch (error) {
    if (/stop it|is running|is restarting|is paused/i.test(errorMessage(error))) {
      throw new ApiError(409, `cannot remove container "${record.Name}": container is running: stop the container before removing or force remove`);
    }
    translate(error);
  }
  res.writeHead(204);
  res.end();
}

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

export function containerCounts(ctx: ApiContext): ContainerCounts {
  const store = containerStore(ctx);
  const counts: ContainerCounts = { total: 0, running: 0, paused: 0, stopped: 0 };
  for (const record of store.list()) {
    const { state } = containerView(store, record);
    counts.total++;
    if (state.Paused) counts.paused++;
    else if (state.Running) counts.running++;
    else counts.stopped++;
  }
  return counts;
}

