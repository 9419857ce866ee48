/**
 * `container rm [-f] [-v]` (DELETE /containers/{id}): a running container is refused
 * without force (`container web is running: stop it or use rm -f`); with force it is
 * killed (SIGKILL, no restart) and its monitor's cleanup awaited. Then, in an order that
 * an interrupted rm can repeat:
 *
 *   runtime leftovers and the overlay mount → the hold on the image → the record, the
 *   name and the directory (writable layer, logs, anonymous volumes, --init's copy)
 *
 * `volumes` (-v, and --rm's removal): the container's anonymous volumes go too
 * (src/engine/volumes/remove.ts); named volumes never do.
 */
import { existsSync, rmSync } from 'node:fs';
import { errorMessage, RuntimeError } from '../../errors.js';
import { ImageStore } from '../../image/store.js';
import { withFileLockAsync } from '../../sys/file-lock.js';
import { log } from '../../log.js';
import { isFullId } from '../containers/ids.js';
import { containerView } from '../containers/status.js';
import { ContainerStore, removableDir } from '../containers/store.js';
import type { ContainerRecord } from '../types.js';
import { imageHolder } from './create.js';
import { removeRuntimeLeftovers } from './hook-init.js';
import { waitForMonitorExit } from './start.js';
import { killContainer } from './stop.js';
import { removeAnonymousVolumes } from '../volumes/remove.js';
import { dismissIdleMonitor } from '../monitor/state.js';
import { recordContainerEvent } from '../events.js';

export interface RemoveOptions {
  force?: boolean;
  /** -v: anonymous volumes too */
  volumes?: boolean;
}

export async function removeContainer(storage: string, reference: string, options: RemoveOptions = {}): Promise<void> {
  const store = new ContainerStore(storage);
  const record = store.tryRead(reference) ?? (options.force && removeHalfMade(store, reference) ? undefined : store.resolve(reference));
  if (!record) return;
  // a `start` under way finishes first (its lock), so rm never removes from under it
  try {
    await withFileLockAsync(store.paths(record.Id).startLock, () => removeLocked(store, record, options));
  } finally {
    store.removeIfGone(record.Id);
  }
}

async function removeLocked(store: ContainerStore, record: ContainerRecord, options: RemoveOptions): Promise<void> {
  const storage = store.storage;
  const name = record.Name.slice(1);
  const view = containerView(store, record);
  if (view.state.Running || view.state.Restarting) {
    if (!options.force) throw new RuntimeError(`container ${name} is ${view.state.Status}: stop it or use rm -f`);
    if (view.state.Running) {
      try {
        await killContainer(storage, record.Id, 'SIGKILL');
      } catch (error) {
        log().debug(`rm -f ${name}: kill: ${errorMessage(error)}`);
      }
    }
  }
  const paths = store.paths(record.Id);
  if (view.monitorAlive || view.state.Running) {
    // a monitor whose `run`/`start` was killed before START: told to go (it waits for nothing)
    dismissIdleMonitor(paths.monitorPid, paths.state);
    // one whose START did arrive (its client killed after sending it) may start the container yet
    let killed = view.state.Running;
    await waitForMonitorExit(paths.dir, 60_000, name, async () => {
      if (killed || !containerView(store, record).state.Running) return;
      if (!options.force) throw new RuntimeError(`container ${name} is running: stop it or use rm -f`);
      killed = true;
      await killContainer(storage, record.Id, 'SIGKILL').catch((error: unknown) => log().debug(`rm -f ${name}: kill: ${errorMessage(error)}`));
    });
  }
  // --rm's cleanup may have removed it meanwhile
  const current = store.tryRead(record.Id);
  if (!current) return; // its cleanup recorded the destroy
  await removeContainerFiles(store, current, options);
  recordContainerEvent(storage, 'destroy', record);
}

/**
 * `rm -f <full id>` of a directory a create killed before its record left (store.ts: the
 * directory comes first): its hold on the image, if any, and the directory go.
 */
function removeHalfMade(store: ContainerStore, id: string): boolean {
  if (!isFullId(id) || !existsSync(store.paths(id).dir) || existsSync(store.paths(id).record)) return false;
  new ImageStore(store.storage).release(imageHolder(id));
  removableDir(store.paths(id).dir);
  rmSync(store.paths(id).dir, { recursive: true, force: true });
  return true;
}

/** Everything of a container that is not running (the cleanup hook's --rm calls this too). */
export async function removeContainerFiles(store: ContainerStore, record: ContainerRecord, options: Pick<RemoveOptions, 'volumes'>): Promise<void> {
  await removeRuntimeLeftovers(store, record);
  try {
    new ImageStore(store.storage).release(imageHolder(record.Id));
  } catch (error) {
    log().warn(`rm ${record.Id}: releasing the image: ${errorMessage(error)}`);
  }
  store.remove(record);
  // after the record: it no longer counts as a user of its volumes
  if (options.volumes) removeAnonymousVolumes(store.storage, record.Mounts);
}
