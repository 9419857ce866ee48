/**
 * The image store, everything under <storage>/images:
 *
 *   blobs/sha256/<hex>   manifests, configs and layer tarballs, by digest (blob-store.ts)
 *   l/<12 hex>/          each layer unpacked ONCE, named by its diff_id, shared by every
 *                        image and container that uses it; short names because overlayfs
 *                        takes all lowerdirs in one mount option of at most a page
 *   images.json          the images (id = config digest), their names and layers, and who
 *                        holds which image (store-db.ts)
 *   locks/               one flock per layer being unpacked (sys/file-lock.ts)
 *
 * Reference counts are computed, not counted: a layer or blob is freed when no image
 * lists it any more, an image cannot be removed while a holder (container, bundle) uses it.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { crypto } from '../crypto.js';
import { join } from 'node:path';
import { imagesDir } from '../storage.js';
import { pipeline, Readable } from 'node:stream';
import { RuntimeError } from '../errors.js';
import { lgetxattr, lsetxattr } from '../sys/libc.js';
import { BlobStore, digestHex } from './blob-store.js';
import { layerMediaType } from './compression.js';
import { formatReference, normalizeName, parseReference } from './reference.js';
import { readDb, updateDb, type StoreDb, type StoredImage, type StoredLayer } from './store-db.js';
import { withFileLockAsync } from '../sys/file-lock.js';
import { unpackLayer } from './unpack.js';
import type { ImageConfig, ImageIndex, ImageRecord, Manifest, ResolvedImage, UnpackedLayer } from './types.js';

export class ImageStore {
  readonly dir: string;
  readonly blobs: BlobStore;

  constructor(storage: string) {
    this.dir = imagesDir(storage);
    this.blobs = new BlobStore(join(this.dir, 'blobs'));
  }

  list(): ImageRecord[] {
    return readDb(this.dir).images.map(publicRecord);
  }

  /** "name[:tag]", "name@sha256:…", or an id, full or its first 12+ hex digits. */
  resolve(ref: string): ResolvedImage {
    const image = findImage(readDb(this.dir), ref);
    const manifest = this.blobs.readJson<Manifest>(image.manifestDigest);
    const config = this.blobs.readJson<ImageConfig>(image.id);
    const layers = image.layers.map((layer) => this.unpacked(layer));
    return { ...publicRecord(image), manifest, config, layers };
  }

  /**
   * Records the image whose manifest, config and layer blobs are already in `blobs`:
   * checks them, unpacks the layers not unpacked yet, and gives the image `names`.
   */
  async addImage(manifestDigest: string, names: string[]): Promise<ImageRecord> {
    const where = `image ${manifestDigest}`;
    const manifest = this.blobs.readJson<Manifest | ImageIndex>(manifestDigest);
    if ('manifests' in manifest) throw new RuntimeError(`${where} is an image index (a multi-platform list), not one image: choose a platform first`);
    if (!manifest.config?.digest || !Array.isArray(manifest.layers)) throw new RuntimeError(`${where}: not an image manifest (no config or layers)`);
    const config = this.blobs.readJson<ImageConfig>(manifest.config.digest);
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== manifest.layers.length) {
      throw new RuntimeError(`${where}: the manifest lists ${manifest.layers.length} layers but the config's rootfs.diff_ids has ${diffIds.length}`);
    }
    // A descriptor's size is part of what it promises (image-spec descriptor.md "size"):
    // a blob of another size is not the one the manifest names, whatever its digest says.
    this.checkSize(`${where}: config`, manifest.config.digest, manifest.config.size);
    for (const layer of manifest.layers) {
      if (!this.blobs.has(layer.digest)) throw new RuntimeError(`${where}: layer blob ${layer.digest} is not in the store`);
      this.checkSize(`${where}: layer`, layer.digest, layer.size);
    }
    const normalized = names.map(normalizeName);
    let record: ImageRecord;
    let layers: StoredLayer[];
    try {
      // Layers unpack side by side: decompression runs on libuv's thread pool, so one
      // layer's gunzip overlaps another's file writes on this thread.
      layers = await mapLimited(manifest.layers, UNPACK_PARALLEL, async (layer, i): Promise<StoredLayer> => {
        const unpacked = await this.ensureLayer(layer.digest, layer.size, diffIds[i]!);
        return { digest: layer.digest, diffId: unpacked.diffId, size: layer.size, mediaType: layer.mediaType };
      });
      record = this.record(manifestDigest, manifest.config.digest, layers, normalized);
    } catch (error) {
      // The layers unpacked before the failure belong to no image: none may stay.
      this.freeUnlisted([], diffIds);
      throw error;
    }
    // An `image rm` of another image that shared a layer may have freed it between its
    // unpack and the record above; now that this image lists it, no rm can, so unpack again.
    for (const layer of layers) {
      if (!existsSync(this.layerDir(layer.diffId))) await this.ensureLayer(layer.digest, layer.size, layer.diffId);
    }
    return record;
  }

  private checkSize(what: string, digest: string, size: unknown): void {
    if (!this.blobs.has(digest)) return; // readJson or the caller says it is missing
    const actual = this.blobs.size(digest);
    if (size !== actual) {
      throw new RuntimeError(`${what} ${digest}: the descriptor's size is ${JSON.stringify(size)} but the blob has ${actual} bytes (corrupt or tampered with)`);
    }
  }

  private record(manifestDigest: string, id: string, layers: StoredLayer[], names: string[]): ImageRecord {
    return updateDb(this.dir, (db) => {
      // Blobs are freed only under this lock, so what exists now stays while the image lists it.
      const missing = [manifestDigest, id, ...layers.map((l) => l.digest)].find((d) => !this.blobs.has(d));
      if (missing) throw new RuntimeError(`image ${manifestDigest}: blob ${missing} was removed while the image was being added (a concurrent image rm?); add it again`);
      let image = db.images.find((i) => i.id === id);
      if (!image) {
        image = { id, manifestDigest, names: [], added: new Date().toISOString(), size: layers.reduce((sum, l) => sum + l.size, 0), layers };
        db.images.push(image);
      } else {
        image.manifestDigest = manifestDigest;
        image.layers = layers;
      }
      for (const name of names) giveName(db, image, name);
      return publicRecord(image);
    });
  }

  /**
   * A plain tar (or an already compressed one) as a new layer blob, unpacked: what commit
   * and import make. With `gzip`, the blob is gzip-compressed on its way in.
   */
  async addLayer(tar: NodeJS.ReadableStream | Buffer, options: { gzip?: boolean } = {}): Promise<UnpackedLayer> {
    let input: NodeJS.ReadableStream = Buffer.isBuffer(tar) ? Readable.from([tar]) : tar;
    if (options.gzip) {
      const { createGzip } = await import('node:zlib');
      input = pipeline(input, createGzip(), () => undefined);
    }
    const blob = await this.blobs.put(input);
    try {
      return await this.ensureLayer(blob.digest, blob.size, undefined);
    } catch (error) {
      // A tar the unpacker refuses: its blob must not stay in the store unlisted.
      if (!blob.existed) this.freeUnlisted([blob.digest]);
      throw error;
    }
  }

  tag(ref: string, name: string): void {
    const normalized = normalizeName(name);
    updateDb(this.dir, (db) => giveName(db, findImage(db, ref), normalized));
  }

  /**
   * Untags `ref` if it is one of several names of its image; otherwise deletes the image
   * and frees the layers and blobs no other image uses. Returns docker-style report lines.
   */
  remove(ref: string, options: { force?: boolean } = {}): string[] {
    return updateDb(this.dir, (db) => {
      const image = findImage(db, ref);
      const name = matchingName(image, ref);
      if (name !== undefined && image.names.length > 1) {
        image.names = image.names.filter((n) => n !== name);
        return [`Untagged: ${name}`];
      }
      if (name === undefined && image.names.length > 1 && !options.force) {
        throw new RuntimeError(`image ${ref} has several names (${image.names.join(', ')}): remove them one at a time, or use --force`);
      }
      const holders = Object.entries(db.holders).filter(([, id]) => id === image.id).map(([holder]) => holder);
      if (holders.length > 0) throw new RuntimeError(`image ${ref} is in use by ${holders.join(', ')}: remove those first`);
      db.images = db.images.filter((i) => i !== image);
      this.freeUnused(db, image);
      return [...image.names.map((n) => `Untagged: ${n}`), `Deleted: ${image.id}`];
    });
  }

  /** `holder` (e.g. "container:web") uses the image's layers; remove refuses it until release. */
  hold(imageId: string, holder: string): void {
    updateDb(this.dir, (db) => {
      if (!db.images.some((i) => i.id === imageId)) throw new RuntimeError(`image ${imageId} not found`);
      db.holders[holder] = imageId;
    });
  }

  release(holder: string): void {
    updateDb(this.dir, (db) => {
      delete db.holders[holder];
    });
  }

  /**
   * Removes those of `digests` (blobs) and `diffIds` (unpacked layers) that no image lists:
   * what a failed load, import or commit brought in but did not keep.
   */
  freeUnlisted(digests: Iterable<string>, diffIds: Iterable<string> = []): void {
    const blobs = [...digests];
    const layers = [...diffIds].filter((d) => DIGEST_RE.test(d) && existsSync(this.layerDir(d)));
    if (blobs.length === 0 && layers.length === 0) return;
    updateDb(this.dir, (db) => {
      const used = new Set(db.images.flatMap((i) => [i.id, i.manifestDigest, ...i.layers.map((l) => l.digest)]));
      for (const digest of blobs) if (!used.has(digest)) this.blobs.remove(digest);
      // by directory: two diff_ids sharing the 12 digits of a name share a directory
      const listed = new Set(db.images.flatMap((i) => i.layers.map((l) => this.layerDir(l.diffId))));
      for (const diffId of layers) if (!listed.has(this.layerDir(diffId))) this.removeLayerDir(diffId);
    });
  }

  /** Who holds images: holder → image id. */
  holders(): Record<string, string> {
    return readDb(this.dir).holders;
  }

  /** The unpacked directory of a layer, by its diff_id. */
  layerDir(diffId: string): string {
    return join(this.dir, 'l', digestHex(diffId).slice(0, 12));
  }

  private unpacked(layer: StoredLayer): UnpackedLayer {
    return { ...layer, dir: this.layerDir(layer.diffId) };
  }

  /**
   * The layer unpacked, once: under its lock, an existing directory is reused, otherwise the
   * blob is unpacked into a temporary directory renamed into place only when complete.
   * `diffId` is what the config says; undefined (a new layer) takes what the unpack computes.
   */
  private async ensureLayer(digest: string, size: number, diffId: string | undefined): Promise<UnpackedLayer> {
    const where = `layer ${digest}`;
    const blob = this.blobs.path(digest);
    // Owner-only (see BlobStore.put): overlayfs reaches the layers with the mounter's credentials.
    mkdirSync(join(this.dir, 'l'), { recursive: true, mode: 0o700 });
    const tmp = () => join(this.dir, 'l', `.tmp-${process.pid}-${crypto().randomBytes(4).toString('hex')}`);
    const place = (dir: string, unpackedDiffId: string, mediaType: string): UnpackedLayer => {
      const final = this.layerDir(unpackedDiffId);
      if (existsSync(final)) {
        rmSync(dir, { recursive: true, force: true });
        checkLayerDir(final, unpackedDiffId);
      } else {
        lsetxattr(dir, DIFF_ID_XATTR, Buffer.from(unpackedDiffId));
        renameSync(dir, final);
      }
      return { digest, diffId: unpackedDiffId, size, mediaType, dir: final };
    };

    if (diffId !== undefined) {
      const key = digestHex(diffId).slice(0, 12);
      return withFileLockAsync(join(this.dir, 'locks', key), async () => {
        const final = this.layerDir(diffId);
        if (existsSync(final)) {
          checkLayerDir(final, diffId);
          return { digest, diffId, size, mediaType: '', dir: final };
        }
        const dir = tmp();
        const result = await unpackLayer(blob, dir, where);
        if (result.diffId !== diffId) {
          rmSync(dir, { recursive: true, force: true });
          throw new RuntimeError(`${where}: the unpacked tar's digest is ${result.diffId}, but the image config says ${diffId} (corrupt or tampered with)`);
        }
        return place(dir, diffId, layerMediaType(result.compression));
      });
    }
    const dir = tmp();
    const result = await unpackLayer(blob, dir, where);
    return withFileLockAsync(join(this.dir, 'locks', digestHex(result.diffId).slice(0, 12)), async () => place(dir, result.diffId, layerMediaType(result.compression)));
  }

  /** Called under the db lock, for a layer no image lists. */
  private removeLayerDir(diffId: string): void {
    const dir = this.layerDir(diffId);
    if (!existsSync(dir)) return;
    // Out of the way first, so a half-deleted layer is never taken for a complete one.
    const trash = join(this.dir, 'l', `.trash-${crypto().randomBytes(4).toString('hex')}`);
    renameSync(dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }

  /** After `removed` left `db`: delete its layers and blobs that no remaining image lists. */
  private freeUnused(db: StoreDb, removed: StoredImage): void {
    const diffIds = new Set(db.images.flatMap((i) => i.layers.map((l) => l.diffId)));
    const blobs = new Set(db.images.flatMap((i) => [i.id, i.manifestDigest, ...i.layers.map((l) => l.digest)]));
    for (const layer of removed.layers) {
      if (diffIds.has(layer.diffId)) continue;
      this.removeLayerDir(layer.diffId);
      diffIds.add(layer.diffId);
    }
    for (const digest of [removed.id, removed.manifestDigest, ...removed.layers.map((l) => l.digest)]) {
      if (!blobs.has(digest)) this.blobs.remove(digest);
    }
    // downloads a killed pull or load left half-written
    this.blobs.sweepAbandoned();
  }
}

