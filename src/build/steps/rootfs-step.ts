/**
 * A step that changes files from the host side (COPY, ADD, WORKDIR): the image so far is
 * mounted as an overlay (its layers as lowerdirs, a fresh upper), the step writes into the
 * mount, the mount goes, and the upper directory, which now holds exactly the step's diff
 * in overlayfs's form (deletions as whiteouts), becomes the step's layer.
 *
 * Writing through the overlay rather than into a bare directory lets the kernel do what a
 * layer diff must: copy-up of the parent directories' metadata, whiteouts and opaque
 * directories where a file replaces a directory.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { mountOverlay, unmountOverlay } from '../../image/overlay.js';
import type { ImageStore } from '../../image/store.js';
import { layerFromUpper, type StageImage } from '../image-state.js';
import type { WorkDir } from '../workdir.js';

export type StepLayer = Awaited<ReturnType<typeof layerFromUpper>>;

export interface MountedImage {
  rootfs: string;
  upper: string;
  /** unmounts (if still mounted) and removes the step's directories */
  release(): void;
}

/** `image` mounted at a fresh directory of the work dir, with a fresh upper layer. */
export function mountImage(work: WorkDir, image: StageImage): MountedImage {
  const base = work.next('step');
  const rootfs = join(base, 'rootfs');
  const upper = join(base, 'upper');
  const scratchLower = join(base, 'empty');
  for (const dir of [rootfs, upper, join(base, 'work'), scratchLower]) mkdirSync(dir, { recursive: true, mode: 0o755 });
  const release = () => {
    unmountOverlay(rootfs);
    rmSync(base, { recursive: true, force: true });
  };
  try {
    // overlayfs needs a lowerdir; an empty one stands for FROM scratch
    const lowers = image.layerDirs.length > 0 ? [...image.layerDirs].reverse() : [scratchLower];
    mountOverlay({ lowers, upper, work: join(base, 'work') }, rootfs);
  } catch (error) {
    release();
    throw error;
  }
  return { rootfs, upper, release };
}

/** Mounts `image`, hands it to `use`; the mount is gone when this returns. */
export async function withImageMounted<T>(work: WorkDir, image: StageImage, use: (rootfs: string, upper: string) => Promise<T>): Promise<T> {
  const mounted = mountImage(work, image);
  try {
    return await use(mounted.rootfs, mounted.upper);
  } finally {
    mounted.release();
  }
}

/** `change` applied to `image`'s files; the result is the layer it made (undefined: nothing changed). */
export async function fileStep(store: ImageStore, work: WorkDir, image: StageImage, change: (rootfs: string) => Promise<void>): Promise<StepLayer> {
  return withImageMounted(work, image, async (rootfs, upper) => {
    await change(rootfs);
    unmountOverlay(rootfs);
    return layerFromUpper(store, upper, work.next('tar'), (diffId) => work.addPending(diffId));
  });
}
