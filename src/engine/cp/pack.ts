/**
 * A path of a container → tar entries, as `GET /containers/{id}/archive` streams them and
 * `container cp CTR:SRC …` reads them: the path itself under the name `as` (its basename,
 * or what the copy renames it to), then, for a directory, everything below it.
 *
 * The walk never follows a symlink: each directory is opened from its parent's fd with
 * openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS), files with O_NOFOLLOW, so a running
 * container that swaps a directory for a link to "/" mid-copy gets an error, not the
 * host's files. A symlink is archived as a link (its text), never what it points to.
 */
import { closeSync, constants, createReadStream, fstatSync, openSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Header, Pack } from 'tar-stream';
import { RuntimeError } from '../../errors.js';
import { log } from '../../log.js';
import { O_PATH, RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, openat2 } from '../../sys/libc.js';
import { fdPath, lstatIn } from './in-root.js';

type Entry = Partial<Header> & { name: string };

function header(st: Stats, name: string): Entry {
  return { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
}

function add(pack: Pack, entry: Entry): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(entry, Buffer.alloc(0), (error) => (error ? reject(error) : resolve())));
}

/** glibc's dev_t encoding (sys/sysmacros.h). */
const major = (dev: number) => ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
const minor = (dev: number) => (dev & 0xff) | ((dev >>> 12) & 0xfff00);

/** A child directory of `dirFd`, opened without following any link. */
function openChildDir(dirFd: number, name: string, what: string): number {
  return openat2(dirFd, name, O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, what);
}

/** Pack `name` in `dirFd` as `as`, and below it for a directory. `pack` is not finalized. */
export async function packPath(dirFd: number, name: string, as: string, pack: Pack, what: string): Promise<void> {
  const links = new Map<string, string>();
  const one = async (parentFd: number, entryName: string, path: string): Promise<void> => {
    const st = lstatIn(parentFd, entryName);
    if (!st) return; // removed meanwhile
    if (st.isDirectory()) {
      await add(pack, { ...header(st, `${path}/`), type: 'directory' });
      const fd = openChildDir(parentFd, entryName, what);
      try {
        for (const child of readdirSync(fdPath(fd)).sort()) await one(fd, child, `${path}/${child}`);
      } finally {
        closeSync(fd);
      }
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1 ? links.get(key) : undefined;
    if (first !== undefined) return add(pack, { ...header(st, path), type: 'link', linkname: first });
    if (st.nlink > 1) links.set(key, path);
    if (st.isSymbolicLink()) return add(pack, { ...header(st, path), type: 'symlink', linkname: readlinkSync(fdPath(parentFd, entryName)) });
    if (st.isFile()) {
      // O_NOFOLLOW: if it became a symlink since the lstat, this fails (ELOOP) rather than follow it
      const fd = openSync(fdPath(parentFd, entryName), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const now = fstatSync(fd);
        if (!now.isFile()) throw new RuntimeError(`${what}: ${path} changed while it was copied`);
        if (now.size === 0) return await add(pack, { ...header(now, path), type: 'file', size: 0 });
        const entry = pack.entry({ ...header(now, path), type: 'file', size: now.size });
        await pipeline(createReadStream('', { fd, autoClose: false, start: 0, end: Math.max(0, now.size - 1) }), entry);
      } finally {
        closeSync(fd);
      }
      return;
    }
    if (st.isCharacterDevice() || st.isBlockDevice()) {
      return add(pack, { ...header(st, path), type: st.isCharacterDevice() ? 'character-device' : 'block-device', devmajor: major(st.rdev), devminor: minor(st.rdev) });
    }
    if (st.isFIFO()) return add(pack, { ...header(st, path), type: 'fifo' });
    log().warn(`${what}: ${path}: a socket cannot be archived; skipped`);
  };
  await one(dirFd, name, as);
}
