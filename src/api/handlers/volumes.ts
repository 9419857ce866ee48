/** The volumes group (Engine API "Volume") over the engine's volume store (src/engine/volumes/). */
import { recordEvent } from '../../engine/events.js';
import { queryVolumes } from '../../engine/volumes/list.js';
import { pruneVolumes, removeVolume } from '../../engine/volumes/remove.js';
import { createVolume, getVolume } from '../../engine/volumes/store.js';
import { errorMessage } from '../../errors.js';
import { ApiError, badRequest, notFound, readJson, sendJson, statusOf } from '../http.js';
import { compareVersions, notImplemented, type Call, type Router } from '../router.js';
import type { ApiContext } from '../context.js';

export function volumeRoutes(router: Router): void {
  router
    .add('GET', '/volumes', list)
    .add('POST', '/volumes/create', create)
    .add('POST', '/volumes/prune', prune)
    .add('GET', '/volumes/:name', inspect)
    .add('DELETE', '/volumes/:name', remove)
    .add('PUT', '/volumes/:name', notImplemented('PUT /volumes/{name}', 'cluster volumes are a swarm feature, not supported by ts-runc'));
}


/** A library error as the API's: bad filters and names are the client's (400). */
function translate(error: unknown): never {
  const status = statusOf(error);
  throw new ApiError(status === 500 && /invalid|must|unknown/i.test(errorMessage(error)) ? 400 : status, errorMessage(error));
}

function list({ res, query, ctx }: Call): void {
  const filters = query.filters();
  let volumes;
  try {
    volumes = queryVolumes(ctx.storage, filters.values);
  } catch (error) {
    translate(error);
  }
  sendJson(res, 200, { Volumes: volumes, Warnings: null });
}

function stringMap(value: unknown, field: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) throw badRequest(`volumes/create: ${field} must be an object of strings`);
  return value as Record<string, string>;
}

async function create({ req, res, ctx }: Call): Promise<void> {
  const body = await readJson(req);
  for (const key of Object.keys(body)) {
    if (!['Name', 'Driver', 'DriverOpts', 'Labels', 'ClusterVolumeSpec'].includes(key)) throw badRequest(`volumes/create: unknown field ${key}`);
  }
  if (body.ClusterVolumeSpec !== undefined && body.ClusterVolumeSpec !== null) throw new ApiError(501, 'volumes/create: ClusterVolumeSpec is a swarm feature, not supported by ts-runc');
  if (body.Name !== undefined && typeof body.Name !== 'string') throw badRequest('volumes/create: Name must be a string');
  if (body.Driver !== undefined && body.Driver !== null && typeof body.Driver !== 'string') throw badRequest('volumes/create: Driver must be a string');
  const request = {
    Name: body.Name as string | undefined,
    Driver: (body.Driver as string | null | undefined) || undefined,
    DriverOpts: stringMap(body.DriverOpts, 'DriverOpts'),
    Labels: stringMap(body.Labels, 'Labels'),
  };
  let volume;
  try {
    volume = createVolume(ctx.storage, request);
  } catch (error) {
    translate(error);
  }
  recordEvent(ctx.storage, 'volume', 'create', volume.Name, { driver: volume.Driver });
  sendJson(res, 201, volume);
}

function inspect({ res, params, ctx }: Call): void {
  try {
    sendJson(res, 200, getVolume(ctx.storage, params.name!));
  } catch (error) {
    if (statusOf(error) === 404) throw notFound(`get ${params.name}: no such volume`);
    throw error;
  }
}

function remove({ res, params, query, ctx }: Call): void {
  try {
    removeVolume(ctx.storage, params.name!, { force: query.bool('force') });
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) throw notFound(`get ${params.name}: no such volume`);
    // in use: moby answers 409 "volume is in use - [<ids>]"
    throw new ApiError(status === 500 ? 409 : status, errorMessage(error));
  }
  recordEvent(ctx.storage, 'volume', 'destroy', params.name!, { driver: 'local' });
  res.writeHead(204);
  res.end();
}

function prune({ res, query, ctx, version }: Call): void {
  const filters = { ...query.filters().values };
  // API 1.42+: only anonymous volumes unless the filter all=true
  const all = compareVersions(version, '1.42') < 0 || (filters.all ?? []).some((v) => v === 'true' || v === '1');
  delete filters.all;
  let report;
  try {
    report = pruneVolumes(ctx.storage, { all, filters });
  } catch (error) {
    translate(error);
  }
  for (const name of report.VolumesDeleted) recordEvent(ctx.storage, 'volume', 'destroy', name, { driver: 'local' });
  sendJson(res, 200, report);
}
