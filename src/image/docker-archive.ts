/**
 * `docker save` archives: manifest.json lists each image's config file, its names
 * (RepoTags) and its layer tarballs (legacy "<id>/layer.tar", or blobs/sha256/<hex> since
 * Docker 25). The store keeps OCI manifests, so one is written for each image here; the
 * config is kept byte for byte, so the image id (its digest) stays Docker's.
 */
import { RuntimeError } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { metaJson, type ArchiveFiles } from './archive.js';
import { fileCompression, layerMediaType } from './compression.js';
import type { FoundImage } from './oci-layout.js';
import { MEDIA_TYPES, type Manifest } from './types.js';

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

export async function dockerImages(files: ArchiveFiles, blobs: BlobStore, where: string): Promise<FoundImage[]> {
  const entries = metaJson<DockerManifestEntry[]>(files, 'manifest.json', where);
  if (!Array.isArray(entries)) throw new RuntimeError(`${where}: manifest.json is not a list`);
  const found: FoundImage[] = [];
  for (const entry of entries) {
    const file = (name: string) => {
      const blob = files.files.get(name.replace(/^\.\//, ''));
      if (!blob) throw new RuntimeError(`${where}: manifest.json names ${name}, which the archive does not hold`);
      return blob;
    };
    const config = file(entry.Config);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: config.digest, size: config.size },
      layers: (entry.Layers ?? []).map((name) => {
        const layer = file(name);
        return { mediaType: layerMediaType(fileCompression(blobs.path(layer.digest), `${where}: ${name}`)), digest: layer.digest, size: layer.size };
      }),
    };
    const put = await blobs.put(Buffer.from(JSON.stringify(manifest)));
    if (!put.existed) files.added.add(put.digest);
    found.push({ manifestDigest: put.digest, names: entry.RepoTags ?? [] });
  }
  return found;
}
