/**
 * The root of a container's files, as `container cp` and the archive endpoints see them:
 *
 * - running (or paused): `/proc/<pid>/root` of its init, opened as an fd. That is the
 *   container's own view, in its own mount namespace: the overlay with every volume, bind
 *   and tmpfs mounted where the container sees them, so a copy into /data lands in the
 *   volume, as `docker cp` does. Paths are then resolved under that fd (openat2
 *   RESOLVE_IN_ROOT), so the container's symlinks cannot lead out of it.
 *
 * - created or stopped: nothing is mounted. Its overlay (image layers + its writable
 *   layer) is mounted read-write at a private temporary directory for the copy, its
 *   volumes and binds bind-mounted on the paths they use, then all of it is detached.
 *   That, rather than writing into layer/upper directly, is what keeps overlayfs's own
 *   rules true: a copy over a file of a lower layer needs a copy-up, a directory the
 *   container deleted is a whiteout that a new file must replace (and an opaque directory
 *   if a directory is made there), and a file under a path a lower layer has as a symlink
 *   must follow that symlink. overlayfs does all of these itself; re-implementing them on
 *   upper/ would get one wrong. The same workdir cannot be mounted twice (EBUSY), so a
 *   `start` at the same moment fails cleanly instead of sharing the layer.
 */
import { closeSync, constants, existsSync, fstatSync, mkdtempSync, openSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorMessage } from '../../errors.js';
import { log } from '../../log.js';
import { mountOverlay } from '../../image/overlay.js';
import { ImageStore } from '../../image/store.js';
import { MNT_DETACH, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, mount, openat2, umount2 } from '../../sys/libc.js';
import { containerView } from '../containers/status.js';
import { ContainerStore } from '../containers/store.js';
import type { ContainerRecord } from '../types.js';

export interface ContainerRoot {
  record: ContainerRecord;
  /** an fd of the container's "/" (O_RDONLY|O_DIRECTORY): resolve every path under it */
  rootFd: number;
  running: boolean;
}

const MS_BIND = 0x1000;
const MS_REC = 0x4000;

/** Run `fn` with the container's root open; a stopped container's is mounted for the while. */
export async function withContainerRoot<T>(storage: string, reference: string, fn: (root: ContainerRoot) => Promise<T>): Promise<T> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const view = containerView(store, record);
  if (view.state.Running && view.state.Pid > 0) {
    let rootFd: number;
    try {
      rootFd = openSync(`/proc/${view.state.Pid}/root`, constants.O_RDONLY | constants.O_DIRECTORY);
    } catch (error) {
      throw new RuntimeError(`container ${record.Name.slice(1)}: cannot open its root (did it just stop?): ${errorMessage(error)}`, { cause: error });
    }
    try {
      // the pid could have exited and been reused between reading the state and the open
      const again = containerView(store, record).state;
      if (!again.Running || again.Pid !== view.state.Pid) throw new RuntimeError(`container ${record.Name.slice(1)} stopped during the copy: try again`);
      return await fn({ record, rootFd, running: true });
    } finally {
      closeSync(rootFd);
    }
  }
  return store.withLockAsync(record.Id, () => withMountedLayers(storage, store, record, fn));
}

async function withMountedLayers<T>(storage: string, store: ContainerStore, record: ContainerRecord, fn: (root: ContainerRoot) => Promise<T>): Promise<T> {
  const paths = store.paths(record.Id);
  if (!existsSync(paths.upper)) throw new RuntimeError(`container ${record.Name.slice(1)} has no writable layer (${paths.upper})`);
  const image = new ImageStore(storage).resolve(record.Image);
  const target = mkdtempSync(join(paths.dir, 'cp-'));
  let mounted = false;
  try {
    mountOverlay({ lowers: image.layers.map((l) => l.dir).reverse(), upper: paths.upper, work: paths.work }, target);
    mounted = true;
    mountVolumes(record, target);
    const rootFd = openSync(target, constants.O_RDONLY | constants.O_DIRECTORY);
    try {
      return await fn({ record, rootFd, running: false });
    } finally {
      closeSync(rootFd);
    }
  } finally {
    try {
      // MNT_DETACH takes the volumes mounted below with it (umount2(2))
      if (mounted) umount2(target, MNT_DETACH);
      rmdirSync(target);
    } catch (error) {
      log().warn(`container ${record.Id}: removing the copy's mount ${target}: ${errorMessage(error)}`);
    }
  }
}

/**
 * The record's volumes and binds on the temporary root, where the container would see them:
 * only on a mount point that exists already and is of the source's kind (the container
 * has not run, or its init made them), so the copy never creates paths the run would not.
 *
 * The mount point is opened (openat2 RESOLVE_IN_ROOT, so a symlink on the way resolves
 * inside the root) and the mount made on /proc/self/fd/<fd>, that very inode: a path
 * string would be resolved again by mount(2), and a volume shared with a RUNNING container
 * (an earlier mount here, /data, holding a later one's path, /data/sub) could have had
 * /data/sub swapped for a symlink to a host directory in between, putting the volume over
 * the host's own directory (runc's CVE-2021-30465 is the same race).
 */
export function mountVolumes(record: Pick<ContainerRecord, 'Id' | 'Mounts'>, target: string): void {
  const mounts = [...(record.Mounts ?? [])].filter((m) => m.Type !== 'tmpfs' && m.Source)
    .sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length);
  const rootFd = openSync(target, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    for (const m of mounts) {
      let fd: number;
      try {
        fd = openat2(rootFd, m.Destination, O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `copy: mount point ${m.Destination}`);
      } catch {
        continue; // no such mount point in the tree: not made by the copy
      }
      try {
        if (fstatSync(fd).isDirectory() !== statSync(m.Source).isDirectory()) continue;
        mount(m.Source, `/proc/self/fd/${fd}`, '', MS_BIND | MS_REC, '');
      } catch (error) {
        log().warn(`container ${record.Id}: ${m.Destination} not mounted for the copy: ${errorMessage(error)}`);
      } finally {
        closeSync(fd);
      }
    }
  } finally {
    closeSync(rootFd);
  }
}
