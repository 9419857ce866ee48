/**
 * The image store's records: <storage>/images/images.json, which images exist (with their
 * names and layers) and who holds them. Every change is read-modify-write under flock(2)
 * on images.lock and lands by writing a temporary file and rename(2), so a reader never
 * sees half a file and a crash leaves the previous version.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode } from '../errors.js';
import { withFileLock } from '../sys/file-lock.js';
import { writeFileAtomic } from '../sys/write-atomic.js';
import type { ImageRecord } from './types.js';

export interface StoredLayer {
  /** the blob as the manifest names it */
  digest: string;
  diffId: string;
  size: number;
  mediaType: string;
}

export interface StoredImage extends ImageRecord {
  layers: StoredLayer[];
}

export interface StoreDb {
  images: StoredImage[];
  /** holder ("container:web", "bundle:/path") → the image id it uses */
  holders: Record<string, string>;
}

const FILE = 'images.json';

export function readDb(dir: string): StoreDb {
  let text: string;
  try {
    text = readFileSync(join(dir, FILE), 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { images: [], holders: {} };
    throw error;
  }
  try {
    return JSON.parse(text) as StoreDb;
  } catch (error) {
    throw new RuntimeError(`${join(dir, FILE)} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Runs `change` on the current records under the store's lock and saves what it leaves. */
export function updateDb<T>(dir: string, change: (db: StoreDb) => T): T {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withFileLock(join(dir, 'images.lock'), () => {
    const db = readDb(dir);
    const result = change(db);
    writeFileAtomic(join(dir, FILE), `${JSON.stringify(db, null, 2)}\n`, { mode: 0o600, durable: true });
    return result;
  });
}
