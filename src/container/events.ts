/**
 * `events`: a container's resource usage and OOM kills as JSON lines, as runc prints them
 * (runc events.go, types/events.go):
 *
 *   {"type":"stats","id":"web","data":{"cpu":{...},"memory":{...},"pids":{...},"blkio":{...}}}
 *   {"type":"oom","id":"web"}
 *
 * With `stats` one stats line is printed; otherwise a stats line every interval and an oom
 * line whenever the OOM-kill counter grows (src/cgroups/oom.ts), until the container stops
 * or is deleted.
 */
import { OomWatch } from '../cgroups/oom.js';
import { readStats, type Stats } from '../cgroups/stats.js';
import { RuntimeError, errorMessage } from '../errors.js';
import { log } from '../log.js';
import type { StateStore } from '../state/container-state.js';
import { statusOf } from './status.js';

export type ContainerEvent =
  | { type: 'stats'; id: string; data: Stats }
  | { type: 'oom'; id: string };

export interface EventsOptions {
  /** print one stats event and return */
  stats: boolean;
  /** between stats events */
  intervalMs: number;
  /** receives each event as one line of JSON, newline included */
  write(line: string): void;
  /** how often the OOM counter and the container's status are checked */
  pollMs?: number;
}

// JSON.rawJSON (ES2025, in Node ≥ 21) writes a bigint as an exact JSON number; TypeScript's
// lib does not declare it yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/** One event as a JSON line; u64 counters are written exactly, as Go's encoding/json does. */
export function eventLine(event: ContainerEvent): string {
  return JSON.stringify(event, (_key, value: unknown) => (typeof value === 'bigint' ? rawJSON(value.toString()) : value)) + '\n';
}

export async function containerEvents(store: StateStore, id: string, options: EventsOptions): Promise<void> {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status === 'stopped') throw new RuntimeError(`events ${id}: container is stopped, not running`);
  const paths = state.cgroupPaths;
  const statsEvent = (): ContainerEvent => ({ type: 'stats', id, data: readStats(paths) });
  if (options.stats) {
    options.write(eventLine(statsEvent()));
    return;
  }

  const oom = new OomWatch(paths);
  const pollMs = Math.min(options.pollMs ?? 100, options.intervalMs);
  const gone = () => !store.exists(id) || statusOf(store, store.read(id)) === 'stopped';
  let nextStats = Date.now() + options.intervalMs;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    // Read the counter before the status, so a kill that stopped the container is reported.
    if (oom.check()) options.write(eventLine({ type: 'oom', id }));
    if (gone()) {
      log().debug('container stopped; events done', { id });
      return;
    }
    if (Date.now() >= nextStats) {
      nextStats += options.intervalMs;
      try {
        options.write(eventLine(statsEvent()));
      } catch (error) {
        // runc logs a failed read and keeps going; the next tick may succeed.
        log().error(`events ${id}: read stats: ${errorMessage(error)}`);
      }
    }
  }
}
