/**
 * `container prune [-f] [--filter until=…|label=…|label!=…]` (POST /containers/prune):
 * removes every container that is not running (created, exited, dead), as docker's, each
 * through the same removal as `rm` (lifecycle/remove.ts), and reports what went and the
 * space of their writable layers.
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import { log } from '../../log.js';
import { removeContainer } from '../lifecycle/remove.js';
import { labelsMatch, parseTimestamp, type Filters } from '../list/filters.js';
import { treeSize } from '../list/summary.js';
import { ContainerStore } from './store.js';
import { containerView } from './status.js';

export interface PruneResult {
  ContainersDeleted: string[];
  SpaceReclaimed: number;
}

/** label=k[=v] must match, label!=k[=v] must not; until=T created before T. */
export function pruneFilterMatches(filters: Filters, labels: Record<string, string> | undefined, created: string, now = Date.now()): boolean {
  for (const key of Object.keys(filters)) {
    if (key !== 'until' && key !== 'label' && key !== 'label!') throw new RuntimeError(`invalid filter '${key}' (prune takes until, label, label!)`);
  }
  if (filters['label'] && !labelsMatch(filters['label'], labels)) return false;
  if (filters['label!'] && filters['label!'].some((l) => labelsMatch([l], labels))) return false;
  for (const until of filters['until'] ?? []) if (Date.parse(created) >= parseTimestamp(until, now)) return false;
  return true;
}

export async function pruneContainers(storage: string, filters: Filters = {}): Promise<PruneResult> {
  pruneFilterMatches(filters, {}, new Date(0).toISOString()); // refuses unknown keys before anything goes
  const store = new ContainerStore(storage);
  const result: PruneResult = { ContainersDeleted: [], SpaceReclaimed: 0 };
  const failures: string[] = [];
  for (const record of store.list()) {
    const { state } = containerView(store, record);
    if (state.Running || state.Paused || state.Restarting) continue;
    if (!pruneFilterMatches(filters, record.Config.Labels, record.Created)) continue;
    const size = treeSize(store.paths(record.Id).upper);
    try {
      await removeContainer(storage, record.Id, {});
      result.ContainersDeleted.push(record.Id);
      result.SpaceReclaimed += size;
    } catch (error) {
      failures.push(`${record.Id.slice(0, 12)}: ${errorMessage(error)}`);
    }
  }
  if (failures.length > 0) {
    // what went is reported; what could not go is named (docker logs these and goes on)
    if (result.ContainersDeleted.length === 0) throw new RuntimeError(`container prune: ${failures.join('; ')}`);
    for (const failure of failures) log().warn(`container prune: ${failure}`);
  }
  return result;
}
