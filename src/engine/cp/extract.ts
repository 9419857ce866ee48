/**
 * A tar stream → files under a directory of a container (`PUT /containers/{id}/archive`,
 * `container cp SRC CTR:DST`), or of the host (`container cp CTR:SRC DST`).
 *
 * Every entry's parent directory is resolved with openat2(RESOLVE_IN_ROOT) from the root
 * fd: a symlink in the container (even /etc -> /host-path) resolves inside the container's
 * root, never to the host. Each entry is then made by name in that parent through
 * /proc/self/fd/N/<name> with calls that never follow a final symlink (open O_CREAT|O_EXCL|
 * O_NOFOLLOW, symlink, mkdir, lchown, and fchmod/fchown/futimes on an fd opened
 * O_NOFOLLOW); a directory in the way of a file is removed only if empty (never
 * recursively: a running container could swap a subdirectory for a link meanwhile).
 * Names with ".." are refused; absolute names are taken as relative, as GNU tar does.
 */
import { closeSync, constants, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, lutimesSync, mkdirSync, openSync, rmdirSync, symlinkSync, unlinkSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { Header } from 'tar-stream';
import { RuntimeError, errorCode, errorMessage } from '../../errors.js';
import { makedev } from '../../image/unpack.js';
import { RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, mknod, openat2 } from '../../sys/libc.js';
import { fdPath, lstatIn, openDirIn, tryOpenDirIn } from './in-root.js';

export interface ExtractOptions {
  /** an existing directory may not be replaced by a non-directory, nor the reverse (docker cp's default) */
  noOverwriteDirNonDir?: boolean;
  /**
   * owners: 'archive' keeps the tar's uid/gid (cp -a, API copyUIDGID); a fixed owner sets
   * that one (the container's root, docker cp's default into a container); 'none' leaves
   * what creating them gave (root's, extracting on the host)
   */
  owner: 'archive' | 'none' | { uid: number; gid: number };
}

type EntryData = AsyncIterable<Buffer> & { resume(): unknown };

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** The entry's name as components below the destination; ".." refused. */
function components(name: string, what: string): string[] {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new RuntimeError(`${what}: archive entry ${JSON.stringify(name)} has a ".." component`);
  return parts;
}

/** Extract `tar` into `dir` (a container path resolved in `rootFd`, which must be a directory). */
export async function extractInto(rootFd: number, dir: string, tar: Readable, options: ExtractOptions, what: string): Promise<void> {
  const { extract } = await import('tar-stream');
  const destFd = openDirIn(rootFd, dir, what);
  closeSync(destFd); // exists and is a directory
  const parser = extract();
  const dirTimes: { path: string; mtime: Date }[] = [];
  tar.on('error', (error) => parser.destroy(error));
  tar.pipe(parser);
  for await (const entry of parser) {
    const header = entry.header as Header;
    const data = entry as unknown as EntryData;
    const parts = components(header.name, what);
    if (parts.length === 0) {
      data.resume();
      continue; // "./" itself: the destination exists already
    }
    const name = parts.pop()!;
    const parentPath = posix.join(dir, ...parts);
    const parentFd = ensureDirs(rootFd, dir, parts, what);
    try {
      await applyEntry(parentFd, name, header, data, options, rootFd, dir, what);
      if (header.type === 'directory') dirTimes.push({ path: posix.join(parentPath, name), mtime: header.mtime ?? new Date() });
    } finally {
      closeSync(parentFd);
    }
  }
  // a directory's mtime changes as entries are made in it: set them last, deepest first
  for (const { path, mtime } of dirTimes.reverse()) {
    const fd = tryOpenDirIn(rootFd, path, what);
    if (fd === undefined) continue;
    try {
      const real = openRealDir(fd, '.', what);
      try {
        futimesSync(real, mtime, mtime);
      } finally {
        closeSync(real);
      }
    } finally {
      closeSync(fd);
    }
  }
}

/** The parent directories of an entry, made (0755) where missing; returns the last one's fd. */
function ensureDirs(rootFd: number, dir: string, parts: string[], what: string): number {
  let path = dir;
  let fd = openDirIn(rootFd, path, what);
  for (const part of parts) {
    const next = posix.join(path, part);
    let child = tryOpenDirIn(rootFd, next, what);
    if (child === undefined) {
      try {
        mkdirSync(fdPath(fd, part), { mode: 0o755 });
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      child = openDirIn(rootFd, next, what);
    }
    closeSync(fd);
    fd = child;
    path = next;
  }
  return fd;
}

/** A real (not O_PATH) fd of directory `name` in `dirFd`, never through a link: for fchmod, fchown, futimes. */
function openRealDir(dirFd: number, name: string, what: string): number {
  return openat2(dirFd, name, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, what);
}

function owner(header: Header, options: ExtractOptions): { uid: number; gid: number } | undefined {
  if (options.owner === 'none') return undefined;
  if (options.owner === 'archive') return { uid: header.uid ?? 0, gid: header.gid ?? 0 };
  return options.owner;
}

/** Make room for a new entry: a non-directory goes; a directory only if empty and allowed. */
function clear(parentFd: number, name: string, newIsDir: boolean, options: ExtractOptions, what: string): boolean {
  const st = lstatIn(parentFd, name);
  if (!st) return false;
  if (st.isDirectory()) {
    if (newIsDir) return true; // keep it, apply the entry's attributes
    if (options.noOverwriteDirNonDir) throw new RuntimeError(`${what}: cannot overwrite directory ${name} with non-directory`);
    try {
      rmdirSync(fdPath(parentFd, name));
    } catch (error) {
      throw new RuntimeError(`${what}: cannot replace directory ${name} (${errorCode(error) === 'ENOTEMPTY' ? 'not empty' : errorMessage(error)})`, { cause: error });
    }
    return false;
  }
  if (newIsDir && options.noOverwriteDirNonDir) throw new RuntimeError(`${what}: cannot overwrite non-directory ${name} with directory`);
  unlinkSync(fdPath(parentFd, name));
  return false;
}

async function applyEntry(parentFd: number, name: string, header: Header, data: EntryData, options: ExtractOptions, rootFd: number, dir: string, what: string): Promise<void> {
  const at = fdPath(parentFd, name);
  const mode = (header.mode ?? 0o644) & 0o7777;
  const own = owner(header, options);
  const mtime = header.mtime ?? new Date();
  switch (header.type) {
    case 'directory': {
      data.resume();
      if (!clear(parentFd, name, true, options, what)) mkdirSync(at, { mode: 0o700 });
      const fd = openRealDir(parentFd, name, what);
      try {
        if (own) fchownSync(fd, own.uid, own.gid);
        fchmodSync(fd, mode);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'file':
    case 'contiguous-file': {
      clear(parentFd, name, false, options, what);
      const fd = openSync(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        for await (const chunk of data) {
          for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
        }
        if (own) fchownSync(fd, own.uid, own.gid);
        fchmodSync(fd, mode); // after chown, which clears setuid/setgid
        futimesSync(fd, mtime, mtime);
      } finally {
        closeSync(fd);
      }
      return;
    }
    case 'symlink': {
      data.resume();
      clear(parentFd, name, false, options, what);
      symlinkSync(header.linkname ?? '', at);
      if (own) lchownSync(at, own.uid, own.gid);
      lutimesSync(at, mtime, mtime);
      return;
    }
    case 'link': {
      data.resume();
      const target = components(header.linkname ?? '', what);
      const targetName = target.pop();
      if (targetName === undefined) throw new RuntimeError(`${what}: hard link ${name} has no target`);
      const targetDir = openDirIn(rootFd, posix.join(dir, ...target), what);
      try {
        clear(parentFd, name, false, options, what);
        linkSync(fdPath(targetDir, targetName), at); // link(2) does not follow a final symlink
      } finally {
        closeSync(targetDir);
      }
      return;
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      data.resume();
      clear(parentFd, name, false, options, what);
      const type = header.type === 'fifo' ? S_IFIFO : header.type === 'character-device' ? S_IFCHR : S_IFBLK;
      mknod(at, type | mode, header.type === 'fifo' ? 0 : Number(makedev(header.devmajor ?? 0, header.devminor ?? 0)));
      if (own) lchownSync(at, own.uid, own.gid);
      return;
    }
    default:
      data.resume();
      throw new RuntimeError(`${what}: archive entry ${JSON.stringify(header.name)} of type ${header.type ?? 'unknown'} is not supported`);
  }
}
