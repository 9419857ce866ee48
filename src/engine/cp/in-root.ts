/**
 * Paths inside a container's root, resolved by the kernel (openat2 RESOLVE_IN_ROOT,
 * src/sys/libc.ts): every symlink, absolute or relative, resolves as if the root were "/",
 * and ".." stops at it, so no path of a container, however its tree is made or changed
 * meanwhile, leads to the host. What is resolved is held as an O_PATH fd; files are then
 * reached through `/proc/self/fd/<fd>/<name>` with calls that do not follow a final
 * symlink (lstat, open O_NOFOLLOW, lchown, lutimes, symlink, mkdir, unlink).
 */
import { closeSync, constants, lstatSync, readlinkSync, type Stats } from 'node:fs';
import { posix } from 'node:path';
import { RuntimeError, errorCode } from '../../errors.js';
import { O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, openat2 } from '../../sys/libc.js';

/** The path through which an fd (and a name in it) is reached. */
export function fdPath(fd: number, name?: string): string {
  return name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;
}

/** "/a/b/" → ["/a", "b"]: the parent directory and the last name ("" for the root itself). */
export function splitPath(path: string): [string, string] {
  const clean = posix.normalize(`/${path}`).replace(/(.)\/$/, '$1');
  if (clean === '/') return ['/', ''];
  return [posix.dirname(clean), posix.basename(clean)];
}

const IN_ROOT = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

/** An O_PATH fd of the directory `path` (resolved in the root; every link followed). */
export function openDirIn(rootFd: number, path: string, what: string): number {
  return openat2(rootFd, path === '' ? '.' : path, O_PATH | constants.O_DIRECTORY, IN_ROOT, what);
}

/** openDirIn, undefined if the path does not exist (ENOENT) or is not a directory (ENOTDIR). */
export function tryOpenDirIn(rootFd: number, path: string, what: string): number | undefined {
  try {
    return openDirIn(rootFd, path, what);
  } catch (error) {
    if (error instanceof RuntimeError && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return undefined;
    throw error;
  }
}

/**
 * `path` as a parent fd and a last name. With `follow`, a symlink as the last component
 * is followed (inside the root) first, as `cp -L` and stat'ing a destination do.
 */
export function locate(rootFd: number, path: string, follow: boolean, what: string): { dirFd: number; name: string } {
  let current = path;
  for (let links = 0; ; links++) {
    const [parent, name] = splitPath(current);
    if (name === '') return { dirFd: openDirIn(rootFd, '/', what), name: '.' };
    const dirFd = openDirIn(rootFd, parent, what);
    if (!follow) return { dirFd, name };
    let target: string;
    try {
      const st = lstatSync(fdPath(dirFd, name));
      if (!st.isSymbolicLink()) return { dirFd, name };
      target = readlinkSync(fdPath(dirFd, name));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return { dirFd, name };
      closeSync(dirFd);
      throw error;
    }
    closeSync(dirFd);
    if (links >= 40) throw new RuntimeError(`${what}: ${path}: too many levels of symbolic links`, { code: 'ELOOP' });
    current = posix.isAbsolute(target) ? target : posix.join(parent, target);
  }
}

/** lstat of `name` in `dirFd`, or undefined if it does not exist. */
export function lstatIn(dirFd: number, name: string): Stats | undefined {
  try {
    return lstatSync(fdPath(dirFd, name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}
