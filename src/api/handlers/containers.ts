/**
 * The containers group (Engine API "Container"), thin translations onto the engine's
 * library (src/engine/): the same functions `ts-runc container …` calls. Endpoints whose
 * library function is not in this build yet answer 501 naming themselves.
 */
import { ContainerStore, NoSuchContainer } from '../../engine/containers/store.js';
import { containerView } from '../../engine/containers/status.js';
import { listContainers } from '../../engine/list/summary.js';
import { errorMessage } from '../../errors.js';
import { ApiError, notFound, sendJson, statusOf } from '../http.js';
import { notImplemented, type Call, type Router } from '../router.js';
import type { ApiContext } from '../context.js';

const PENDING = 'the container lifecycle library (src/engine/) is not in this build yet';

export function containerRoutes(router: Router): void {
  router.add('GET', '/containers/json', list);
  for (const [method, path] of [
    ['POST', '/containers/create'], ['POST', '/containers/prune'],
    ['GET', '/containers/:id/json'], ['POST', '/containers/:id/start'], ['POST', '/containers/:id/stop'],
    ['POST', '/containers/:id/restart'], ['POST', '/containers/:id/kill'], ['POST', '/containers/:id/wait'],
    ['DELETE', '/containers/:id'], ['GET', '/containers/:id/logs'], ['GET', '/containers/:id/top'],
    ['GET', '/containers/:id/stats'], ['GET', '/containers/:id/changes'], ['GET', '/containers/:id/export'],
    ['GET', '/containers/:id/archive'], ['PUT', '/containers/:id/archive'], ['HEAD', '/containers/:id/archive'],
    ['POST', '/containers/:id/resize'], ['POST', '/containers/:id/rename'], ['POST', '/containers/:id/pause'],
    ['POST', '/containers/:id/unpause'], ['POST', '/containers/:id/update'], ['POST', '/containers/:id/attach'],
    ['POST', '/containers/:id/exec'], ['POST', '/exec/:id/start'], ['POST', '/exec/:id/resize'], ['GET', '/exec/:id/json'],
    ['POST', '/commit'],
  ] as const) router.add(method, path, notImplemented(`${method} ${path}`, PENDING));
}

export function containerStore(ctx: ApiContext): ContainerStore {
  return new ContainerStore(ctx.storage);
}

/** The record a reference (id, prefix, name) names, or Docker's 404 "No such container". */
export function findContainer(ctx: ApiContext, reference: string): ReturnType<ContainerStore['resolve']> {
  try {
    return containerStore(ctx).resolve(reference);
  } catch (error) {
    if (error instanceof NoSuchContainer || statusOf(error) === 404) throw notFound(`No such container: ${reference}`);
    throw error;
  }
}

/** A library error as an API status: a container's state in the way is a 409, a bad value a 400. */
export function translate(error: unknown): never {
  if (error instanceof ApiError) throw error;
  if (error instanceof NoSuchContainer) throw notFound(errorMessage(error).replace(/^no such container/, 'No such container'));
  throw new ApiError(statusOf(error), errorMessage(error));
}

async function list({ res, query, ctx }: Call): Promise<void> {
  const filters = query.filters();
  const limit = query.int('limit', -1);
  try {
    sendJson(res, 200, await listContainers(ctx.storage, { all: query.bool('all'), limit: limit > 0 ? limit : undefined, size: query.bool('size'), filters: filters.values }));
  } catch (error) {
    // a filter the engine does not know is the client's error
    if (/filter/i.test(errorMessage(error))) throw new ApiError(400, errorMessage(error));
    translate(error);
  }
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

/** For /system/df: every container with its sizes. */
export async function diskUsageContainers(ctx: ApiContext): Promise<unknown[]> {
  return listContainers(ctx.storage, { all: true, size: true });
}

export async function connectContainer(_ctx: ApiContext, network: string, _container: string, _options: { aliases: string[]; ip?: string }): Promise<void> {
  throw new ApiError(501, `networks/${network}/connect: ${PENDING}`);
}

export async function disconnectContainer(_ctx: ApiContext, network: string, _container: string, _force: boolean): Promise<void> {
  throw new ApiError(501, `networks/${network}/disconnect: ${PENDING}`);
}
