/**
 * Unpacks one layer tar (plain, gzip or zstd) into a fresh directory that overlayfs can use
 * as a lowerdir, without ever writing outside it, however the tar was made.
 *
 * Safety, as a malicious layer would attack it:
 *  - names with a ".." component are refused; absolute names ("/etc/x") are taken as
 *    relative to the layer, as GNU tar does;
 *  - no path is created under a symlink: the directory starts empty, so every parent is
 *    either one this unpack made as a real directory or one an entry made; an entry under
 *    a symlink or file ("a -> /tmp" then "a/x") is refused;
 *  - a hardlink must point at a non-directory this layer already holds (not "../../etc/passwd");
 *    link(2) does not follow a final symlink, so linking to a symlink only copies the link.
 * Anything wrong (bad entry, truncated or corrupt stream) removes the directory and throws.
 *
 * OCI whiteouts (image-spec layer.md "Whiteouts") become overlayfs's own form
 * (Documentation/filesystems/overlayfs.rst): ".wh.<name>" → a 0/0 character device <name>,
 * ".wh..wh..opq" → the xattr trusted.overlay.opaque=y on its directory. trusted.overlay.*
 * xattrs in the tar itself are dropped: they would steer overlayfs (redirects, metacopy).
 */
import { crypto } from '../crypto.js';
import { closeSync, createReadStream, fchmodSync, fchownSync, futimesSync, lchownSync, linkSync, chmodSync, lutimesSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeSync } from 'node:fs';
import { once } from 'node:events';
import { pipeline, type Readable } from 'node:stream';
import { join } from 'node:path';
import type { Header } from 'tar-stream';

type Headers = Header & { pax?: Record<string, string> | null };
type EntryData = AsyncIterable<Buffer> & { resume(): unknown };
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { lsetxattr, mknod } from '../sys/libc.js';
import { decompressor, fileCompression, type Compression } from './compression.js';
import { XATTR_PREFIX, keepXattrBytes } from './pax.js';
import { LayerTree, WHITEOUT_PREFIX } from './layer-tree.js';

export interface UnpackResult {
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry */
  diffId: string;
  compression: Compression;
  /** bytes of the uncompressed tar */
  tarSize: number;
}

const S_IFCHR = 0o020000;
const S_ISGID = 0o2000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** glibc's makedev(3): the 64-bit dev_t from major and minor. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** Unpacks the layer blob at `file` into `dest`, which must not exist yet. */
export async function unpackLayer(file: string, dest: string, where: string): Promise<UnpackResult> {
  mkdirSync(dest, { mode: 0o755 });
  try {
    return await extractInto(file, dest, where);
  } catch (error) {
    rmSync(dest, { recursive: true, force: true });
    if (error instanceof RuntimeError) throw error;
    // System call failures (ENOSPC, EPERM) speak for themselves; stream errors from zlib
    // ("unexpected end of file") or tar-stream ("Unexpected end of data") mean a bad blob.
    const code = errorCode(error);
    const hint = code === undefined || code.startsWith('Z_') || code.startsWith('ERR_') ? ' (corrupt or truncated layer?)' : '';
    throw new RuntimeError(`${where}: ${errorMessage(error)}${hint}`, { cause: error, code });
  }
}

async function extractInto(file: string, dest: string, where: string): Promise<UnpackResult> {
  keepXattrBytes();
  const { extract } = await import('tar-stream');
  const compression = fileCompression(file, where);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const decompress = await decompressor(compression);
  const source: Readable = decompress ? pipeline(raw, decompress, () => undefined) : raw;

  const hash = crypto().createHash('sha256');
  let tarSize = 0;
  const tar = extract({});
  const feeding = (async () => {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      tarSize += chunk.length;
      if (!tar.write(chunk)) await once(tar, 'drain');
    }
    tar.end(undefined);
  })();
  feeding.catch((error: unknown) => tar.destroy(error as Error));

  const writer = new LayerWriter(dest, where);
  try {
    for await (const entry of tar) await writer.apply(entry.header as Headers, entry as unknown as EntryData);
    await feeding;
  } catch (error) {
    source.destroy();
    tar.destroy();
    await feeding.catch(() => undefined);
    throw error;
  }
  writer.finish();
  return { diffId: `sha256:${hash.digest('hex')}`, compression, tarSize };
}

