/**
 * The build cache, as the classic builder keeps it: a step whose parent image and
 * instruction were seen before reuses the image that step made then.
 *
 *   key   sha256 of [parent image id, the step's history text, extra]
 *         history text: "/bin/sh -c #(nop)  ENV A=1", "|1 V=2 /bin/sh -c make" (a RUN with the
 *         build args in effect), "COPY file:<sha256 of the files> in /app " (contents, names,
 *         modes); extra: what else changes the result (COPY's --chown/--chmod/--from, RUN's
 *         network, the proxy args RUN sees)
 *   value the step's image id
 *
 * The index also lists the images other steps were built on ("parents"): `image ls` hides
 * those that have no name, as `docker images` hides intermediate images (-a shows them).
 *
 * The index is <storage>/build-cache/index.json; the images are untagged images in the
 * store. An entry whose image is gone (removed by `image rm` or `image prune`) is a miss.
 * `pruneBuildCache` removes the cached images no tag or container uses, and the index.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode, errorMessage } from '../errors.js';
import { log } from '../log.js';
import type { ImageStore } from '../image/store.js';
import { withFileLock } from '../sys/file-lock.js';
import { writeFileAtomic } from '../sys/write-atomic.js';

interface Index {
  entries: Record<string, string>;
  parents: string[];
}

export function cacheDir(storage: string): string {
  return join(storage, 'build-cache');
}

export function cacheKey(parent: string | undefined, createdBy: string, extra = ''): string {
  return createHash('sha256').update(JSON.stringify([parent ?? 'scratch', createdBy, extra])).digest('hex');
}

export class BuildCache {
  private readonly dir: string;

  constructor(storage: string, private readonly store: ImageStore) {
    this.dir = cacheDir(storage);
  }

  /** The cached image of `key`, if it is still in the store. */
  lookup(key: string): string | undefined {
    const id = readIndex(this.dir).entries[key];
    if (id === undefined) return undefined;
    try {
      return this.store.resolve(id).id;
    } catch {
      return undefined;
    }
  }

  /** `id` is the image of step `key`, made on top of `parent`. */
  record(key: string, id: string, parent: string | undefined): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    withFileLock(join(this.dir, 'index.lock'), () => {
      const index = readIndex(this.dir);
      index.entries[key] = id;
      if (parent !== undefined && !index.parents.includes(parent)) index.parents.push(parent);
      writeFileAtomic(join(this.dir, 'index.json'), JSON.stringify(index), { mode: 0o600 });
    });
  }
}

function readIndex(dir: string): Index {
  try {
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Partial<Index>;
    return { entries: index.entries ?? {}, parents: index.parents ?? [] };
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') log().warn(`build cache index unreadable, starting afresh: ${errorMessage(error)}`);
    return { entries: {}, parents: [] };
  }
}

/** Images some build step was made on top of: `image ls` leaves the nameless ones out. */
export function intermediateImages(storage: string): Set<string> {
  return new Set(readIndex(cacheDir(storage)).parents);
}

/**
 * Drops the build cache: first what builders that died left (workdir.ts), then every image
 * the index names that has no name and no holder is removed from the store (with the
 * layers only it used), then the index. Returns the ids removed.
 */
export async function pruneBuildCache(storage: string, store: ImageStore): Promise<string[]> {
  const { cleanDeadBuilds } = await import('./workdir.js');
  await cleanDeadBuilds(storage);
  const dir = cacheDir(storage);
  const index = readIndex(dir);
  const ids = new Set([...Object.values(index.entries), ...index.parents]);
  const held = new Set(Object.values(store.holders()));
  const removed: string[] = [];
  for (const image of store.list()) {
    if (!ids.has(image.id) || image.names.length > 0 || held.has(image.id)) continue;
    try {
      store.remove(image.id);
      removed.push(image.id);
    } catch (error) {
      log().warn(`build cache: ${image.id}: ${errorMessage(error)}`);
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return removed;
}
