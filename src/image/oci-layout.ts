/**
 * The OCI image layout (image-spec image-layout.md): `oci-layout`, `index.json` listing
 * manifests (or nested indexes, one per multi-platform image), and `blobs/sha256/<hex>`.
 * Names come from each entry's annotations: containerd's `io.containerd.image.name`
 * (a full reference) or `org.opencontainers.image.ref.name` (skopeo and umoci put
 * "name:tag" there; a bare tag is taken as a name of its own).
 */
import { RuntimeError } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { metaJson, type ArchiveFiles } from './archive.js';
import { normalizeName } from './reference.js';
import { formatPlatform, selectManifest } from './registry/platform.js';
import { MEDIA_TYPES, type Descriptor, type ImageIndex, type Platform } from './types.js';

export interface FoundImage {
  manifestDigest: string;
  names: string[];
}

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';

export function ociImages(files: ArchiveFiles, blobs: BlobStore, platform: Platform, where: string): FoundImage[] {
  const layout = metaJson<{ imageLayoutVersion?: string }>(files, 'oci-layout', where);
  if (!layout.imageLayoutVersion) throw new RuntimeError(`${where}: oci-layout has no imageLayoutVersion`);
  const index = metaJson<ImageIndex>(files, 'index.json', where);
  if (!Array.isArray(index.manifests)) throw new RuntimeError(`${where}: index.json has no manifests list`);

  // Entries for several platforms side by side (no nested index): keep the wanted one.
  const withPlatform = index.manifests.filter((d) => d.platform !== undefined && !isIndex(d, blobs));
  let entries = index.manifests;
  if (withPlatform.length > 1) {
    entries = index.manifests.filter((d) => d.platform === undefined || isIndex(d, blobs) || matches(d.platform, platform));
    if (entries.length === 0) selectManifest(index, platform); // throws, listing what there is
  }
  return entries.map((entry) => ({ manifestDigest: imageManifest(entry, blobs, platform, where), names: names(entry, where) }));
}

/** A manifest entry itself, or the platform's manifest of a nested index. */
function imageManifest(entry: Descriptor, blobs: BlobStore, platform: Platform, where: string): string {
  if (!blobs.has(entry.digest)) throw new RuntimeError(`${where}: index.json names ${entry.digest}, which the layout does not hold`);
  checkSize(entry, blobs, where);
  if (!isIndex(entry, blobs)) return entry.digest;
  const nested = blobs.readJson<ImageIndex>(entry.digest);
  const chosen = selectManifest(nested, platform);
  if (isIndex(chosen, blobs)) throw new RuntimeError(`${where}: the ${formatPlatform(platform)} entry of ${entry.digest} is another index, which is not supported`);
  if (!blobs.has(chosen.digest)) throw new RuntimeError(`${where}: the ${formatPlatform(platform)} manifest ${chosen.digest} is not in the layout`);
  checkSize(chosen, blobs, where);
  return chosen.digest;
}

/** A descriptor's size is part of what it names (image-spec descriptor.md): a blob of another size is not it. */
function checkSize(d: Descriptor, blobs: BlobStore, where: string): void {
  const actual = blobs.size(d.digest);
  if (d.size !== actual) throw new RuntimeError(`${where}: ${d.digest}: the descriptor's size is ${JSON.stringify(d.size)} but the blob has ${actual} bytes (corrupt or tampered with)`);
}

function isIndex(d: Descriptor, blobs: BlobStore): boolean {
  if (d.mediaType === MEDIA_TYPES.ociIndex || d.mediaType === MEDIA_TYPES.dockerManifestList) return true;
  if (d.mediaType) return false;
  return blobs.has(d.digest) && 'manifests' in blobs.readJson<object>(d.digest);
}

function matches(have: Platform, want: Platform): boolean {
  return have.os === want.os && have.architecture === want.architecture && (want.variant === undefined || have.variant === want.variant);
}

function names(entry: Descriptor, where: string): string[] {
  const name = entry.annotations?.[CONTAINERD_NAME] ?? entry.annotations?.[REF_NAME];
  if (!name) return [];
  try {
    return [normalizeName(name)];
  } catch {
    process.emitWarning(`${where}: ignoring the name ${JSON.stringify(name)}, which is not a valid image reference`);
    return [];
  }
}
