/**
 * `image push`: every blob the registry lacks, then the manifest.
 *
 * For each blob (config and layers): `HEAD /v2/<name>/blobs/<digest>` — 200 means the
 * registry has it and it is skipped; otherwise `POST /v2/<name>/blobs/uploads/` opens an
 * upload and `PUT <Location>?digest=<digest>` sends the whole blob in one request
 * (distribution spec "Monolithic Upload"; the registry checks the digest). Then
 * `PUT /v2/<name>/manifests/<tag>` with the manifest's own media type. The manifest is sent
 * as the exact bytes the store holds, so its digest on the registry is the local one.
 */
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { RuntimeError } from '../../errors.js';
import { parseReference } from '../reference.js';
import type { ImageStore } from '../store.js';
import type { Descriptor } from '../types.js';
import { RegistryClient, type Credentials } from './client.js';
import { blobUrl, manifestUrl, remoteRef, uploadTarget, uploadUrl, type RemoteRef } from './endpoint.js';
import { manifestMediaType, sha256 } from './manifest.js';
import type { Progress } from './progress.js';
import { counting, eachLimited } from './transfer.js';

export interface PushOptions {
  credentials?: Credentials;
  tlsVerify?: boolean;
  progress: Progress;
}

export interface PushResult {
  digest: string;
  /** blobs uploaded, and blobs the registry already had */
  uploaded: number;
  skipped: number;
}

/** Pushes local image `source` to `destination` (default: `source`, which must then name a registry). */
export async function pushImage(store: ImageStore, source: string, destination: string | undefined, options: PushOptions): Promise<PushResult> {
  const target = destination ?? source;
  if (parseReference(target).registry === undefined) {
    throw new RuntimeError(`push ${target}: the name has no registry host; give one, e.g. 127.0.0.1:5000/${parseReference(target).repository}`);
  }
  const image = store.resolve(source);
  const remote = remoteRef(target, { tlsVerify: options.tlsVerify });
  const client = new RegistryClient(remote.registry, options.credentials);
  const scope = `repository:${remote.repository}:pull,push`;

  if (remote.digest && remote.digest !== image.manifestDigest) {
    throw new RuntimeError(`push ${target}: the image's manifest is ${image.manifestDigest}, so it cannot be pushed as ${remote.digest}`);
  }
  const bytes = readFileSync(store.blobs.path(image.manifestDigest));
  if (sha256(bytes) !== image.manifestDigest) throw new RuntimeError(`push ${source}: the stored manifest does not match its digest ${image.manifestDigest}`);

  let uploaded = 0;
  await eachLimited([image.manifest.config, ...image.manifest.layers], 3, async (blob) => {
    if (await pushBlob(store, client, remote, blob, scope, options.progress)) uploaded++;
  });

  const url = manifestUrl(remote, remote.digest ?? remote.tag!);
  const response = await client.request(url, {
    method: 'PUT', scope, headers: { 'content-type': manifestMediaType(image.manifest) }, body: () => bytes,
  });
  await response.body?.cancel();
  const echoed = response.headers.get('docker-content-digest');
  if (echoed && echoed !== image.manifestDigest) {
    throw new RuntimeError(`PUT ${url}: the registry stored the manifest as ${echoed}, not ${image.manifestDigest}`);
  }
  return { digest: image.manifestDigest, uploaded, skipped: image.manifest.layers.length + 1 - uploaded };
}

/** One blob to the registry unless it has it already; false when skipped. */
async function pushBlob(store: ImageStore, client: RegistryClient, remote: RemoteRef, blob: Descriptor, scope: string, progress: Progress): Promise<boolean> {
  const head = await client.request(blobUrl(remote, blob.digest), { method: 'HEAD', scope, accept: [404] });
  if (head.status === 200) {
    progress.skip(blob.digest, 'already exists', blob.size);
    return false;
  }
  if (!store.blobs.has(blob.digest)) throw new RuntimeError(`push: blob ${blob.digest} is not in the local store`);
  const line = progress.start(blob.digest, 'uploading', blob.size);
  const start = uploadUrl(remote);
  const opened = await client.request(start, { method: 'POST', scope, accept: [202] });
  await opened.body?.cancel();
  const target = uploadTarget(opened.headers.get('location'), start, blob.digest);
  const put = await client.request(target, {
    method: 'PUT',
    scope,
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    body: () => Readable.toWeb(counting(Readable.from(store.blobs.open(blob.digest)), (n) => progress.update(line, n))) as unknown as BodyInit,
  });
  await put.body?.cancel();
  progress.finish(line, 'pushed');
  return true;
}
