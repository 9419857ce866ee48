/** POST /build: the classic builder's endpoint; answered once src/build/ is in this build. */
import { notImplemented, type Router } from '../router.js';

export function buildRoutes(router: Router): void {
  router
    .add('POST', '/build', notImplemented('POST /build', 'the Dockerfile builder (src/build/) is not in this build yet'))
    .add('POST', '/build/prune', notImplemented('POST /build/prune', 'ts-runc keeps no build cache'));
}
