/**
 * `delete`: remove a stopped (or created) container; with --force, kill a running (or
 * paused) one first. A frozen task cannot act on SIGKILL, so a paused container is thawed
 * right after the signal (runc's signalAllProcesses does freeze, kill, thaw).
 * Without a pid namespace of its own, whatever is still in the cgroup is killed; then the
 * cgroup is removed, poststop hooks run, and the state directory goes last, so an
 * interrupted delete can be run again.
 *
 * Only the init `liveInitPid` vouches for and the processes in the container's cgroup are
 * ever signalled: a state left by a create killed before its init existed (pid 0) has
 * nothing to kill, and everything it recorded (cgroups, network, image bundle) is freed.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { cgroupPids, removeCgroups } from '../cgroups/cgroup.js';
import { thaw } from '../cgroups/freezer.js';
import { runHook } from '../hooks/run-hooks.js';
import { waitForExit } from '../process/liveness.js';
import { signalProcess } from '../process/signals.js';
import type { StateStore, StoredState } from '../state/container-state.js';
import { containerDir, imageBundleRecord } from '../storage.js';
import { liveInitPid, ociState, statusOf } from './status.js';

export interface DeleteOptions {
  /** --storage: lets `delete --force` of a container without state find its image bundle */
  storage?: string;
  /** how long --force waits for a create still at work to finish or die (default 10 s) */
  creatingTimeoutMs?: number;
}

export async function deleteContainer(store: StateStore, id: string, force: boolean, options: DeleteOptions = {}): Promise<void> {
  if (!store.exists(id)) {
    if (force) {
      store.remove(id); // a directory a crashed create may have left
      if (options.storage) await removeOrphanedImageBundle(options.storage, id, store.root);
      return;
    }
    throw new RuntimeError(`container ${id} does not exist`);
  }
  let state = store.read(id);
  let status = statusOf(store, state);
  if (status === 'creating') {
    if (!force) throw new RuntimeError(`cannot delete container ${id} that is being created (by ts-runc pid ${state.creator?.pid}): use --force`);
    state = await waitWhileCreating(store, state, options.creatingTimeoutMs ?? 10_000);
    status = statusOf(store, state);
  }
  if ((status === 'running' || status === 'paused') && !force) {
    throw new RuntimeError(`cannot delete container ${id} that is not stopped: ${status}`);
  }
  const pid = liveInitPid(state);
  if (pid !== undefined) {
    signal(pid, 'SIGKILL');
    if (status === 'paused') {
      if (!ownsPidNamespace(state)) for (const member of cgroupPids(state.cgroupPaths)) signal(member, 'SIGKILL');
      thaw(state.cgroupPaths);
    }
    if (!(await waitForExit(pid, state.pidStartTime, 10_000))) {
      throw new RuntimeError(`delete ${id}: process ${pid} did not die after SIGKILL`);
    }
  }
  await removeOwnCgroups(state);

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
 * What is left in the cgroup is killed and the directories removed, when it can be the
 * container's: runc (libcontainer destroy, signalAllProcesses) kills the cgroup's processes
 * only when the container has no new pid namespace of its own (it shares the caller's or
 * joined one by path), as then processes can outlive its init. With its own, the kernel
 * killed every other process of the namespace when the init died, before the init became a
 * zombie (zap_pid_ns_processes; pid_namespaces(7)), which waitForExit waited for.
 *
 * Whatever is in the cgroup then belongs to another container given the same
 * linux.cgroupsPath (an existing cgroup is joined, as runc does), and is not ours to kill:
 * the directories are left to that container, whose own delete removes them. The same holds
 * for a state still at pid 0, which never had a process in its cgroup: create records the
 * init's pid before the init joins it (create.ts).
 */
async function removeOwnCgroups(state: StoredState): Promise<void> {
  const members = cgroupPids(state.cgroupPaths);
  if ((state.pid === 0 || ownsPidNamespace(state)) && members.length > 0) {
    log().warn(`delete ${state.id}: its cgroup holds processes that are not its own (${members.join(' ')}); left in place`);
    return;
  }
  for (const member of members) signal(member, 'SIGKILL');
  await removeCgroups(state.cgroupPaths);
}

/** A state written before newPidNamespace was recorded: kill what is left, as before. */
function ownsPidNamespace(state: StoredState): boolean {
  return state.newPidNamespace === true;
}

/**
 * `delete --force` racing a `create` still at work: let it finish (the container then has
 * an init to kill) or die (nothing more will be made), rather than pull things from under
 * it; it is not ours to kill, it may be a long-lived caller of the library.
 */
async function waitWhileCreating(store: StateStore, state: StoredState, timeoutMs: number): Promise<StoredState> {
  const deadline = Date.now() + timeoutMs;
  while (state.pid === 0 && statusOf(store, state) === 'creating') {
    if (Date.now() > deadline) {
      throw new RuntimeError(`delete ${state.id}: still being created by ts-runc pid ${state.creator?.pid} after ${timeoutMs / 1000} s`);
    }
    await sleep(20);
    if (!store.exists(state.id)) return state; // its create failed and removed it all
    state = store.read(state.id);
  }
  return state;
}

/**
 * A `create --image` killed before it wrote its state, or a --root wiped by a reboot,
 * leaves `<storage>/containers/<id>` (an overlay mount and a hold on the image) that no
 * state points at; `delete --force <id>` removes it, as it removes a half-made state dir.
 * Killed before even its record was written (src/image/bundle.ts writes it first), the
 * directory holds nothing but an unfinished `.ts-runc/`: nothing was mounted or held yet.
 * A directory with anything else (a bundle container's hosts files) is not touched.
 */
async function removeOrphanedImageBundle(storage: string, id: string, root: string): Promise<void> {
  const dir = containerDir(storage, id);
  if (existsSync(imageBundleRecord(dir))) {
    const { readImageBundleRecord, removeContainerBundle } = await import('../image/bundle.js');
    // Another --root sharing this storage may run a container of this id from it: no state
    // here does not make it an orphan (records made before `root` existed are taken as ours).
    const owner = readImageBundleRecord(dir)?.root;
    if (owner !== undefined && owner !== root) {
      log().warn(`delete ${id}: ${dir} belongs to container ${id} of --root ${owner}; left in place`);
      return;
    }
    removeContainerBundle(dir, id);
    return;
  }
  if (unfinishedImageBundle(dir)) rmSync(dir, { recursive: true, force: true });
}

function unfinishedImageBundle(dir: string): boolean {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return false;
  }
  if (entries.length === 0) return true;
  if (entries.length > 1 || entries[0] !== '.ts-runc') return false;
  try {
    return readdirSync(join(dir, '.ts-runc')).every((name) => name.endsWith('.tmp'));
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    signalProcess(pid, name);
  } catch (error) {
    log().warn(errorMessage(error));
  }
}
