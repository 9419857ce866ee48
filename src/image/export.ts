/**
 * `export`: a container's root filesystem as one flat tar, as `docker export` writes it:
 * the MERGED view (through the overlay, so no whiteouts, every layer's file as the
 * container sees it), ownership, modes, links, devices and xattrs included (tar-tree.ts).
 * `image import` of that tar makes a one-layer image of it.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { writeTreeTar } from './tar-tree.js';

/** Tar `rootfs` into `file`, or to `out` (stdout) when no file is given. */
export async function exportRootfs(rootfs: string, file: string | undefined, out: Writable): Promise<void> {
  const destination = file === undefined ? out : createWriteStream(file);
  await writeTreeTar(rootfs, { whiteouts: false }, [destination], { end: file !== undefined });
}
