/**
 * `image load`: the images of an archive or directory into the store, whichever of the two
 * formats it is (an OCI image layout has index.json, a docker save archive manifest.json;
 * Docker 25+ writes both, and the OCI view is used). Blobs the archive brought that no
 * loaded image uses (other platforms, nested indexes) are removed again.
 */
import { createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { crypto } from '../crypto.js';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RuntimeError, errorCode } from '../errors.js';
import { readArchive, readDirectory, type ArchiveFiles } from './archive.js';
import { dockerImages } from './docker-archive.js';
import { ociImages, type FoundImage } from './oci-layout.js';
import { hostPlatform } from './registry/platform.js';
import type { ImageStore } from './store.js';
import type { ImageRecord, Platform } from './types.js';

export async function loadImages(store: ImageStore, input: string, options: { platform?: Platform; label?: string } = {}): Promise<ImageRecord[]> {
  const where = `load ${options.label ?? input}`;
  let isDir: boolean;
  try {
    isDir = statSync(input).isDirectory();
  } catch (error) {
    throw new RuntimeError(`${where}: ${errorCode(error) === 'ENOENT' ? 'no such file or directory' : String(error)}`);
  }
  const added = new Set<string>();
  try {
    const files = isDir ? await readDirectory(store.blobs, input, added, where) : await readArchive(store.blobs, input, added, where);
    const found = await imagesIn(files, store, options.platform ?? hostPlatform(), where);
    if (found.length === 0) throw new RuntimeError(`${where}: the archive lists no images`);
    const loaded: ImageRecord[] = [];
    for (const image of found) loaded.push(await store.addImage(image.manifestDigest, image.names));
    return loaded;
  } finally {
    store.freeUnlisted(added);
  }
}

async function imagesIn(files: ArchiveFiles, store: ImageStore, platform: Platform, where: string): Promise<FoundImage[]> {
  if (files.meta.has('index.json')) return ociImages(files, store.blobs, platform, where);
  if (files.meta.has('manifest.json')) return dockerImages(files, store.blobs, where);
  throw new RuntimeError(`${where}: neither an OCI image layout (no index.json) nor a docker save archive (no manifest.json)`);
}

/** `docker load < archive.tar`: stdin is a stream, and the archive is read once from a file, so it lands in one first. */
export async function loadFromStdin(store: ImageStore, options: { platform?: Platform } = {}): Promise<ImageRecord[]> {
  const tmpDir = join(store.dir, 'tmp');
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const file = join(tmpDir, `stdin-${process.pid}-${crypto().randomBytes(4).toString('hex')}.tar`);
  try {
    await pipeline(process.stdin, createWriteStream(file, { flags: 'wx', mode: 0o600 }));
    return await loadImages(store, file, { ...options, label: 'stdin' });
  } finally {
    rmSync(file, { force: true });
  }
}
