/**
 * The library behind `container cp` and the Engine API's /containers/{id}/archive:
 *
 *   archiveStat(storage, ref, path)               HEAD: the PathStat of the path
 *   archiveGet(storage, ref, path, out)           GET: the PathStat, and a tar of the path
 *                                                 (named by its basename) written to `out`
 *   archivePut(storage, ref, path, tar, options)  PUT: extract a tar into the directory `path`
 *
 * `ref` is a container id, id prefix or name; running or stopped (container-root.ts). Every
 * path is resolved inside the container's root (in-root.ts); a symlink in a source is
 * archived as a link; a symlink in the container never redirects a write outside it.
 */
import { closeSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RuntimeError } from '../../errors.js';
import { withContainerRoot } from './container-root.js';
import { extractInto } from './extract.js';
import { fdPath, locate, lstatIn } from './in-root.js';
import { packPath } from './pack.js';
import { pathStat, type PathStat } from './stat.js';

function what(ref: string, path: string): string {
  return `copy ${ref}:${path}`;
}

/** The container path a symlink at `path` finally points to (for PathStat.linkTarget). */
function linkTargetOf(rootFd: number, path: string, label: string): string {
  let current = path;
  for (let i = 0; i < 40; i++) {
    let located: { dirFd: number; name: string };
    try {
      located = locate(rootFd, current, false, label);
    } catch (error) {
      if (error instanceof RuntimeError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return current; // dangling
      throw error;
    }
    const { dirFd, name } = located;
    try {
      const st = lstatIn(dirFd, name);
      if (!st?.isSymbolicLink()) return current;
      const target = readlinkSync(fdPath(dirFd, name));
      current = posix.normalize(posix.isAbsolute(target) ? target : posix.join(posix.dirname(current), target));
    } finally {
      closeSync(dirFd);
    }
  }
  throw new RuntimeError(`${label}: too many levels of symbolic links`, { code: 'ELOOP' });
}

function statIn(rootFd: number, path: string, label: string, follow = false): PathStat {
  let located: { dirFd: number; name: string };
  try {
    located = locate(rootFd, path, follow, label);
  } catch (error) {
    if (error instanceof RuntimeError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) {
      throw new RuntimeError(`${label}: no such file or directory in the container (a directory on the way is missing)`, { code: 'ENOENT', cause: error });
    }
    throw error;
  }
  const { dirFd, name } = located;
  try {
    const st = lstatIn(dirFd, name);
    if (!st) throw new RuntimeError(`${label}: no such file or directory in the container`, { code: 'ENOENT' });
    const base = name === '.' ? '/' : name;
    return pathStat(base, st, st.isSymbolicLink() ? linkTargetOf(rootFd, path, label) : '');
  } finally {
    closeSync(dirFd);
  }
}

export async function archiveStat(storage: string, ref: string, path: string): Promise<PathStat> {
  return withContainerRoot(storage, ref, async ({ rootFd }) => statIn(rootFd, path, what(ref, path)));
}

export interface ArchiveGetOptions {
  /** follow a symlink that is the path's last component (cp -L) */
  followLink?: boolean;
  /** the name the top entry gets (default: the path's basename) */
  as?: string;
}

/**
 * Write a tar of `path` to `out` (not ended, so stdout stays usable) and return its stat.
 * `onStat` is called before the first byte: the API sends it as a header.
 */
export async function archiveGet(storage: string, ref: string, path: string, out: Writable, options: ArchiveGetOptions = {}, onStat?: (stat: PathStat) => void): Promise<PathStat> {
  const label = what(ref, path);
  return withContainerRoot(storage, ref, async ({ rootFd }) => {
    const stat = statIn(rootFd, path, label, options.followLink);
    onStat?.(stat);
    const { dirFd, name } = locate(rootFd, path, options.followLink === true, label);
    try {
      const { pack: makePack } = await import('tar-stream');
      const pack = makePack();
      const written = pipeline(pack, out, { end: false });
      written.catch(() => undefined);
      try {
        await packPath(dirFd, name, options.as ?? (name === '.' ? '.' : name), pack, label);
        pack.finalize();
      } catch (error) {
        pack.destroy(error as Error);
        await written.catch(() => undefined);
        throw error;
      }
      await written;
    } finally {
      closeSync(dirFd);
    }
    return stat;
  });
}

export interface ArchivePutOptions {
  /** refuse to replace a directory by a non-directory or the reverse (the API's noOverwriteDirNonDir) */
  noOverwriteDirNonDir?: boolean;
  /** keep the archive's uid/gid (cp -a, the API's copyUIDGID); else the container's root owns the files */
  copyUIDGID?: boolean;
}

/** Extract `tar` into the directory `path` of the container (which must exist). */
export async function archivePut(storage: string, ref: string, path: string, tar: Readable, options: ArchivePutOptions = {}): Promise<void> {
  const label = what(ref, path);
  await withContainerRoot(storage, ref, async ({ rootFd }) => {
    const stat = statIn(rootFd, path, label, true);
    if (stat.mode < 2 ** 31) throw new RuntimeError(`${label}: not a directory (extract into a directory)`, { code: 'ENOTDIR' });
    await extractInto(rootFd, path, tar, {
      noOverwriteDirNonDir: options.noOverwriteDirNonDir,
      // ts-runc maps no user namespace for engine containers: the container's root is uid 0
      owner: options.copyUIDGID ? 'archive' : { uid: 0, gid: 0 },
    }, label);
  });
}
