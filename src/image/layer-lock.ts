/**
 * One lock per layer (flock(2) on <images>/locks/<key>), held while the layer is unpacked,
 * so that two loads of the same image unpack each layer once: the second waits, then finds
 * the directory the first one renamed into place. The kernel drops the lock if its holder
 * dies, so there are no stale locks to clean up.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { tryLockExclusive, unlock } from '../sys/libc.js';

export async function withLayerLock<T>(imagesDir: string, key: string, work: () => Promise<T>): Promise<T> {
  const dir = join(imagesDir, 'locks');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, key);
  const fd = openSync(path, 'a', 0o600);
  try {
    while (!tryLockExclusive(fd, `lock ${path}`)) await sleep(20);
    return await work();
  } finally {
    unlock(fd);
    closeSync(fd);
  }
}
