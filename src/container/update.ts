/**
 * `update`: change a live container's resource limits. The new values go through the same
 * conversion and checks as at create (src/cgroups/resources.ts); settings not given keep
 * their current values, since only the files for given settings are written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  const mode = detectMode();
  try {
    const dir = state.cgroupPaths['unified'];
    applyResources(state.cgroupPaths, mode === 'unified' && dir ? withCurrentV2Values(dir, resources) : resources, mode);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    throw new RuntimeError(`update ${id}: ${error.message}`, { code: error.code, cause: error });
  }
}

/**
 * On v2 one file holds two spec settings: cpu.max is quota and period, and memory.swap.max
 * is computed from swap and the memory limit. When an update gives only one of a pair, the
 * other is read back from the file, so it is kept rather than reset (runc fills them in
 * from its saved config instead).
 */
function withCurrentV2Values(dir: string, resources: SpecResources): SpecResources {
  const out = { ...resources };
  const cpu = resources.cpu;
  if (cpu && (cpu.quota === undefined) !== (cpu.period === undefined)) {
    const [quota = 'max', period = '100000'] = readFileSync(join(dir, 'cpu.max'), 'utf8').trim().split(/\s+/);
    out.cpu = { ...cpu, quota: cpu.quota ?? (quota === 'max' ? -1 : Number(quota)), period: cpu.period ?? Number(period) };
  }
  const memory = resources.memory;
  if (memory && memory.swap !== undefined && memory.limit === undefined) {
    const max = readFileSync(join(dir, 'memory.max'), 'utf8').trim();
    out.memory = { ...memory, limit: max === 'max' ? -1 : Number(max) };
  }
  return out;
}
