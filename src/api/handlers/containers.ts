/**
 * The containers group (Engine API "Container"), over the engine's library (src/engine/):
 * filled in as the container model lands; until then each endpoint answers 501 naming it.
 */
import { ApiError } from '../http.js';
import { notImplemented, type Router } from '../router.js';
import type { ApiContext } from '../context.js';

const PENDING = 'the container model (src/engine/) is not in this build yet';

export function containerRoutes(router: Router): void {
  for (const [method, path] of [
    ['POST', '/containers/create'], ['GET', '/containers/json'], ['POST', '/containers/prune'],
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

export interface ContainerCounts {
  total: number;
  running: number;
  paused: number;
  stopped: number;
}

export function containerCounts(_ctx: ApiContext): ContainerCounts {
  return { total: 0, running: 0, paused: 0, stopped: 0 };
}

export function diskUsageContainers(_ctx: ApiContext): unknown[] {
  return [];
}

export async function connectContainer(_ctx: ApiContext, network: string, _container: string, _options: { aliases: string[]; ip?: string }): Promise<void> {
  throw new ApiError(501, `networks/${network}/connect: ${PENDING}`);
}

export async function disconnectContainer(_ctx: ApiContext, network: string, _container: string, _force: boolean): Promise<void> {
  throw new ApiError(501, `networks/${network}/disconnect: ${PENDING}`);
}
