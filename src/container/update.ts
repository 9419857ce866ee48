/**
 * `update`: change a live container's resource limits. The new values go through the same
 * conversion and checks as at create (src/cgroups/resources.ts); only the files for the
 * settings given are written, so the others keep their values.
 *
 * The resources last applied are kept in the state (`resources`, as runc keeps them in its
 * state.json config) and each update is merged into them, so a later `update` knows what
 * the container runs with: quota without period, or a memory limit without swap, is
 * completed from them where one cgroup file holds both (v2 cpu.max, memory.swap.max).
 * runc 1.1.5 instead overwrites its saved config with the update's zeros for every flag not
 * given, forgetting earlier cpuset and rt values; merging is what its users expect.
 */
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { detectMode } from '../cgroups/hierarchy.js';
import { applyDeviceUpdate } from '../cgroups/device-transition.js';
import { applyResources } from '../cgroups/resources.js';
import type { SpecResources } from '../spec/schema.js';
import type { StateStore } from '../state/container-state.js';
import { kernelFiles } from '../sys/kernel-files.js';
import { statusOf } from './status.js';

export function updateContainer(store: StateStore, id: string, changes: SpecResources): void {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status === 'stopped') throw new RuntimeError(`update ${id}: container is stopped`);
  const mode = detectMode();
  const before = state.resources ?? {};
  const merged = mergeResources(before, changes);
  try {
    const dir = state.cgroupPaths['unified'];
    const writes = mode === 'unified' && dir ? completeV2Pairs(dir, changes, merged) : changes;
    applyResources(state.cgroupPaths, { ...writes, devices: undefined }, mode);
    if (changes.devices !== undefined) applyDeviceUpdate(state.cgroupPaths, before.devices, changes.devices, mode);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    throw new RuntimeError(`update ${id}: ${error.message}`, { code: error.code, cause: error });
  }
  state.resources = merged;
  store.write(state);
}

/**
 * `changes` laid over `current`, section by section: a value given replaces the one kept,
 * lists (devices, hugepage limits, throttles) are replaced whole, unified keys are merged.
 */
export function mergeResources(current: SpecResources, changes: SpecResources): SpecResources {
  const out: SpecResources = { ...current };
  const sections = ['memory', 'cpu', 'pids', 'blockIO', 'network', 'rdma'] as const;
  for (const key of sections) {
    if (changes[key] !== undefined) Object.assign(out, { [key]: { ...current[key], ...changes[key] } });
  }
  if (changes.devices !== undefined) out.devices = changes.devices;
  if (changes.hugepageLimits !== undefined) out.hugepageLimits = changes.hugepageLimits;
  if (changes.unified !== undefined) out.unified = { ...current.unified, ...changes.unified };
  return out;
}

/**
 * On v2 one file holds two spec settings: cpu.max is quota and period, and memory.swap.max
 * is swap minus the memory limit. When an update gives one of a pair, the other comes
 * from the kept resources, or, for a container created before they were kept, from the file.
 */
function completeV2Pairs(dir: string, changes: SpecResources, merged: SpecResources): SpecResources {
  const out = { ...changes };
  const cpu = changes.cpu;
  if (cpu && (cpu.quota !== undefined || cpu.period !== undefined)) {
    const [quota = 'max', period = '100000'] = kernelFiles().read(join(dir, 'cpu.max')).trim().split(/\s+/);
    out.cpu = {
      ...cpu,
      quota: merged.cpu?.quota ?? (quota === 'max' ? -1 : Number(quota)),
      period: merged.cpu?.period ?? Number(period),
    };
  }
  const memory = changes.memory;
  if (memory && (memory.swap !== undefined || memory.limit !== undefined)) {
    let limit = merged.memory?.limit;
    if (limit === undefined) {
      const max = kernelFiles().read(join(dir, 'memory.max')).trim();
      limit = max === 'max' ? -1 : Number(max);
    }
    out.memory = { ...memory, limit, swap: merged.memory?.swap };
  }
  return out;
}
