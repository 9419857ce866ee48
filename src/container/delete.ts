/**
 * `delete`: remove a stopped (or created) container; with --force, kill a running (or
 * paused) one first. A frozen task cannot act on SIGKILL, so a paused container is thawed
 * right after the signal (runc's signalAllProcesses does freeze, kill, thaw).
 * Whatever is still in the cgroup is killed, the cgroup removed, poststop hooks run, and
 * the state directory goes last, so an interrupted delete can be run again.
 */
import { existsSync } from 'node:fs';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { cgroupPids, removeCgroups } from '../cgroups/cgroup.js';
import { thaw } from '../cgroups/freezer.js';
import { runHook } from '../hooks/run-hooks.js';
import { waitForExit } from '../process/liveness.js';
import type { StateStore } from '../state/container-state.js';
import { containerDir, imageBundleRecord } from '../storage.js';
import { ociState, statusOf } from './status.js';

export interface DeleteOptions {
  /** --storage: lets `delete --force` of a container without state find its image bundle */
  storage?: string;
}

export async function deleteContainer(store: StateStore, id: string, force: boolean, options: DeleteOptions = {}): Promise<void> {
  if (!store.exists(id)) {
    if (force) {
      store.remove(id); // a directory a crashed create may have left
      if (options.storage) await removeOrphanedImageBundle(options.storage, id);
      return;
    }
    throw new RuntimeError(`container ${id} does not exist`);
  }
  const state = store.read(id);
  const status = statusOf(store, state);
  if ((status === 'running' || status === 'paused') && !force) {
    throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  if (status !== 'stopped') {
    signal(state.pid, 'SIGKILL');
    if (status === 'paused') {
      for (const pid of cgroupPids(state.cgroupPaths)) signal(pid, 'SIGKILL');
      thaw(state.cgroupPaths);
    }
    if (!(await waitForExit(state.pid, state.pidStartTime, 10_000))) {
      throw new RuntimeError(`delete ${id}: process ${state.pid} did not die after SIGKILL`);
    }
  }
  // A container without its own pid namespace can leave processes behind its init.
  for (const pid of cgroupPids(state.cgroupPaths)) signal(pid, 'SIGKILL');
  await removeCgroups(state.cgroupPaths);

  // The netns died with the last process; its veth, lease, DNAT rules and hosts files
  // are ours to remove (src/network/container-network.ts). A failure keeps the state, so
  // the delete can be run again.
  if (state.network) {
    const { teardownNetwork } = await import('../network/container-network.js');
    teardownNetwork(state.network, id, store.root);
  }

  const hookState = JSON.stringify(ociState(store, state, 'stopped'));
  for (const hook of state.hooks.poststop) {
    await runHook('poststop', hook, hookState).catch((error: Error) => log().warn(error.message));
  }

  // Made by `run/create --image`: unmount its overlay, remove its upper layer and bundle,
  // release the image (src/image/bundle.ts). Last before the state, so a failure here
  // leaves a delete that can be run again.
  if (existsSync(imageBundleRecord(state.bundle))) {
    const { removeContainerBundle } = await import('../image/bundle.js');
    removeContainerBundle(state.bundle, id);
  }
  store.remove(id);
}

/**
 * A `create --image` killed before it wrote its state, or a --root wiped by a reboot,
 * leaves `<storage>/containers/<id>` (an overlay mount and a hold on the image) that no
 * state points at; `delete --force <id>` removes it, as it removes a half-made state dir.
 */
async function removeOrphanedImageBundle(storage: string, id: string): Promise<void> {
  const dir = containerDir(storage, id);
  if (!existsSync(imageBundleRecord(dir))) return;
  const { removeContainerBundle } = await import('../image/bundle.js');
  removeContainerBundle(dir, id);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if (errorCode(error) !== 'ESRCH') log().warn(`kill ${pid}: ${errorMessage(error)}`);
  }
}
