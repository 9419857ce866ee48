/**
 * A directory tree → tar entries (tar-stream pack), for `export` (the merged rootfs) and
 * `commit` (the upper layer, as an OCI layer diff). What a layer tar must carry: every
 * file type (regular, directory, symlink, hardlink, char/block device, fifo), owner,
 * mode (with setuid/setgid/sticky), mtime, and extended attributes as PAX
 * `SCHILY.xattr.<name>` records, the GNU tar / containers/storage convention.
 *
 * With `whiteouts` (image-spec layer.md#whiteouts), overlayfs's own markers in an upper
 * layer become OCI ones: a 0/0 character device "name" is a deleted file → an empty
 * ".wh.name"; a directory with trusted.overlay.opaque=y replaced the lower one → its
 * entries plus ".wh..wh..opq". overlayfs's private xattrs (trusted.overlay.*) are never
 * written out.
 *
 * Entries are in sorted order, directories before their contents, so the same tree
 * always gives the same tar (and the same layer digest).
 */
import { createReadStream, lstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Header, Pack } from 'tar-stream';
import { RuntimeError } from '../errors.js';
import { log } from '../log.js';
import { lgetxattr, llistxattr } from '../sys/libc.js';
import { XATTR_PREFIX, keepXattrBytes } from './pax.js';

export interface PackOptions {
  /** convert overlayfs whiteouts and opaque dirs to OCI whiteouts (commit) */
  whiteouts: boolean;
}

/** The OCI whiteout prefix and the opaque-directory marker (layer.md#whiteouts). */
export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';
const OVERLAY_XATTR = 'trusted.overlay.';

/** Pack `root`'s contents (not root itself) into `pack`, in order; `pack` is not finalized. */
export async function packTree(root: string, pack: Pack, options: PackOptions): Promise<void> {
  keepXattrBytes(); // binary xattr values (pax())
  const links = new Map<string, string>(); // "dev:ino" → the first name of a hardlinked file
  const walk = async (relative: string): Promise<void> => {
    for (const name of readdirSync(join(root, relative)).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const host = join(root, path);
      const stats = lstatSync(host, { bigint: false });
      if (options.whiteouts && stats.isCharacterDevice() && stats.rdev === 0) {
        await add(pack, { ...base(stats, whiteoutName(path)), type: 'file', mode: 0o100644 });
        continue;
      }
      if (options.whiteouts && /^\.wh\./.test(name)) {
        throw new RuntimeError(`${host}: a file named ${name} cannot be put in a layer (it would read as a whiteout)`);
      }
      if (stats.isDirectory()) {
        await add(pack, { ...base(stats, `${path}/`), type: 'directory', ...pax(host) });
        if (options.whiteouts && lgetxattr(host, `${OVERLAY_XATTR}opaque`)?.toString() === 'y') {
          await add(pack, { ...base(stats, `${path}/${OPAQUE_MARKER}`), type: 'file', mode: 0o100644 });
        }
        if (options.whiteouts && lgetxattr(host, `${OVERLAY_XATTR}redirect`) !== undefined) {
          throw new RuntimeError(`${host}: a renamed directory (overlay redirect_dir) cannot be committed`);
        }
        await walk(path);
        continue;
      }
      const key = `${stats.dev}:${stats.ino}`;
      const first = stats.nlink > 1 && !stats.isDirectory() ? links.get(key) : undefined;
      if (first !== undefined) {
        await add(pack, { ...base(stats, path), type: 'link', linkname: first });
        continue;
      }
      if (stats.nlink > 1) links.set(key, path);
      await addFile(pack, host, path, stats);
    }
  };
  await walk('');
}

/**
 * packTree() `root` into a finished tar that is piped through `streams` (transforms such as
 * a hash, then the destination); resolves once the destination has it all. If the walk
 * fails, the pack is destroyed, which stops the pipe, and the walk's error is thrown.
 * `end: false` leaves the destination open (process.stdout must stay usable).
 */
export async function writeTreeTar(
  root: string,
  options: PackOptions,
  streams: readonly [...Transform[], Writable],
  { end = true }: { end?: boolean } = {},
): Promise<void> {
  const { pack: makePack } = await import('tar-stream');
  const pack = makePack();
  const written = pipeline([pack, ...streams], { end });
  // The pipeline may fail while the tree is still being read (a reader of stdout that went
  // away: EPIPE); it is awaited below, and this keeps Node from calling it unhandled first.
  written.catch(() => undefined);
  try {
    await packTree(root, pack, options);
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;
}

async function addFile(pack: Pack, host: string, path: string, stats: Stats): Promise<void> {
  const header = { ...base(stats, path), ...pax(host) };
  if (stats.isFile()) {
    const entry = pack.entry({ ...header, type: 'file', size: stats.size });
    await pipeline(createReadStream(host), entry);
  } else if (stats.isSymbolicLink()) {
    await add(pack, { ...header, type: 'symlink', linkname: readlinkSync(host) });
  } else if (stats.isCharacterDevice() || stats.isBlockDevice()) {
    await add(pack, {
      ...header,
      type: stats.isCharacterDevice() ? 'character-device' : 'block-device',
      devmajor: major(stats.rdev),
      devminor: minor(stats.rdev),
    });
  } else if (stats.isFIFO()) {
    await add(pack, { ...header, type: 'fifo' });
  } else {
    log().warn(`${host}: sockets are not archived; skipped`);
  }
}

/** A header as pack.entry takes it, with the PAX records tar-stream writes when `pax` is set. */
type Entry = Partial<Header> & { name: string; pax?: Record<string, string> };

/**
 * The mode keeps its file-type bits: tar-stream replaces a mode of 0 by its default 0644
 * (`if (!header.mode)`), and writes only the permission bits (& 0o7777) anyway, so a
 * file of mode 000 stays 000.
 */
function base(stats: Stats, name: string): Entry {
  return { name, mode: stats.mode, uid: stats.uid, gid: stats.gid, mtime: stats.mtime };
}

/** An entry without content (the empty buffer ends it; without one, tar-stream waits for data). */
function add(pack: Pack, header: Entry): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, Buffer.alloc(0), (error) => (error ? reject(error) : resolve()));
  });
}

function whiteoutName(path: string): string {
  const slash = path.lastIndexOf('/');
  return `${path.slice(0, slash + 1)}${WHITEOUT_PREFIX}${path.slice(slash + 1)}`;
}

/**
 * The file's xattrs as PAX records, but not overlayfs's own. Values go in as latin1
 * strings, one char per byte, which pax.ts's encoder writes back as the same bytes, so a
 * binary value (a file capability, security.capability) survives commit and export.
 */
function pax(host: string): { pax?: Record<string, string> } {
  const records: Record<string, string> = {};
  for (const name of llistxattr(host)) {
    if (name.startsWith(OVERLAY_XATTR)) continue;
    const value = lgetxattr(host, name);
    if (value === undefined) continue;
    records[`${XATTR_PREFIX}${name}`] = value.toString('latin1');
  }
  return Object.keys(records).length > 0 ? { pax: records } : {};
}

/** glibc's encoding of dev_t (sys/sysmacros.h): major in bits 8-19 and 32-43, minor in 0-7 and 20-31. */
function major(dev: number): number {
  return ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
}

function minor(dev: number): number {
  return (dev & 0xff) | ((dev >>> 12) & 0xfff00);
}
