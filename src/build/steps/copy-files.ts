/**
 * Copying files into an image's root filesystem from the host side (COPY, ADD, WORKDIR).
 *
 * The rootfs is the step's overlay mount (the image so far + a fresh upper layer), so what
 * is written here is exactly the step's diff. It is the image's tree, so it is treated as
 * hostile: the destination is resolved with resolveInRoot (symlinks followed as if the
 * rootfs were "/", never out of it), and below that point nothing is ever followed: an
 * entry in the way that is not a directory where a directory is needed (a symlink
 * included) is removed and replaced, as Docker's untar does, and files are created with
 * O_EXCL. Nothing else writes to this tree during the step (no container runs).
 */
import { chmodSync, closeSync, constants, copyFileSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync, type Stats } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { RuntimeError, errorCode } from '../../errors.js';
import { lgetxattr, llistxattr, lsetxattr, mknod } from '../../sys/libc.js';
import { resolveInRoot } from '../../image/users.js';
import { openSync } from 'node:fs';

export interface CopyOptions {
  /** the owner of everything copied; undefined keeps the source's (ADD of an archive) */
  owner?: { uid: number; gid: number };
  /** --chmod: the permission bits of everything copied */
  chmod?: number;
  /** paths below a source directory to leave out (the context's .dockerignore), by relative path */
  skip?: (rel: string) => boolean;
  /** hardlinked sources already copied in this step ("dev:ino" → destination): linked again, as tar keeps them */
  links?: Map<string, string>;
}

/** The host path of `path` in `rootfs`, resolved inside it (mkdir -p of the missing part, owned by `owner`). */
export function ensureDirInRoot(rootfs: string, path: string, owner: { uid: number; gid: number } = { uid: 0, gid: 0 }): string {
  const host = resolveInRoot(rootfs, path);
  const missing: string[] = [];
  for (let at = host; at !== rootfs && at.startsWith(rootfs); at = dirname(at)) {
    let stats: Stats | undefined;
    try {
      stats = lstatSync(at);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    if (stats?.isDirectory()) break;
    if (stats) throw new RuntimeError(`${path}: ${relative(rootfs, at) || '/'} exists in the image and is not a directory`);
    missing.unshift(at);
  }
  for (const dir of missing) {
    mkdirSync(dir, { mode: 0o755 });
    lchownSync(dir, owner.uid, owner.gid);
  }
  return host;
}

/**
 * `source` (a host path: file, directory, symlink, device) to `dest`, a host path in the
 * rootfs whose parent exists. A directory source merges into `dest`, as Docker copies the
 * CONTENTS of a directory. `rel` is the source's path relative to the context (for `skip`).
 */
export function copyInto(source: string, dest: string, rel: string, options: CopyOptions): void {
  const stats = lstatSync(source);
  if (stats.isDirectory()) {
    let existing: Stats | undefined;
    try {
      existing = lstatSync(dest);
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    if (existing && !existing.isDirectory()) {
      rmSync(dest, { force: true });
      existing = undefined;
    }
    const created = !existing;
    if (created) mkdirSync(dest, { mode: 0o700 });
    for (const name of readdirSync(source).sort()) {
      const childRel = rel === '' ? name : `${rel}/${name}`;
      if (options.skip?.(childRel)) {
        // A skipped directory may still hold a path a `!` pattern brings back.
        if (lstatSync(join(source, name)).isDirectory() && options.skip !== undefined && hasKept(join(source, name), childRel, options.skip)) {
          copyInto(join(source, name), join(dest, name), childRel, options);
        }
        continue;
      }
      copyInto(join(source, name), join(dest, name), childRel, options);
    }
    // Docker (fixPermissions) leaves a destination directory that already existed as it was.
    if (created || rel !== '') finish(source, dest, stats, options);
    return;
  }
  replace(dest);
  const key = `${stats.dev}:${stats.ino}`;
  const first = stats.isFile() && stats.nlink > 1 ? options.links?.get(key) : undefined;
  if (first !== undefined) {
    linkSync(first, dest);
    return;
  }
  if (stats.isFile()) {
    copyFileSync(source, dest, constants.COPYFILE_EXCL);
    if (stats.nlink > 1) options.links?.set(key, dest);
  } else if (stats.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), dest);
  } else if (stats.isFIFO() || stats.isCharacterDevice() || stats.isBlockDevice()) {
    mknod(dest, stats.mode, stats.rdev);
  } else {
    return; // sockets cannot be copied; Docker's tar skips them too
  }
  finish(source, dest, stats, options);
}

/** Whether any path below a skipped directory is kept (a later `!` pattern). */
function hasKept(host: string, rel: string, skip: (rel: string) => boolean): boolean {
  for (const name of readdirSync(host)) {
    const childRel = `${rel}/${name}`;
    if (!skip(childRel)) return true;
    if (lstatSync(join(host, name)).isDirectory() && hasKept(join(host, name), childRel, skip)) return true;
  }
  return false;
}

/** Whatever is at `dest` goes, unless it is a directory (a file never replaces one). */
function replace(dest: string): void {
  let existing: Stats;
  try {
    existing = lstatSync(dest);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  if (existing.isDirectory()) throw new RuntimeError(`cannot overwrite directory ${dest} with non-directory`);
  rmSync(dest, { force: true });
}

/** Owner, then mode (chown clears setuid), xattrs, then times; never through a symlink. */
function finish(source: string, dest: string, stats: Stats, options: CopyOptions): void {
  const owner = options.owner ?? { uid: stats.uid, gid: stats.gid };
  lchownSync(dest, owner.uid, owner.gid);
  if (!stats.isSymbolicLink()) chmodSync(dest, options.chmod ?? (stats.mode & 0o7777));
  for (const name of llistxattr(source)) {
    if (name.startsWith('trusted.overlay.') || (stats.isSymbolicLink() && name.startsWith('user.'))) continue;
    const value = lgetxattr(source, name);
    if (value !== undefined) lsetxattr(dest, name, value);
  }
  lutimesSync(dest, stats.atime, stats.mtime);
}

/** A new regular file in the rootfs (ADD of a URL): created with O_EXCL after clearing the way. */
export function writeNewFile(dest: string, write: (fd: number) => void, owner: { uid: number; gid: number }, mode: number, mtime?: Date): void {
  replace(dest);
  const fd = openSync(dest, 'wx', 0o600);
  try {
    write(fd);
  } finally {
    closeSync(fd);
  }
  lchownSync(dest, owner.uid, owner.gid);
  chmodSync(dest, mode);
  if (mtime) lutimesSync(dest, mtime, mtime);
}