/** Applies tar entries to one directory; every decision about paths is LayerTree's (layer-tree.ts). */
class LayerWriter {
  private readonly tree: LayerTree;
  /** directory mtimes, set at the end: creating their children changes them */
  private readonly dirTimes: { rel: string; mtime: Date }[] = [];

  /**
   * What a file this process creates gets without being told (open(2), "O_CREAT"): the
   * mode asked for less the umask, our effective uid and gid. While no directory of the
   * layer is setgid (a new file's group would be the directory's), a file whose header
   * asks for exactly that needs no fchown(2) or fchmod(2): 2 of the 6 system calls per
   * regular file (issue 14, per-file cost).
   */
  private readonly umask = currentUmask();
  private readonly uid = process.geteuid?.() ?? -1;
  private readonly gid = process.getegid?.() ?? -1;
  private anySetgidDir: boolean;

  constructor(private readonly root: string, private readonly where: string) {
    this.anySetgidDir = (statSync(root).mode & S_ISGID) !== 0;
    this.tree = new LayerTree(where);
  }

  async apply(header: Headers, data: EntryData): Promise<void> {
    const rel = this.tree.entryPath(header.name);
    for (const parent of this.tree.missingParents(rel, header.name)) mkdirSync(this.abs(parent), { mode: 0o755 });
    const base = rel.slice(rel.lastIndexOf('/') + 1);
    if (base.startsWith(WHITEOUT_PREFIX)) {
      data.resume();
      return this.whiteout(rel, base);
    }
    switch (header.type) {
      case 'file':
      case 'contiguous-file':
        return this.file(rel, header, data);
      case 'directory':
        data.resume();
        return this.directory(rel, header);
      case 'symlink':
        data.resume();
        this.replace(rel);
        symlinkSync(header.linkname ?? '', this.abs(rel));
        return this.finishEntry(rel, header, false, true);
      case 'link':
        data.resume();
        return this.hardlink(rel, header);
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        data.resume();
        this.replace(rel);
        const kind = header.type === 'fifo' ? S_IFIFO : header.type === 'block-device' ? S_IFBLK : S_IFCHR;
        mknod(this.abs(rel), kind | (header.mode ?? 0o644) & 0o7777, Number(makedev(header.devmajor ?? 0, header.devminor ?? 0)));
        return this.finishEntry(rel, header, true);
      }
      default:
        // pax/GNU long-name headers are consumed by tar-stream; anything else (sockets
        // cannot be archived) has no file to make.
        data.resume();
    }
  }

  /** Directory mtimes last, deepest first, so making children does not change them again. */
  finish(): void {
    this.dirTimes.sort((a, b) => b.rel.split('/').length - a.rel.split('/').length);
    // A later entry may have replaced the directory (or a parent of it) by a file: skip those.
    for (const { rel, mtime } of this.dirTimes) if (this.tree.isDirectory(rel)) lutimesSync(this.abs(rel), mtime, mtime);
  }

  private abs(rel: string): string {
    return rel === '' ? this.root : join(this.root, rel);
  }

  /** A later entry for the same path replaces the earlier one (tar semantics). */
  private replace(rel: string): void {
    if (this.tree.replace(rel)) rmSync(this.abs(rel), { recursive: true, force: true });
  }

  private async file(rel: string, header: Headers, data: AsyncIterable<Buffer>): Promise<void> {
    this.replace(rel);
    const mode = (header.mode ?? 0o644) & 0o7777;
    const [uid, gid] = [header.uid ?? 0, header.gid ?? 0];
    // O_EXCL: the path is known to be free, and a surprise there must not be followed.
    // Created with its permission bits at once (the layer is not yet reachable by anyone
    // else: its parent, images/l, is 0700); the umask and the special bits are fixed below.
    const fd = openSync(this.abs(rel), 'wx', mode & 0o777);
    this.tree.added(rel);
    try {
      for await (const chunk of data) writeSync(fd, chunk);
      const chown = uid !== this.uid || gid !== this.gid || this.anySetgidDir;
      // chown clears setuid/setgid, so the mode comes after it.
      if (chown) fchownSync(fd, uid, gid);
      if (chown || mode !== (mode & 0o777 & ~this.umask)) fchmodSync(fd, mode);
      this.xattrs(rel, header);
      if (header.mtime) futimesSync(fd, header.mtime, header.mtime);
    } finally {
      closeSync(fd);
    }
  }

  private directory(rel: string, header: Headers): void {
    const { create, remove, opaque } = this.tree.directory(rel);
    if (remove) rmSync(this.abs(rel), { recursive: true, force: true });
    if (create) mkdirSync(this.abs(rel), { mode: 0o755 });
    if (opaque) setOpaque(this.abs(rel));
    lchownSync(this.abs(rel), header.uid ?? 0, header.gid ?? 0);
    const mode = (header.mode ?? 0o755) & 0o7777;
    chmodSync(this.abs(rel), mode);
    // mkdir(2) in a setgid directory makes a setgid directory too, so once there is one the
    // flag stays set for the rest of the layer.
    if (mode & S_ISGID) this.anySetgidDir = true;
    this.xattrs(rel, header);
    if (header.mtime) this.dirTimes.push({ rel, mtime: header.mtime });
  }

  private hardlink(rel: string, header: Headers): void {
    const target = this.tree.hardlinkTarget(rel, header.linkname ?? '', header.name);
    if (target === null) return;
    this.replace(rel);
    linkSync(this.abs(target), this.abs(rel));
    this.tree.added(rel);
  }

  private whiteout(rel: string, base: string): void {
    const action = this.tree.whiteout(rel, base);
    if (action.kind === 'opaque') setOpaque(this.abs(action.path));
    else if (action.kind === 'device') {
      if (action.remove) rmSync(this.abs(action.path), { recursive: true, force: true });
      mknod(this.abs(action.path), S_IFCHR, 0);
    }
  }

  private finishEntry(rel: string, header: Headers, chmod: boolean, symlink = false): void {
    const path = this.abs(rel);
    this.tree.added(rel);
    lchownSync(path, header.uid ?? 0, header.gid ?? 0);
    if (chmod) chmodSync(path, (header.mode ?? 0o644) & 0o7777);
    this.xattrs(rel, header, symlink);
    if (header.mtime) lutimesSync(path, header.mtime, header.mtime);
  }

  private xattrs(rel: string, header: Headers, symlink = false): void {
    const pax = header.pax;
    if (!pax) return;
    for (const [key, value] of Object.entries(pax)) {
      if (!key.startsWith(XATTR_PREFIX)) continue;
      const name = key.slice(XATTR_PREFIX.length);
      // overlayfs's own attributes (redirect, metacopy, opaque) steer lookups across
      // layers; only this unpacker's whiteout conversion may set them.
      if (name.startsWith('trusted.overlay.') || name.startsWith('user.overlay.')) continue;
      // xattr(7): the kernel allows no user.* attributes on symlinks (EPERM); containerd
      // skips them too rather than refusing the layer.
      if (symlink && name.startsWith('user.')) continue;
      lsetxattr(this.abs(rel), name, Buffer.from(value, 'latin1'));
    }
  }
}

/** This process's umask, from /proc/self/status (proc(5)); process.umask() without an argument is deprecated. */
function currentUmask(): number {
  try {
    const match = /^Umask:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    if (match) return parseInt(match[1]!, 8);
  } catch {
    // no /proc: assume the worst, and fix every mode with fchmod
  }
  return 0o777;
}

/** overlayfs: a directory of an upper layer that hides everything below it. */
function setOpaque(path: string): void {
  lsetxattr(path, 'trusted.overlay.opaque', Buffer.from('y'));
}
