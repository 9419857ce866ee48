/**
 * Fetching a manifest: the one request of a pull whose answer decides everything else.
 *
 * The Accept header lists every format ts-runc reads, so a registry that has a
 * multi-platform tag answers with the list and a single-platform one with the manifest
 * (distribution spec "Pulling an Image Manifest"). The bytes are kept exactly as sent:
 * the digest is the sha256 of those bytes, and a re-serialized JSON would hash differently.
 */
import { crypto } from '../../crypto.js';
import { RuntimeError } from '../../errors.js';
import { digestHex } from '../blob-store.js';
import { MEDIA_TYPES, type ImageIndex, type Manifest } from '../types.js';
import type { RegistryClient } from './client.js';
import { manifestUrl, type RemoteRef } from './endpoint.js';

export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifestList, MEDIA_TYPES.dockerManifest,
].join(', ');

const MAX_MANIFEST = 4 * 1024 * 1024;

export type Fetched =
  | { kind: 'index'; digest: string; bytes: Buffer; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; digest: string; bytes: Buffer; mediaType: string; manifest: Manifest };

export function sha256(bytes: Buffer): string {
  return `sha256:${crypto().createHash('sha256').update(bytes).digest('hex')}`;
}

/** GET a manifest or list by tag or digest; a digest is checked against the bytes. */
export async function fetchManifest(client: RegistryClient, ref: RemoteRef, tagOrDigest: string, scope: string): Promise<Fetched> {
  if (tagOrDigest.includes(':')) digestHex(tagOrDigest); // a digest from a list goes into a URL: check it first
  const url = manifestUrl(ref, tagOrDigest);
  const response = await client.request(url, { headers: { accept: MANIFEST_ACCEPT }, scope });
  // distribution-spec: manifests are at most 4 MiB; anything bigger is not one (and would sit in memory).
  if (Number(response.headers.get('content-length') ?? 0) > MAX_MANIFEST) {
    await response.body?.cancel();
    throw new RuntimeError(`GET ${url}: the manifest is larger than ${MAX_MANIFEST} bytes`);
  }
  const bytes = Buffer.from(await response.arrayBuffer());
  if (bytes.length > MAX_MANIFEST) throw new RuntimeError(`GET ${url}: the manifest is larger than ${MAX_MANIFEST} bytes`);
  const digest = sha256(bytes);
  if (tagOrDigest.includes(':') && tagOrDigest !== digest) {
    throw new RuntimeError(`GET ${url}: the manifest's digest is ${digest}, not the ${tagOrDigest} asked for`);
  }
  let json: { schemaVersion?: number; mediaType?: string; manifests?: unknown; config?: unknown; layers?: unknown };
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new RuntimeError(`GET ${url}: the manifest is not JSON`);
  }
  // The Content-Type says what it is; the document's own mediaType is the fallback.
  const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim() || json.mediaType || '';
  if (json.schemaVersion !== 2) {
    throw new RuntimeError(`GET ${url}: manifest schema ${json.schemaVersion} (${mediaType}) is not supported; only schema 2 and OCI manifests are`);
  }
  if (Array.isArray(json.manifests)) return { kind: 'index', digest, bytes, mediaType, index: json as ImageIndex };
  if (json.config && Array.isArray(json.layers)) return { kind: 'manifest', digest, bytes, mediaType, manifest: json as Manifest };
  throw new RuntimeError(`GET ${url}: ${mediaType || 'the document'} is neither an image manifest nor a manifest list`);
}

/** The media type to PUT a stored manifest with (older OCI manifests omit the field). */
export function manifestMediaType(manifest: Manifest): string {
  if (manifest.mediaType) return manifest.mediaType;
  return manifest.config.mediaType === MEDIA_TYPES.dockerConfig ? MEDIA_TYPES.dockerManifest : MEDIA_TYPES.ociManifest;
}
