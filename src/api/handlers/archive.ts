/**
 * docker cp's endpoints (Engine API "Container": archive) over the engine's cp library
 * (src/engine/cp/): HEAD stats a path (X-Docker-Container-Path-Stat: base64 JSON),
 * GET sends it as a tar with that header, PUT extracts a tar into a directory. Paths are
 * resolved inside the container's root, never following a link out of it.
 */
import { archiveGet, archivePut, archiveStat } from '../../engine/cp/archive.js';
import type { PathStat } from '../../engine/cp/stat.js';
import { errorMessage } from '../../errors.js';
import { ApiError, badRequest, statusOf } from '../http.js';
import type { Call, Router } from '../router.js';
import { findContainer } from './container-ref.js';

export function archiveRoutes(router: Router): void {
  router
    .add('HEAD', '/containers/:id/archive', head)
    .add('GET', '/containers/:id/archive', get)
    .add('PUT', '/containers/:id/archive', put);
}

const statHeader = (stat: PathStat): string => Buffer.from(JSON.stringify(stat)).toString('base64');

function pathOf(call: Call): string {
  const path = call.query.str('path');
  if (!path) throw badRequest('path is required');
  return path;
}

/** A missing path is a 404, a path that is not a directory (for PUT) a 400, as dockerd. */
function translate(error: unknown): never {
  const message = errorMessage(error);
  if (/not a directory/i.test(message)) throw new ApiError(400, message);
  if (/no such file/i.test(message) || statusOf(error) === 404) throw new ApiError(404, message);
  throw new ApiError(statusOf(error), message);
}

async function head(call: Call): Promise<void> {
  const record = findContainer(call.ctx, call.params.id!);
  let stat: PathStat;
  try {
    stat = await archiveStat(call.ctx.storage, record.Id, pathOf(call));
  } catch (error) {
    translate(error);
  }
  call.res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/json' });
  call.res.end();
}

async function get(call: Call): Promise<void> {
  const { res, ctx, params } = call;
  const record = findContainer(ctx, params.id!);
  const path = pathOf(call);
  try {
    await archiveGet(ctx.storage, record.Id, path, res, {}, (stat) => {
      res.writeHead(200, { 'X-Docker-Container-Path-Stat': statHeader(stat), 'Content-Type': 'application/x-tar' });
    });
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    translate(error);
  }
  res.end();
}

async function put(call: Call): Promise<void> {
  const { req, res, ctx, params, query } = call;
  const record = findContainer(ctx, params.id!);
  const path = pathOf(call);
  try {
    await archivePut(ctx.storage, record.Id, path, req, { noOverwriteDirNonDir: query.bool('noOverwriteDirNonDir'), copyUIDGID: query.bool('copyUIDGID') });
  } catch (error) {
    translate(error);
  }
  res.writeHead(200);
  res.end();
}
