/**
 * A container's status, derived each time from the kernel rather than trusted from disk:
 * the init's pid (checked against its start time), its cgroup's freezer (paused), and
 * whether the barrier socket still exists.
 */
import { existsSync } from 'node:fs';
import { freezerState } from '../cgroups/freezer.js';
import { isAlive } from '../process/liveness.js';
import type { OciState, StateStore, Status, StoredState } from '../state/container-state.js';

export function statusOf(store: StateStore, state: StoredState): Status {
  if (state.pid === 0) return 'creating';
  if (!isAlive(state.pid, state.pidStartTime)) return 'stopped';
  // runc reports a container whose freezer is frozen (or still freezing) as paused.
  const freezer = freezerState(state.cgroupPaths);
  if (freezer === 'frozen' || freezer === 'freezing') return 'paused';
  if (existsSync(store.execSocket(state.id))) return 'created';
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