const UNPACK_PARALLEL = 4;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

/**
 * A layer directory's name has only 12 hex digits (48 bits) of its diff_id: a crafted
 * layer matching them is within reach of brute force, and would be taken for the real one
 * by every later image. So the full diff_id is kept on the directory (trusted.*, which
 * only the host's root can read or set) and an existing directory is used only if it matches.
 */
const DIFF_ID_XATTR = 'trusted.ts-runc.diff-id';

function checkLayerDir(dir: string, diffId: string): void {
  const held = lgetxattr(dir, DIFF_ID_XATTR)?.toString();
  if (held !== diffId) {
    throw new RuntimeError(`layer ${diffId}: ${dir} holds ${held ?? 'a layer of unknown diff_id'}, which shares its first 12 digits; refusing to use it in its place`);
  }
}

/** `work` on every item, at most `limit` at a time; results in input order. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const i = next++;
      try {
        results[i] = await work(items[i]!, i);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  // Every started unpack finishes (and cleans up after itself) before an error is thrown.
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}

function publicRecord(image: StoredImage): ImageRecord {
  return { id: image.id, manifestDigest: image.manifestDigest, names: [...image.names], added: image.added, size: image.size };
}

/** A name belongs to one image: tagging moves it (the old image may be left nameless). */
function giveName(db: StoreDb, image: StoredImage, name: string): void {
  for (const other of db.images) if (other !== image) other.names = other.names.filter((n) => n !== name);
  if (!image.names.includes(name)) image.names.push(name);
}

