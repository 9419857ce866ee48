/**
 * The images group (Engine API "Image"): thin translations onto the image store
 * (src/image/store.ts), load/save/import (src/image/) and the registry client
 * (src/image/registry/). Image names hold slashes, so routes take the rest of the path.
 */
import { createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { crypto } from '../../crypto.js';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorMessage } from '../../errors.js';
import { ImageStore } from '../../image/store.js';
import { normalizeName, parseReference } from '../../image/reference.js';
import type { Credentials } from '../../image/registry/client.js';
import type { ImageConfig, ImageRecord } from '../../image/types.js';
import { ApiError, badRequest, notFound, sendJson, statusOf } from '../http.js';
import { JsonProgress } from '../progress-json.js';
import { imageHistory, pruneImages } from '../../engine/system/images.js';
import { notImplemented, type Call, type Router } from '../router.js';
import type { ApiContext } from '../context.js';

export function imageRoutes(router: Router): void {
  router
    .add('GET', '/images/json', list)
    .add('POST', '/images/create', create)
    .add('POST', '/images/load', load)
    .add('GET', '/images/get', saveMany)
    .add('POST', '/images/prune', prune)
    .add('GET', '/images/search', notImplemented('GET /images/search', 'ts-runc has no default registry to search; pull by host[:port]/name'))
    .add('GET', '/images/:name*/json', inspect)
    .add('GET', '/images/:name*/history', history)
    .add('GET', '/images/:name*/get', saveOne)
    .add('POST', '/images/:name*/tag', tag)
    .add('POST', '/images/:name*/push', push)
    .add('DELETE', '/images/:name*', remove);
}

/**
 * The docker CLI spells short names fully ("copy:v1" → "docker.io/library/copy:v1"); ts-runc
 * has no default registry, so those are the local short names again.
 */
export function localImageName(name: string): string {
  return name.replace(/^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)\/(?:library\/)?/, '');
}

function store(ctx: ApiContext): ImageStore {
  return new ImageStore(ctx.storage);
}

/** The image a reference names, or 404 "No such image" (what docker's CLI reads to decide to pull). */
export function resolveImage(ctx: ApiContext, given: string): ReturnType<ImageStore['resolve']> {
  const ref = localImageName(given);
  try {
    return store(ctx).resolve(ref);
  } catch (error) {
    if (statusOf(error) === 404 || /not found|no image/i.test(errorMessage(error))) throw notFound(`No such image: ${ref}`);
    throw error;
  }
}

