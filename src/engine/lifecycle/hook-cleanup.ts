/**
 * The cleanup hook: the container's init has exited (the monitor has recorded the exit
 * code). What the run made goes, the writable layer stays:
 *
 *   1. OOM: the cgroup's oom_kill counter (memory.events / memory.oom_control), read
 *      before the cgroup is removed; the cgroup is new for each run, so any kill is this run's
 *   2. the runtime's delete --force (in the record's --root): leftover processes, cgroup,
 *      network (veth, lease, port rules, hosts files)
 *   3. the overlay unmounted
 *   4. --rm (AutoRemove) and no restart coming: the container is removed entirely (remove.ts)
 *
 * Idempotent: each step checks before it acts, so a cleanup interrupted (or run again by
 * `start` after a reboot) finishes the job.
 */
import { oomKillCount } from '../../cgroups/oom.js';
import { errorMessage } from '../../errors.js';
import { unmountOverlay } from '../../image/overlay.js';
import { log } from '../../log.js';
import { StateStore } from '../../state/container-state.js';
import type { ContainerStore } from '../containers/store.js';
import { recordContainerEvent } from '../events.js';

export interface CleanupContext {
  exitCode: number;
  /** the monitor will start the container again (restart policy) */
  restarting: boolean;
}

/** Returns whether the kernel's OOM killer killed a process of this run. */
export async function cleanupContainer(store: ContainerStore, id: string, context: CleanupContext): Promise<boolean> {
  const record = store.read(id);
  const runtime = new StateStore(record.Root);
  let oomKilled = false;
  if (runtime.exists(id)) {
    try {
      oomKilled = (oomKillCount(runtime.read(id).cgroupPaths) ?? 0n) > 0n;
    } catch (error) {
      log().warn(`cleanup ${id}: reading the OOM counter: ${errorMessage(error)}`);
    }
    const { deleteContainer } = await import('../../container/delete.js');
    await deleteContainer(runtime, id, true, { storage: store.storage });
  }
  if (Object.keys(record.NetworkingConfig.EndpointsConfig ?? {}).length > 0) {
    const { releaseNetworks } = await import('../network/connect.js');
    releaseNetworks(store.storage, record);
  }
  unmountOverlay(store.paths(id).rootfs);
  recordContainerEvent(store.storage, 'die', record, { exitCode: String(context.exitCode) });
  if (record.HostConfig.AutoRemove && !context.restarting) {
    const { removeContainerFiles } = await import('./remove.js');
    await removeContainerFiles(store, record, { volumes: true });
    recordContainerEvent(store.storage, 'destroy', record);
  }
  return oomKilled;
}
