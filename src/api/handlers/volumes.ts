/** The volumes group (Engine API "Volume") over the engine's volume store (src/engine/volumes/). */
import { notImplemented, type Router } from '../router.js';
import type { ApiContext } from '../context.js';

const PENDING = 'the volume store (src/engine/volumes/) is not in this build yet';

export function volumeRoutes(router: Router): void {
  for (const [method, path] of [['GET', '/volumes'], ['POST', '/volumes/create'], ['POST', '/volumes/prune'], ['GET', '/volumes/:name'], ['DELETE', '/volumes/:name'], ['PUT', '/volumes/:name']] as const) {
    router.add(method, path, notImplemented(`${method} ${path}`, PENDING));
  }
}

export function volumeUsage(_ctx: ApiContext): unknown[] {
  return [];
}
