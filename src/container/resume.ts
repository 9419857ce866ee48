/** `resume`: thaw a paused container's cgroup (src/cgroups/freezer.ts); its processes continue. */
import { RuntimeError } from '../errors.js';
import { thaw } from '../cgroups/freezer.js';
import type { StateStore } from '../state/container-state.js';
import { statusOf } from './status.js';

export function resumeContainer(store: StateStore, id: string): void {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status !== 'paused') throw new RuntimeError(`resume ${id}: container is ${status}, not paused`);
  thaw(state.cgroupPaths);
}
