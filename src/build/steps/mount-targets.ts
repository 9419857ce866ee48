/**
 * The mount points a RUN container needs but its image lacks (/proc, /dev, /sys, and the
 * /etc/hosts, /etc/hostname, /etc/resolv.conf that the network setup binds) are created by
 * the runtime in the container's upper layer; they are the runtime's, not the step's, and
 * must not end up in the step's layer. Docker keeps them out with an "init" layer between
 * the image and the container's layer; buildah removes the ones it created after the
 * command. ts-runc does as buildah: before the command runs, it notes which targets the
 * image lacks (and how their parent directories look); after, it removes those targets
 * from the upper layer when they are still empty, and the parent directories the runtime
 * created or copied up for them when nothing else was written there.
 */
import { lstatSync, readdirSync, rmSync, rmdirSync, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import { lgetxattr } from '../../sys/libc.js';
import { resolveInRoot } from '../../image/users.js';

/** What the network setup bind-mounts, beyond config.json's mounts (src/network/container-network.ts). */
const NETWORK_FILES = ['/etc/hosts', '/etc/hostname', '/etc/resolv.conf'];

export interface TargetNotes {
  /** mount targets the image does not have */
  missing: string[];
  /** parents of those: their mode and owner in the image, or null when absent there too */
  parents: Map<string, { mode: number; uid: number; gid: number } | null>;
}

function stat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Before the command: which of `destinations` (+ the network files) the rootfs lacks. */
export function noteMountTargets(rootfs: string, destinations: string[], volumes: string[]): TargetNotes {
  const skip = new Set(volumes.map((v) => posix.normalize(v)));
  const candidates = [...new Set([...destinations, ...NETWORK_FILES].map((d) => posix.normalize(d)))].filter((d) => d !== '/' && !skip.has(d));
  const missing = candidates.filter((target) => stat(resolveInRoot(rootfs, target)) === undefined);
  const parents = new Map<string, { mode: number; uid: number; gid: number } | null>();
  for (const target of missing) {
    for (let parent = posix.dirname(target); parent !== '/'; parent = posix.dirname(parent)) {
      if (parents.has(parent)) continue;
      const s = stat(join(rootfs, parent));
      parents.set(parent, s?.isDirectory() ? { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid } : null);
    }
  }
  return { missing, parents };
}

/** After the command: the runtime's leftovers out of `upper`. */
export function removeMountTargets(upper: string, notes: TargetNotes): void {
  for (const target of [...notes.missing].sort((a, b) => b.length - a.length)) {
    const path = join(upper, target);
    const s = stat(path);
    if (!s) continue;
    if (s.isDirectory() && readdirSync(path).length === 0 && !opaque(path)) rmdirSync(path);
    else if (s.isFile() && s.size === 0) rmSync(path);
  }
  const parents = [...notes.parents.keys()].sort((a, b) => b.length - a.length);
  for (const parent of parents) {
    const path = join(upper, parent);
    const s = stat(path);
    if (!s?.isDirectory() || readdirSync(path).length > 0 || opaque(path)) continue;
    const before = notes.parents.get(parent);
    // Created only for a target (absent from the image), or copied up unchanged.
    if (before === null || (before && before.mode === (s.mode & 0o7777) && before.uid === s.uid && before.gid === s.gid)) rmdirSync(path);
  }
}

function opaque(path: string): boolean {
  return lgetxattr(path, 'trusted.overlay.opaque') !== undefined;
}
