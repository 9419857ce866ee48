/**
 * `image import`: a root filesystem tarball (plain, gzip or zstd) as a one-layer image,
 * like `docker import`. A plain tar file is gzip-compressed on its way into the store
 * (stdin is kept as it comes). The config is written as image-spec config.md asks:
 * architecture, os, rootfs.diff_ids, a default PATH and one history entry.
 */
import { basename } from 'node:path';
import { createReadStream } from 'node:fs';
import { fileCompression } from './compression.js';
import { DEFAULT_PATH } from './image-spec.js';
import { normalizeName } from './reference.js';
import { hostPlatform } from './registry/platform.js';
import type { ImageStore } from './store.js';
import { MEDIA_TYPES, type ImageConfig, type ImageRecord, type Manifest } from './types.js';

export async function importRootfs(store: ImageStore, file: string, names: string[], options: { message?: string } = {}): Promise<ImageRecord> {
  // A bad name must fail before the layer goes in: after, it would stay in the store unlisted.
  const normalized = names.map(normalizeName);
  const stdin = file === '-';
  const plain = !stdin && fileCompression(file, `import ${file}`) === 'none';
  const layer = await store.addLayer(stdin ? process.stdin : createReadStream(file), { gzip: plain });
  const made = new Set<string>([layer.digest]);
  try {
    const created = new Date().toISOString();
    const config: ImageConfig = {
      created,
      architecture: hostPlatform().architecture,
      os: 'linux',
      config: { Env: [DEFAULT_PATH] },
      rootfs: { type: 'layers', diff_ids: [layer.diffId] },
      history: [{ created, created_by: `ts-runc image import ${stdin ? '-' : basename(file)}`, ...(options.message ? { comment: options.message } : {}) }],
    };
    const configBlob = await store.blobs.put(Buffer.from(JSON.stringify(config)));
    made.add(configBlob.digest);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configBlob.digest, size: configBlob.size },
      layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    };
    const manifestBlob = await store.blobs.put(Buffer.from(JSON.stringify(manifest)));
    made.add(manifestBlob.digest);
    return await store.addImage(manifestBlob.digest, normalized);
  } catch (error) {
    // A refused import keeps nothing: no unlisted blob, no unpacked layer.
    store.freeUnlisted(made, [layer.diffId]);
    throw error;
  }
}
