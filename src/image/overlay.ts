/**
 * A container's root filesystem made from an image: an overlayfs mount whose read-only
 * lower layers are the image's unpacked layer directories (shared by every container of
 * the image), and whose upper layer is the container's own, empty at first. Writes go to
 * the upper layer; deletions of lower files become whiteouts there (overlayfs docs,
 * Documentation/filesystems/overlayfs.rst). The mount is made in ts-runc's (the host's)
 * mount namespace, under <storage>/containers/<id>/rootfs: the container's new mount
 * namespace starts as a copy of ours, so it finds the overlay there and pivots into it.
 *
 * Deep images: mount(2) takes its options as ONE string of at most a page (4096 bytes),
 * and "lowerdir=/var/lib/ts-runc/images/l/<12 hex>:..." costs ~40 bytes a layer, so an
 * image of about 100 layers already does not fit. The new mount API passes each layer as its
 * own fsconfig(2) "lowerdir+" parameter (Linux 6.8+), which has no such limit. On older
 * kernels the fallback is Docker's overlay2 trick: a directory of short symlinks (0, 1,
 * 2...) to the layers, and mount(2) with paths relative to it after chdir.
 */
import { mkdirSync, readFileSync, readSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { log } from '../log.js';
import { fsconfigString, fsmountAt, fsopen, closeFd, mount, umount2, MNT_DETACH } from '../sys/libc.js';

export interface OverlayLayers {
  /** lower layer directories, TOP first (overlayfs order: the leftmost lowerdir wins) */
  lowers: string[];
  upper: string;
  work: string;
}

/** mount(2) options must fit in one page, NUL included. */
const PAGE_SIZE = 4096;

export function mountOverlay(layers: OverlayLayers, target: string): void {
  if (layers.lowers.length === 0) throw new RuntimeError(`overlay on ${target}: the image has no layers`);
  if (process.env.TS_RUNC_OVERLAY_LEGACY !== '1') {
    try {
      mountWithNewApi(layers, target);
      return;
    } catch (error) {
      // ENOSYS: no fsopen(2) (before 5.2); EINVAL on lowerdir+: overlayfs before 6.8.
      if (!(error instanceof RuntimeError) || (error.code !== 'ENOSYS' && !(error.code === 'EINVAL' && error.message.includes('lowerdir+')))) {
        throw error;
      }
      log().debug(`overlay: ${error.message}; falling back to mount(2)`);
    }
  }
  mountLegacy(layers, target);
}

/** fsopen("overlay"), one fsconfig per parameter, then fsmount + move_mount onto target. */
function mountWithNewApi(layers: OverlayLayers, target: string): void {
  const what = `overlay on ${target}`;
  const fd = fsopen('overlay');
  try {
    fsconfigString(fd, 'source', 'overlay', what); // what mountinfo shows as the source
    for (const lower of layers.lowers) fsconfigString(fd, 'lowerdir+', lower, what);
    fsconfigString(fd, 'upperdir', layers.upper, what);
    fsconfigString(fd, 'workdir', layers.work, what);
    fsmountAt(fd, target, what);
  } catch (error) {
    throw withKernelMessage(error, fd);
  } finally {
    closeFd(fd);
  }
}

/**
 * The fs context fd also carries the kernel's own explanation of a failure ("overlay:
 * failed to resolve '...': -2"), readable as lines starting "e " (fsopen(2)); it goes into
 * the error message.
 */
function withKernelMessage(error: unknown, fd: number): unknown {
  if (!(error instanceof RuntimeError)) return error;
  const messages: string[] = [];
  const buffer = Buffer.alloc(1024);
  for (let i = 0; i < 8; i++) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null); // one message per read(2)
    } catch {
      break; // ENODATA: nothing (more) to read
    }
    if (n <= 0) break;
    messages.push(buffer.toString('utf8', 0, n).replace(/^[ewi] /, ''));
  }
  if (messages.length === 0) return error;
  return new RuntimeError(`${error.message} (${messages.join('; ')})`, { code: error.code, cause: error });
}

/**
 * mount(2) with "lowerdir=a:b:c,upperdir=...,workdir=...". When that is longer than a
 * page, the layers are named by short symlinks in <upper>/../lower-links and the option
 * string is built of relative names ("0:1:2"), resolved against our working directory,
 * which is switched there for the one call. process.chdir() is process-wide, so this
 * holds only because ts-runc uses absolute paths everywhere and does nothing else
 * meanwhile; the cwd is restored right after.
 */
function mountLegacy(layers: OverlayLayers, target: string): void {
  const options = (lowerdir: string) => `lowerdir=${lowerdir},upperdir=${layers.upper},workdir=${layers.work}`;
  for (const path of [...layers.lowers, layers.upper, layers.work]) {
    // ':' separates layers and ',' options; the legacy string cannot carry either in a path.
    if (/[:,]/.test(path)) throw new RuntimeError(`overlay on ${target}: path ${path} contains ':' or ','`);
  }
  const direct = options(layers.lowers.join(':'));
  if (direct.length < PAGE_SIZE) {
    mount('overlay', target, 'overlay', 0, direct);
    return;
  }
  const links = join(layers.upper, '..', 'lower-links');
  rmSync(links, { recursive: true, force: true });
  mkdirSync(links);
  layers.lowers.forEach((lower, index) => symlinkSync(lower, join(links, String(index))));
  const relative = options(layers.lowers.map((_, index) => String(index)).join(':'));
  if (relative.length >= PAGE_SIZE) throw new RuntimeError(`overlay on ${target}: ${layers.lowers.length} layers do not fit in mount(2)'s options`);
  const previous = process.cwd();
  process.chdir(links);
  try {
    mount('overlay', target, 'overlay', 0, relative);
  } finally {
    process.chdir(previous);
  }
}

/** Whether `path` is a mount point in our mount namespace (/proc/self/mountinfo, field 5). */
export function isMountPoint(path: string): boolean {
  const escaped = path.replace(/[\\ \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((line) => line.split(' ')[4] === escaped);
}

/** Every mount point at or below `dir` in our mount namespace (mountinfo field 5, unescaped), deepest first. */
export function mountsBelow(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Detach everything mounted at or below `dir` (deepest first), e.g. what a process killed
 * mid-way left there, before `dir` is removed: a recursive removal crosses mount points,
 * and a bind of a host directory below `dir` would have the host's files deleted.
 */
export function unmountBelow(dir: string): void {
  for (const point of mountsBelow(dir)) {
    try {
      umount2(point, MNT_DETACH);
    } catch (error) {
      // EINVAL: already gone with a parent's detach
      if (!(error instanceof RuntimeError) || error.code !== 'EINVAL') throw error;
    }
  }
}

/**
 * Unmount the overlay if it is mounted; false if it was not. A lazy unmount (MNT_DETACH)
 * if something still holds it busy: the upper layer is removed next either way, and a
 * detached mount no longer pins the path.
 */
export function unmountOverlay(target: string): boolean {
  if (!isMountPoint(target)) return false;
  try {
    umount2(target, 0);
  } catch (error) {
    if (!(error instanceof RuntimeError) || error.code !== 'EBUSY') throw error;
    log().warn(`${target} is busy; detaching it`);
    umount2(target, MNT_DETACH);
  }
  return true;
}
