/**
 * The runtime's side of an engine container: its state in the record's --root (cgroup
 * paths, init pid), which exists only while the container runs (or is paused).
 */
import { RuntimeError } from '../../errors.js';
import { StateStore } from '../../state/container-state.js';
import type { ContainerRecord } from '../types.js';
import type { ContainerView } from './status.js';

/** The runtime store and the container's runtime state; an error naming the container if it is not running. */
export function runningRuntime(view: ContainerView, verb: string): { runtime: StateStore; cgroupPaths: Record<string, string> } {
  const { record, state } = view;
  if (!state.Running && !state.Paused) throw notRunning(record, verb);
  const runtime = new StateStore(record.Root);
  if (!runtime.exists(record.Id)) throw notRunning(record, verb);
  return { runtime, cgroupPaths: runtime.read(record.Id).cgroupPaths };
}

export function notRunning(record: ContainerRecord, verb: string): RuntimeError {
  return new RuntimeError(`${verb} ${record.Name.slice(1)}: container ${record.Id.slice(0, 12)} is not running`);
}
