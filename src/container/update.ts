/**
 * `update`: change a live container's resource limits. The new values go through the same
 * conversion and checks as at create (src/cgroups/resources.ts); settings not given keep
 * their current values, since only the files for given settings are written.
 */
import { RuntimeError } from '../errors.js';
import { detectMode } from '../cgroups/hierarchy.js';
import { applyResources } from '../cgroups/resources.js';
import type { SpecResources } from '../spec/schema.js';
import type { StateStore } from '../state/container-state.js';
import { statusOf } from './status.js';

export function updateContainer(store: StateStore, id: string, resources: SpecResources): void {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status === 'stopped') throw new RuntimeError(`update ${id}: container is stopped`);
  try {
    applyResources(state.cgroupPaths, resources, detectMode());
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    throw new RuntimeError(`update ${id}: ${error.message}`, { code: error.code, cause: error });
  }
}