/**
 * Whether a stored name answers to `ref`. The full name always does; a short name without a
 * registry host ("busybox", "team/app:1") also matches that name pulled from any registry
 * ("<host>/busybox:latest", and "<host>/library/busybox:latest", where public registries
 * keep official images), as podman and Docker let users write short names.
 */
function nameMatches(stored: string, ref: string): boolean {
  let parsed;
  try {
    parsed = parseReference(ref);
  } catch {
    return false;
  }
  const name = formatReference(parsed);
  if (stored === name) return true;
  if (parsed.registry !== undefined) return false;
  const full = parseReference(stored);
  if (full.registry === undefined) return false;
  const path = full.repository.startsWith('library/') ? full.repository.slice(8) : full.repository;
  return (path === parsed.repository || full.repository === parsed.repository) && full.tag === parsed.tag && full.digest === parsed.digest;
}

/** "busybox" → "busybox:latest"; a ref parseReference refuses stays as it is. */
function formatReferenceOrSelf(ref: string): string {
  try {
    return formatReference(parseReference(ref));
  } catch {
    return ref;
  }
}

function matchingName(image: StoredImage, ref: string): string | undefined {
  return image.names.find((n) => n === ref) ?? image.names.find((n) => nameMatches(n, ref));
}

function findImage(db: StoreDb, ref: string): StoredImage {
  const hex = ref.startsWith('sha256:') ? ref.slice(7) : ref;
  if (/^[a-f0-9]{12,64}$/.test(hex)) {
    const found = db.images.filter((i) => i.id.slice(7).startsWith(hex));
    if (found.length > 1) throw new RuntimeError(`image id ${ref} is ambiguous: it starts ${found.length} image ids`);
    if (found.length === 1) return found[0]!;
  }
  const at = ref.indexOf('@sha256:');
  if (at >= 0) {
    const digest = ref.slice(at + 1);
    const found = db.images.find((i) => i.manifestDigest === digest || i.names.includes(ref));
    if (found) return found;
  }
  const exact = db.images.find((i) => i.names.includes(formatReferenceOrSelf(ref)));
  if (exact) return exact;
  const short = db.images.filter((i) => i.names.some((n) => nameMatches(n, ref)));
  if (short.length > 1) {
    throw new RuntimeError(`image name ${ref} is ambiguous: it is short for ${short.flatMap((i) => i.names.filter((n) => nameMatches(n, ref))).join(', ')}`);
  }
  if (short.length === 1) return short[0]!;
  throw new RuntimeError(`image ${ref} not found`, { exitCode: 1 });
}
