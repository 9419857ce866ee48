/**
 * `container export CONTAINER` (GET /containers/{id}/export): the container's filesystem
 * as one flat tar (src/image/export.ts), the merged view of its image and writable layer.
 * A running container's overlay is read while the container is paused (cgroup freezer),
 * so no process swaps a directory for a symlink under the walk (CVE-2018-15664); a
 * stopped one is mounted for the export at a directory of its own, under its lock so a
 * start cannot mount the same writable layer meanwhile, and unmounted after.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { exportRootfs } from '../../image/export.js';
import { mountOverlay, unmountOverlay } from '../../image/overlay.js';
import { whilePaused } from '../../container/pause.js';
import { ContainerStore } from './store.js';
import { containerView } from './status.js';
import { runningRuntime } from './runtime.js';
import type { ContainerRecord } from '../types.js';

/** `work` with the container's merged rootfs at hand (paused if it runs); the path is given to it. */
export async function withRootfs<T>(storage: string, record: ContainerRecord, work: (rootfs: string) => Promise<T>): Promise<T> {
  const store = new ContainerStore(storage);
  const paths = store.paths(record.Id);
  const view = containerView(store, record);
  if (view.state.Running || view.state.Paused) {
    const { runtime } = runningRuntime(view, 'export');
    return whilePaused(runtime, record.Id, () => work(paths.rootfs));
  }
  return store.withLockAsync(record.Id, async () => {
    const { ImageStore } = await import('../../image/store.js');
    const image = new ImageStore(storage).resolve(record.Image);
    const target = join(paths.dir, `export-${process.pid}`);
    mkdirSync(target, { recursive: true });
    try {
      mountOverlay({ lowers: image.layers.map((l) => l.dir).reverse(), upper: paths.upper, work: paths.work }, target);
      try {
        return await work(target);
      } finally {
        unmountOverlay(target);
      }
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
}

/** The tar into `file`, or onto `out` when no file is given. */
export async function exportContainer(storage: string, reference: string, file: string | undefined, out: Writable): Promise<void> {
  const record = new ContainerStore(storage).resolve(reference);
  await withRootfs(storage, record, (rootfs) => exportRootfs(rootfs, file, out));
}
