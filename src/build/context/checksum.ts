/**
 * What COPY/ADD's cache key says about the files: a sha256 over each copied path's name,
 * type, permission bits, size, link target and content, in walk order. As in Docker's
 * tarsum, the modification time is not part of it: `touch` alone does not rebuild, an edit
 * does. Owners are not either: COPY gives every file the same owner (root, or --chown,
 * which is in the key through the instruction text).
 */
import { createHash, type Hash } from 'node:crypto';
import { lstatSync, readFileSync, readlinkSync, readdirSync, openSync, readSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildContext, SourcePath } from './context.js';

/** "file:<hex>" for one file, "dir:<hex>" for one directory, "multi:<hex>" for several (Docker's history text). */
export function sourcesChecksum(context: BuildContext | undefined, sources: SourcePath[]): string {
  const parts = sources.map((source) => {
    const hash = createHash('sha256');
    const stats = lstatSync(source.host);
    hashEntry(hash, '.', source.host);
    if (stats.isDirectory()) hashTree(hash, context, source.rel, source.host);
    return { kind: stats.isDirectory() ? 'dir' : 'file', hex: hash.digest('hex') };
  });
  if (parts.length === 1) return `${parts[0]!.kind}:${parts[0]!.hex}`;
  const all = createHash('sha256');
  for (const part of parts) all.update(`${part.kind}:${part.hex}\n`);
  return `multi:${all.digest('hex')}`;
}

/** Below a directory: the context's walk (ignored paths skipped), or every entry (another image's files). */
function hashTree(hash: Hash, context: BuildContext | undefined, rel: string, host: string): void {
  for (const name of readdirSync(host).sort()) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const child = join(host, name);
    if (context && context.ignore.ignores(childRel)) {
      if (context.ignore.hasExclusions && lstatSync(child).isDirectory()) hashTree(hash, context, childRel, child);
      continue;
    }
    hashEntry(hash, childRel, child);
    if (lstatSync(child).isDirectory()) hashTree(hash, context, childRel, child);
  }
}

function hashEntry(hash: Hash, name: string, host: string): void {
  const stats = lstatSync(host);
  const type = stats.isDirectory() ? 'd' : stats.isSymbolicLink() ? 'l' : stats.isFile() ? 'f' : 'o';
  hash.update(`${name}\0${type}\0${(stats.mode & 0o7777).toString(8)}\0${stats.isFile() ? stats.size : 0}\0`);
  if (stats.isSymbolicLink()) hash.update(readlinkSync(host));
  if (stats.isFile()) hashFile(hash, host, stats.size);
  if (type === 'o') hash.update(String(stats.rdev));
  hash.update('\n');
}

function hashFile(hash: Hash, host: string, size: number): void {
  if (size < 1 << 20) {
    hash.update(readFileSync(host));
    return;
  }
  const fd = openSync(host, 'r');
  try {
    const buffer = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}
