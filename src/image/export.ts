/**
 * `export`: a container's root filesystem as one flat tar, as `docker export` writes it:
 * the MERGED view (through the overlay, so no whiteouts, every layer's file as the
 * container sees it), ownership, modes, links, devices and xattrs included (tar-tree.ts).
 * `image import` of that tar makes a one-layer image of it.
 */
import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { packTree } from './tar-tree.js';

/** Tar `rootfs` into `file`, or to `out` (stdout) when no file is given. */
export async function exportRootfs(rootfs: string, file: string | undefined, out: Writable): Promise<void> {
  const { pack: makePack } = await import('tar-stream');
  const pack = makePack();
  const written = pipeline(pack, file === undefined ? out : createWriteStream(file), { end: file !== undefined });
  try {
    await packTree(rootfs, pack, { whiteouts: false });
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await written.catch(() => undefined);
    throw error;
  }
  await written;
}
