/**
 * flock(2) on a lock file, around a piece of work: the IPAM leases, the network
 * definitions, the image store's records and each layer's unpacking use it. The kernel
 * drops the lock when its holder dies, so a command killed halfway leaves no stale lock
 * (an O_EXCL or mkdir lock would need guessing whether its owner still lives).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lockExclusive, tryLockExclusive, unlock } from './libc.js';

function openLockFile(file: string): number {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  return openSync(file, 'a', 0o600);
}

/** Run `fn` holding `file`'s lock (the file is made if missing); waits, blocking, for it. */
export function withFileLock<T>(file: string, fn: () => T): T {
  const fd = openLockFile(file);
  try {
    lockExclusive(fd, `lock ${file}`);
    return fn();
  } finally {
    unlock(fd);
    closeSync(fd);
  }
}

/**
 * The same for async work: the wait polls (LOCK_NB) so the event loop keeps running; a
 * blocking flock would freeze a process that holds the lock on another fd of its own.
 */
export async function withFileLockAsync<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const fd = openLockFile(file);
  try {
    while (!tryLockExclusive(fd, `lock ${file}`)) await sleep(20);
    return await fn();
  } finally {
    unlock(fd);
    closeSync(fd);
  }
}
