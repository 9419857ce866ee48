/**
 * `image pull`: manifest (or list → this platform's manifest), then the config and layer
 * blobs straight into the blob store, then the image is recorded.
 *
 * Each blob streams from the HTTP response into BlobStore.put, which hashes it on the way
 * and keeps it only if the sha256 and size match the manifest; nothing unverified is ever
 * on disk under its digest. Blobs already in the store are not fetched again, so a pull
 * that was interrupted (or shares layers with an image already here) fetches only what is
 * missing. The manifest goes into the store last, after every blob it names.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { RuntimeError } from '../../errors.js';
import type { ImageStore } from '../store.js';
import type { Descriptor, ImageRecord, Platform } from '../types.js';
import { RegistryClient, type Credentials } from './client.js';
import { blobUrl, localName, remoteRef, type RemoteRef } from './endpoint.js';
import { fetchManifest } from './manifest.js';
import { formatPlatform, hostPlatform, selectManifest } from './platform.js';
import type { Progress } from './progress.js';
import { counting, eachLimited } from './transfer.js';

export interface PullOptions {
  platform?: Platform;
  credentials?: Credentials;
  tlsVerify?: boolean;
  progress: Progress;
}

export interface PullResult {
  /** the digest the reference resolved to (the list's, for a multi-platform tag) */
  digest: string;
  /** the digest of the image manifest that was stored */
  manifestDigest: string;
  image: ImageRecord;
  /** blobs fetched and blobs that were already in the store */
  fetched: number;
  present: number;
}

export async function pullImage(store: ImageStore, reference: string, options: PullOptions): Promise<PullResult> {
  const remote = remoteRef(reference, { tlsVerify: options.tlsVerify });
  const client = new RegistryClient(remote.registry, options.credentials);
  const scope = `repository:${remote.repository}:pull`;

  const top = await fetchManifest(client, remote, remote.digest ?? remote.tag!, scope);
  let image = top;
  if (top.kind === 'index') {
    const platform = options.platform ?? hostPlatform();
    const chosen = selectManifest(top.index, platform);
    options.progress.note(`${formatPlatform(platform)}: ${chosen.digest}`);
    image = await fetchManifest(client, remote, chosen.digest, scope);
  }
  if (image.kind !== 'manifest') throw new RuntimeError(`${reference}: the manifest list points at another list, which is not supported`);

  const blobs = [image.manifest.config, ...image.manifest.layers];
  let fetched = 0;
  await eachLimited(blobs, 3, async (blob) => {
    if (await fetchBlob(store, client, remote, blob, scope, options.progress)) fetched++;
  });
  await store.blobs.put(image.bytes, { digest: image.digest, size: image.bytes.length });
  // A pull by digest names the image by the digest of the manifest actually stored.
  const name = remote.digest ? localName({ ...remote, digest: image.digest }) : localName(remote);
  const record = await store.addImage(image.digest, [name]);
  return { digest: top.digest, manifestDigest: image.digest, image: record, fetched, present: blobs.length - fetched };
}

/** One blob into the store; false when it was already there. */
async function fetchBlob(store: ImageStore, client: RegistryClient, remote: RemoteRef, blob: Descriptor, scope: string, progress: Progress): Promise<boolean> {
  if (store.blobs.has(blob.digest)) {
    progress.skip(blob.digest, 'already present', blob.size);
    return false;
  }
  const line = progress.start(blob.digest, 'downloading', blob.size);
  const response = await client.request(blobUrl(remote, blob.digest), { scope });
  if (!response.body) throw new RuntimeError(`GET ${blobUrl(remote, blob.digest)}: empty response`);
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  await store.blobs.put(counting(body, (n) => progress.update(line, n)), { digest: blob.digest, size: blob.size });
  progress.finish(line, 'done');
  return true;
}
