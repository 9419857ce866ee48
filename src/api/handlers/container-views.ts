/**
 * The rest of the containers group, over views' library functions: top, stats, changes,
 * export, rename, pause/unpause, update, prune, and POST /commit.
 */
import { commitContainer } from '../../engine/containers/commit.js';
import { exportContainer } from '../../engine/containers/export.js';
import { pauseContainer, unpauseContainer } from '../../engine/containers/pause.js';
import { pruneContainers } from '../../engine/containers/prune.js';
import { renameContainer } from '../../engine/containers/rename.js';
import { updateContainer, type UpdateRequest } from '../../engine/containers/update.js';
import { containerChanges } from '../../engine/inspect/diff.js';
import { containerStats } from '../../engine/inspect/stats.js';
import { topContainer } from '../../engine/inspect/top.js';
import { errorMessage } from '../../errors.js';
import { ApiError, badRequest, readJson, sendJson } from '../http.js';
import type { Call, Router } from '../router.js';
import { findContainer, translate } from './container-ref.js';
import { localImageName } from './images.js';

export function containerViewRoutes(router: Router): void {
  router
    .add('GET', '/containers/:id/top', top)
    .add('GET', '/containers/:id/stats', stats)
    .add('GET', '/containers/:id/changes', changes)
    .add('GET', '/containers/:id/export', exportTar)
    .add('POST', '/containers/:id/rename', rename)
    .add('POST', '/containers/:id/pause', pause)
    .add('POST', '/containers/:id/unpause', unpause)
    .add('POST', '/containers/:id/update', update)
    .add('POST', '/containers/prune', prune)
    .add('POST', '/commit', commit);
}

function ok(call: Call, status = 204): void {
  call.res.writeHead(status);
  call.res.end();
}

function top({ res, params, query, ctx }: Call): void {
  const record = findContainer(ctx, params.id!);
  const psArgs = (query.str('ps_args') || '-ef').split(/\s+/).filter(Boolean);
  try {
    sendJson(res, 200, topContainer(ctx.storage, record.Id, psArgs));
  } catch (error) {
    if (/not running/i.test(errorMessage(error))) throw new ApiError(409, errorMessage(error));
    translate(error);
  }
}

