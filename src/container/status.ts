/**
 * A container's status, derived each time from the kernel rather than trusted from disk:
 * the init's pid (checked against its start time), its cgroup's freezer (paused), and
 * whether the barrier's start.fifo still exists.
 *
 * `liveInitPid` is the one answer to "which process is this container's init?": every
 * verb that signals the init or joins its namespaces asks it, never `state.pid` itself.
 * A state can hold pid 0 (a create killed, or still running, before its init existed) or
 * a pid the kernel has since given to another process; kill(2) of 0 signals the caller's
 * own process group, and of a recycled pid a stranger.
 */
import { existsSync } from 'node:fs';
import { freezerState } from '../cgroups/freezer.js';
import { isAlive } from '../process/liveness.js';
import type { OciState, StateStore, Status, StoredState } from '../state/container-state.js';

/** The init's pid if it runs and is the process create started (same start time), else undefined. */
export function liveInitPid(state: Pick<StoredState, 'pid' | 'pidStartTime'>): number | undefined {
  const { pid, pidStartTime } = state;
  if (!Number.isInteger(pid) || pid <= 0 || !pidStartTime) return undefined;
  return isAlive(pid, pidStartTime) ? pid : undefined;
}

/** Whether the `create` that made this state is still at work (it records itself: StoredState.creator). */
export function creatorAlive(state: Pick<StoredState, 'creator'>): boolean {
  return state.creator !== undefined && isAlive(state.creator.pid, state.creator.startTime);
}

export function statusOf(store: StateStore, state: StoredState): Status {
  // No init yet: "creating" while its create runs; a create that died there left a
  // container that will never run, which is stopped (and `delete` removes it).
  if (state.pid === 0) return creatorAlive(state) ? 'creating' : 'stopped';
  if (liveInitPid(state) === undefined) return 'stopped';
  // runc reports a container whose freezer is frozen (or still freezing) as paused.
  const freezer = freezerState(state.cgroupPaths);
  if (freezer === 'frozen' || freezer === 'freezing') return 'paused';
  if (existsSync(store.startFifo(state.id)) || existsSync(store.legacyExecSocket(state.id))) return 'created';
  return 'running';
}

/** The OCI state (runtime.md#state); a stopped container reports pid 0, as runc does. */
export function ociState(store: StateStore, state: StoredState, status = statusOf(store, state)): OciState {
  return {
    ociVersion: state.ociVersion,
    id: state.id,
    pid: status === 'stopped' ? 0 : state.pid,
    status,
    bundle: state.bundle,
    rootfs: state.rootfs,
    created: state.created,
    owner: state.owner,
    annotations: state.annotations,
  };
}