function seconds(iso: string | undefined): number {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

function repoTags(image: ImageRecord): string[] {
  return image.names.filter((n) => !n.includes('@'));
}

/** name@digest for names from a registry (the manifest's digest is what it answers to), as RepoDigests. */
function repoDigests(image: ImageRecord): string[] {
  const out = new Set<string>();
  for (const name of image.names) {
    if (name.includes('@')) out.add(name);
    else if (parseReference(name).registry) out.add(`${name.slice(0, name.lastIndexOf(':'))}@${image.manifestDigest}`);
  }
  return [...out];
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[];
  RepoDigests: string[];
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize: number;
  Labels: Record<string, string>;
  Containers: number;
}

export function imageSummary(ctx: ApiContext, images: ImageStore, image: ImageRecord): ImageSummary {
  const config = images.blobs.readJson<ImageConfig>(image.id);
  const holders = Object.values(images.holders()).filter((id) => id === image.id).length;
  return {
    Id: image.id,
    ParentId: '',
    RepoTags: repoTags(image),
    RepoDigests: repoDigests(image),
    Created: seconds(config.created ?? image.added),
    Size: image.size,
    SharedSize: -1,
    VirtualSize: image.size,
    Labels: config.config?.Labels ?? {},
    Containers: holders,
  };
}

function list({ res, query, ctx }: Call): void {
  const filters = query.filters().only(['dangling', 'label', 'label!', 'reference', 'before', 'since']);
  const images = store(ctx);
  const all = images.list();
  const created = (ref: string) => {
    const image = resolveImage(ctx, ref);
    return seconds(image.config.created ?? image.added);
  };
  const out = all.map((image) => imageSummary(ctx, images, image)).filter((summary) => {
    if (filters.has('dangling')) {
      const dangling = summary.RepoTags.length === 0;
      if (filters.get('dangling').includes('true') !== dangling) return false;
    }
    if (filters.has('reference')) {
      // as dockerd: only the names that match are shown, and an image with none is left out
      const patterns = filters.get('reference').map(localImageName);
      summary.RepoTags = summary.RepoTags.filter((tagName) => patterns.some((pattern) => referenceMatches(tagName, pattern)));
      if (summary.RepoTags.length === 0) return false;
    }
    if (filters.has('before') && !filters.get('before').every((ref) => summary.Created < created(ref))) return false;
    if (filters.has('since') && !filters.get('since').every((ref) => summary.Created > created(ref))) return false;
    return filters.matchLabels(summary.Labels);
  });
  sendJson(res, 200, out);
}

/** reference=busybox, reference=busybox:*, reference=*:latest: path.Match on the name and tag, as moby. */
function referenceMatches(name: string, pattern: string): boolean {
  const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  const colon = name.lastIndexOf(':');
  const repo = name.slice(0, colon);
  return glob(pattern).test(name) || glob(pattern).test(repo);
}

function inspect({ res, params, ctx }: Call): void {
  const image = resolveImage(ctx, params.name!);
  const config = image.config;
  const c = config.config ?? {};
  sendJson(res, 200, {
    Id: image.id,
    RepoTags: repoTags(image),
    RepoDigests: repoDigests(image),
    Parent: '',
    Comment: config.history?.at(-1)?.comment ?? '',
    Created: config.created ?? image.added,
    DockerVersion: '',
    Author: config.author ?? '',
    Config: {
      Hostname: '', Domainname: '', User: c.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      ExposedPorts: c.ExposedPorts ?? null, Tty: false, OpenStdin: false, StdinOnce: false,
      Env: c.Env ?? null, Cmd: c.Cmd ?? null, Image: '', Volumes: c.Volumes ?? null, WorkingDir: c.WorkingDir ?? '',
      Entrypoint: c.Entrypoint ?? null, OnBuild: null, Labels: c.Labels ?? null, StopSignal: c.StopSignal,
    },
    Architecture: config.architecture,
    Variant: config.variant,
    Os: config.os,
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: { Name: 'overlay2', Data: { LowerDir: image.layers.map((l) => l.dir).reverse().join(':') } },
    RootFS: { Type: 'layers', Layers: config.rootfs.diff_ids },
    Metadata: { LastTagTime: image.added },
  });
}

function history({ res, params, ctx }: Call): void {
  const image = resolveImage(ctx, params.name!);
  sendJson(res, 200, imageHistory(ctx.storage, image.id));
}

function tag({ res, params, query, ctx }: Call): void {
  const repo = localImageName(query.str('repo') ?? '');
  if (!repo) throw badRequest('tag: repo is required');
  const tagName = query.str('tag') || 'latest';
  resolveImage(ctx, params.name!);
  store(ctx).tag(resolveImage(ctx, params.name!).id, `${repo}:${tagName}`);
  res.writeHead(201);
  res.end();
}

function remove({ res, params, query, ctx }: Call): void {
  resolveImage(ctx, params.name!);
  let lines: string[];
  try {
    lines = store(ctx).remove(localImageName(params.name!), { force: query.bool('force') });
  } catch (error) {
    if (/in use|several names/.test(errorMessage(error))) throw new ApiError(409, `conflict: unable to remove ${params.name}: ${errorMessage(error)}`);
    throw error;
  }
  sendJson(res, 200, lines.map((line) => {
    const [key, value] = line.split(': ');
    return { [key!]: value };
  }));
}

/** X-Registry-Auth: base64url JSON {username, password, serveraddress} (docker's AuthConfig). */
export function registryAuth(req: IncomingMessage): Credentials | undefined {
  const header = req.headers['x-registry-auth'];
  if (typeof header !== 'string' || header === '') return undefined;
  let value: { username?: unknown; password?: unknown };
  try {
    value = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as typeof value;
  } catch {
    throw badRequest('X-Registry-Auth: not base64url-encoded JSON');
  }
  if (typeof value.username === 'string' && value.username !== '' && typeof value.password === 'string') return { username: value.username, password: value.password };
  return undefined;
}

/** Starts a JSON-lines stream (200) for progress; later failures become an `error` line. */
function startStream(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.flushHeaders();
}

/** POST /images/create: pull (fromImage) or import (fromSrc). */
async function create(call: Call): Promise<void> {
  const { req, res, query, ctx } = call;
  const fromSrc = query.str('fromSrc');
  if (fromSrc !== undefined) return importImage(call, fromSrc);
  const fromImage = localImageName(query.str('fromImage') ?? '');
  if (!fromImage) throw badRequest('images/create: fromImage or fromSrc is required');
  const tagName = query.str('tag');
  const ref = !tagName ? fromImage : tagName.startsWith('sha256:') ? `${fromImage}@${tagName}` : `${fromImage}:${tagName}`;
  try {
    parseReference(ref);
  } catch (error) {
    throw badRequest(errorMessage(error));
  }
  const [{ pullImage }, { parsePlatform }] = await Promise.all([import('../../image/registry/pull.js'), import('../../image/registry/platform.js')]);
  const platform = query.str('platform');
  // Before any byte is streamed, a reference naming no registry is a plain 404, as docker's
  // "pull access denied / repository does not exist" is: the CLI prints it as the error.
  if (!parseReference(ref).registry) throw notFound(`pull access denied for ${ref}: ts-runc has no default registry; name one (127.0.0.1:5000/${ref})`);
  startStream(res);
  const progress = new JsonProgress(res, { active: 'Downloading', done: 'Pull complete' });
  progress.note(`Pulling from ${parseReference(ref).repository}`);
  try {
    const result = await pullImage(store(ctx), ref, { platform: platform ? parsePlatform(platform) : undefined, credentials: registryAuth(req), progress });
    progress.note(`Digest: ${result.digest}`);
    progress.note(`Status: ${result.fetched > 0 ? 'Downloaded newer image' : 'Image is up to date'} for ${ref}`);
  } catch (error) {
    progress.error(errorMessage(error));
  }
  res.end();
}

/** The request body into a temporary file of the image store (an archive is read more than once). */
async function bodyToFile(req: IncomingMessage, ctx: ApiContext, suffix: string): Promise<string> {
  const tmpDir = join(store(ctx).dir, 'tmp');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const file = join(tmpDir, `api-${process.pid}-${crypto().randomBytes(4).toString('hex')}${suffix}`);
  await pipeline(req, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
  return file;
}

async function importImage({ req, res, query, ctx }: Call, fromSrc: string): Promise<void> {
  if (fromSrc !== '-') throw new ApiError(501, `images/create?fromSrc=${fromSrc}: only fromSrc=- (the tar in the request body) is supported`);
  const repo = query.str('repo') ? localImageName(query.str('repo')!) : undefined;
  const names = repo ? [query.str('tag') ? `${repo}:${query.str('tag')}` : repo] : [];
  if (query.params.getAll('changes').length > 0) throw new ApiError(501, 'images/create?changes=: Dockerfile changes on import are not supported');
  names.forEach((n) => normalizeName(n));
  const file = await bodyToFile(req, ctx, '.tar');
  try {
    const { importRootfs } = await import('../../image/import.js');
    const image = await importRootfs(store(ctx), file, names, { message: query.str('message') });
    startStream(res);
    res.end(`${JSON.stringify({ status: image.id })}\n`);
  } finally {
    rmSync(file, { force: true });
  }
}

async function load({ req, res, query, ctx }: Call): Promise<void> {
  const file = await bodyToFile(req, ctx, '.tar');
  try {
    const { loadImages } = await import('../../image/load.js');
    const images = await loadImages(store(ctx), file, { label: 'the request body' });
    startStream(res);
    const quiet = query.bool('quiet');
    for (const image of images) {
      const names = image.names.length > 0 ? image.names.map((n) => `Loaded image: ${n}`) : [`Loaded image ID: ${image.id}`];
      for (const line of names) res.write(`${JSON.stringify(quiet ? { stream: `${line}\n` } : { stream: `${line}\n` })}\n`);
    }
    res.end();
  } finally {
    rmSync(file, { force: true });
  }
}

async function save(res: ServerResponse, ctx: ApiContext, refs: string[]): Promise<void> {
  if (refs.length === 0) throw badRequest('images/get: names is required');
  for (const ref of refs) resolveImage(ctx, ref);
  const { saveImages } = await import('../../image/save.js');
  res.writeHead(200, { 'Content-Type': 'application/x-tar' });
  await saveImages(store(ctx), refs.map(localImageName), res);
  res.end();
}

function saveOne({ res, params, ctx }: Call): Promise<void> {
  return save(res, ctx, [params.name!]);
}

function saveMany({ res, query, ctx }: Call): Promise<void> {
  return save(res, ctx, query.params.getAll('names'));
}

async function push({ req, res, params, query, ctx }: Call): Promise<void> {
  const tagName = query.str('tag');
  const name = localImageName(tagName ? `${params.name}:${tagName}` : params.name!);
  resolveImage(ctx, name);
  const ref = parseReference(name);
  if (!ref.registry) throw badRequest(`push ${name}: the name has no registry host (tag it 127.0.0.1:5000/${ref.repository} first)`);
  const { pushImage } = await import('../../image/registry/push.js');
  startStream(res);
  const progress = new JsonProgress(res, { active: 'Pushing', done: 'Pushed' });
  progress.note(`The push refers to repository [${ref.registry}/${ref.repository}]`);
  try {
    const result = await pushImage(store(ctx), name, undefined, { credentials: registryAuth(req), progress });
    const image = resolveImage(ctx, name);
    const size = store(ctx).blobs.size(image.manifestDigest);
    progress.note(`${ref.tag ?? 'latest'}: digest: ${result.digest} size: ${size}`);
    progress.send({ progressDetail: {}, aux: { Tag: ref.tag ?? 'latest', Digest: result.digest, Size: size } });
  } catch (error) {
    progress.error(errorMessage(error));
  }
  res.end();
}

/** POST /images/prune: views' pruneImages (dangling ones; with dangling=false every unused one). */
function prune({ res, query, ctx }: Call): void {
  try {
    const result = pruneImages(ctx.storage, { filters: query.filters().values });
    sendJson(res, 200, { ImagesDeleted: result.ImagesDeleted.length > 0 ? result.ImagesDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
  } catch (error) {
    if (/filter/i.test(errorMessage(error))) throw badRequest(errorMessage(error));
    throw error;
  }
}