/** ?stream=1 (the default): a reading a second, one JSON per line; stream=0: one reading; one-shot=1: no wait for a second sample. */
async function stats({ req, res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const stream = query.bool('stream', true);
  const abort = new AbortController();
  req.socket.on('close', () => abort.abort());
  const readings = containerStats(ctx.storage, record.Id, { stream, signal: abort.signal, ...(query.bool('one-shot') ? { intervalMs: 0 } : {}) });
  try {
    const first = await readings.next();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    if (!first.done) res.write(`${JSON.stringify(first.value)}\n`);
    if (stream) for await (const reading of readings) res.write(`${JSON.stringify(reading)}\n`);
  } catch (error) {
    if (abort.signal.aborted) return;
    if (!res.headersSent) translate(error);
    res.destroy();
    return;
  }
  res.end();
}

async function changes({ res, params, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  try {
    const list = await containerChanges(ctx.storage, record.Id);
    sendJson(res, 200, list.length > 0 ? list : null);
  } catch (error) {
    translate(error);
  }
}

async function exportTar({ res, params, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  try {
    await exportContainer(ctx.storage, record.Id, undefined, res);
  } catch (error) {
    ctx.log.warn(`export ${record.Id}: ${errorMessage(error)}`);
    res.destroy();
    return;
  }
  res.end();
}

function rename(call: Call): void {
  const record = findContainer(call.ctx, call.params.id!);
  const name = call.query.str('name');
  if (!name) throw badRequest('rename: name is required');
  try {
    renameContainer(call.ctx.storage, record.Id, name.replace(/^\//, ''));
  } catch (error) {
    if (/in use|already/i.test(errorMessage(error))) throw new ApiError(409, errorMessage(error));
    translate(error);
  }
  ok(call);
}

async function pause(call: Call): Promise<void> {
  const record = findContainer(call.ctx, call.params.id!);
  try {
    await pauseContainer(call.ctx.storage, record.Id);
  } catch (error) {
    if (/not running|already paused/i.test(errorMessage(error))) throw new ApiError(409, errorMessage(error));
    translate(error);
  }
  ok(call);
}

async function unpause(call: Call): Promise<void> {
  const record = findContainer(call.ctx, call.params.id!);
  try {
    await unpauseContainer(call.ctx.storage, record.Id);
  } catch (error) {
    if (/not paused/i.test(errorMessage(error))) throw new ApiError(409, errorMessage(error));
    translate(error);
  }
  ok(call);
}

const UPDATE_NUMBERS = ['Memory', 'MemoryReservation', 'MemorySwap', 'NanoCpus', 'CpuShares', 'PidsLimit', 'BlkioWeight', 'CpuQuota', 'CpuPeriod'] as const;

async function update({ req, res, params, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const body = await readJson(req);
  const request: UpdateRequest = {};
  for (const [key, value] of Object.entries(body)) {
    if ((UPDATE_NUMBERS as readonly string[]).includes(key)) {
      if (value === null) continue;
      if (typeof value !== 'number' || !Number.isInteger(value)) throw badRequest(`${key}: expected an integer, got ${JSON.stringify(value)}`);
      // docker's CLI sends every field, unset ones as 0: only what it sets is an update
      if (value !== 0) (request as Record<string, number>)[key] = value;
    } else if (key === 'CpusetCpus') {
      if (typeof value !== 'string') throw badRequest('CpusetCpus: expected a string');
      if (value) request.CpusetCpus = value;
    } else if (key === 'RestartPolicy') {
      if (value === null) continue;
      if (typeof value !== 'object' || typeof (value as { Name?: unknown }).Name !== 'string') throw badRequest('RestartPolicy: expected {"Name": …}');
      if ((value as { Name: string }).Name) request.RestartPolicy = value as UpdateRequest['RestartPolicy'];
    } else if (value !== null && value !== 0 && value !== '' && !(Array.isArray(value) && value.length === 0) && value !== false) {
      throw badRequest(`${key}: not supported by container update`);
    }
  }
  try {
    sendJson(res, 200, await updateContainer(ctx.storage, record.Id, request));
  } catch (error) {
    translate(error);
  }
}

async function prune({ res, query, ctx }: Call): Promise<void> {
  try {
    sendJson(res, 200, await pruneContainers(ctx.storage, query.filters().values));
  } catch (error) {
    if (/filter/i.test(errorMessage(error))) throw badRequest(errorMessage(error));
    translate(error);
  }
}

/** POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes= (the body, a config, is not merged). */
async function commit({ req, res, query, ctx }: Call): Promise<void> {
  const container = query.str('container');
  if (!container) throw badRequest('commit: container is required');
  const record = findContainer(ctx, container);
  const body = await readJson(req);
  const known = Object.entries(body).filter(([, v]) => v !== null && v !== '' && !(typeof v === 'object' && Object.keys(v as object).length === 0));
  if (known.length > 0) throw new ApiError(501, `commit: a container config in the body (${known.map(([k]) => k).join(', ')}) is not supported; use changes=`);
  const repo = query.str('repo');
  const tag = query.str('tag');
  try {
    const id = await commitContainer(ctx.storage, record.Id, {
      ...(repo ? { reference: localImageName(tag ? `${repo}:${tag}` : repo) } : {}),
      ...(query.str('author') ? { author: query.str('author') } : {}),
      ...(query.str('comment') ? { message: query.str('comment') } : {}),
      changes: query.params.getAll('changes').flatMap((c) => c.split('\n')).filter(Boolean),
      pause: query.bool('pause', true),
    });
    sendJson(res, 201, { Id: id });
  } catch (error) {
    translate(error);
  }
}
