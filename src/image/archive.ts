/**
 * Reads an image archive (a tar, maybe gzip/zstd-compressed) or an unpacked image
 * directory into the blob store, in one pass: the few small metadata files (OCI's
 * index.json and oci-layout, docker's manifest.json and repositories) are kept in memory,
 * every other file becomes a blob. OCI blobs (blobs/sha256/<hex>) are verified against the
 * digest their name claims while they stream in; docker's files get the digest of their
 * content. Legacy docker files nobody reads (<id>/json, <id>/VERSION) are skipped.
 */
import { createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { once } from 'node:events';
import { join, posix } from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import { RuntimeError } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { decompressor, fileCompression } from './compression.js';

export interface ArchiveFiles {
  /** index.json, oci-layout, manifest.json, repositories */
  meta: Map<string, Buffer>;
  /** every other file, now in the blob store: its path in the archive → its blob */
  files: Map<string, { digest: string; size: number }>;
  /** blobs this read added to the store (the caller frees the ones no image uses) */
  added: Set<string>;
}

const META = new Set(['index.json', 'oci-layout', 'manifest.json', 'repositories']);
const OCI_BLOB = /^blobs\/sha256\/([a-f0-9]{64})$/;
const MAX_META = 16 << 20;

function clean(name: string): string {
  return posix.normalize(name).replace(/^(\.\/|\/)+/, '');
}

function skipped(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return name.includes('/') && !name.startsWith('blobs/') && (base === 'json' || base === 'VERSION');
}

class Collector {
  readonly result: ArchiveFiles;
  private readonly links = new Map<string, string>();

  constructor(private readonly blobs: BlobStore, private readonly where: string, added: Set<string>) {
    this.result = { meta: new Map(), files: new Map(), added };
  }

  /** One file of the archive; `read` gives its content, `size` what the archive says. */
  async file(name: string, size: number, read: () => NodeJS.ReadableStream, drain: () => void): Promise<void> {
    if (META.has(name)) {
      if (size > MAX_META) throw new RuntimeError(`${this.where}: ${name} is ${size} bytes, too large for image metadata`);
      const chunks: Buffer[] = [];
      for await (const chunk of read() as AsyncIterable<Buffer>) chunks.push(chunk);
      this.result.meta.set(name, Buffer.concat(chunks));
      return;
    }
    if (skipped(name)) return drain();
    const oci = OCI_BLOB.exec(name);
    const digest = oci ? `sha256:${oci[1]}` : undefined;
    if (digest !== undefined && this.blobs.has(digest)) {
      // Content-addressed: the store's copy was verified when it came in.
      this.result.files.set(name, { digest, size: this.blobs.size(digest) });
      return drain();
    }
    try {
      const blob = await this.blobs.put(read(), digest ? { digest, size } : { size });
      if (!blob.existed) this.result.added.add(blob.digest);
      this.result.files.set(name, { digest: blob.digest, size: blob.size });
    } catch (error) {
      if (error instanceof RuntimeError) throw new RuntimeError(`${this.where}: ${name}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** A symlink or hardlink in the archive (docker 25+ links <id>/layer.tar to blobs/sha256/…). */
  link(name: string, target: string): void {
    this.links.set(name, target);
  }

  finish(): ArchiveFiles {
    for (const [name, target] of this.links) {
      const file = this.result.files.get(target) ?? this.result.files.get(clean(posix.join(posix.dirname(name), target)));
      if (file) this.result.files.set(name, file);
    }
    return this.result;
  }
}

/**
 * An image tar (OCI archive or docker save), plain or compressed. `added` collects the
 * blobs it brought into the store, also when it fails halfway, so the caller can free them.
 */
export async function readArchive(blobs: BlobStore, path: string, added: Set<string>, where = `load ${path}`): Promise<ArchiveFiles> {
  const { extract } = await import('tar-stream');
  const raw = createReadStream(path, { highWaterMark: 1 << 20 }); // as readDirectory's
  const decompress = await decompressor(fileCompression(path, where));
  const source: Readable = decompress ? pipeline(raw, decompress, () => undefined) : raw;
  const tar = extract({});
  // A destroyed extractor never emits 'drain' again: without the abort, a failure while the
  // feeder waits for it would leave a promise nothing settles, and Node would exit 0 quietly
  // with the load half done (issue 9 item 13).
  const stop = new AbortController();
  const feeding = (async () => {
    for await (const chunk of source as AsyncIterable<Buffer>) if (!tar.write(chunk)) await once(tar, 'drain', { signal: stop.signal });
    tar.end(undefined);
  })();
  feeding.catch((error: unknown) => tar.destroy(error as Error));
  const collector = new Collector(blobs, where, added);
  try {
    for await (const entry of tar) {
      const name = clean(entry.header.name);
      const drain = () => void entry.resume();
      if (entry.header.type === 'file' || entry.header.type === 'contiguous-file') {
        await collector.file(name, entry.header.size ?? 0, () => entry as unknown as NodeJS.ReadableStream, drain);
      } else {
        if (entry.header.type === 'symlink' || entry.header.type === 'link') collector.link(name, clean(entry.header.linkname ?? ''));
        drain();
      }
    }
    await feeding;
  } catch (error) {
    stop.abort();
    source.destroy();
    tar.destroy();
    await feeding.catch(() => undefined);
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`${where}: ${(error as Error).message} (not a tar, or truncated?)`, { cause: error });
  }
  return collector.finish();
}

/** An OCI image layout directory, or a directory a docker archive was extracted into. */
export async function readDirectory(blobs: BlobStore, dir: string, added: Set<string>, where = `load ${dir}`): Promise<ArchiveFiles> {
  const collector = new Collector(blobs, where, added);
  const walk = async (rel: string): Promise<void> => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      const path = join(dir, name);
      if (entry.isDirectory()) await walk(name);
      else if (entry.isSymbolicLink()) collector.link(name, clean(posix.join(rel, readlinkSync(path))));
      // 1 MiB reads rather than 64 KiB: a layer blob is hundreds of MB, and each chunk costs
      // a hash update and an awaited write into the store (issue 14).
      else if (entry.isFile()) await collector.file(name, lstatSync(path).size, () => createReadStream(path, { highWaterMark: 1 << 20 }), () => undefined);
    }
  };
  await walk('');
  return collector.finish();
}

/** A metadata file parsed, with the archive named in the error. */
export function metaJson<T>(files: ArchiveFiles, name: string, where: string): T {
  const bytes = files.meta.get(name);
  if (!bytes) throw new RuntimeError(`${where}: no ${name}`);
  try {
    return JSON.parse(bytes.toString('utf8')) as T;
  } catch (error) {
    throw new RuntimeError(`${where}: ${name} is not valid JSON: ${(error as Error).message}`);
  }
}

