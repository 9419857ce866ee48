/**
 * `pause`: freeze every process in the container's cgroup (src/cgroups/freezer.ts). The
 * processes stay in memory, stopped where they were, until `resume`; `state` says "paused".
 * runc allows it for a created or a running container.
 */
import { RuntimeError } from '../errors.js';
import { freeze } from '../cgroups/freezer.js';
import type { StateStore } from '../state/container-state.js';
import { statusOf } from './status.js';

export async function pauseContainer(store: StateStore, id: string): Promise<void> {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status !== 'running' && status !== 'created') throw new RuntimeError(`pause ${id}: container is ${status}, not running`);
  await freeze(state.cgroupPaths);
}
