/**
 * OOM kills in a container's cgroup, for `events`. The kernel counts them for us:
 *
 *   v1  memory.oom_control "oom_kill N" (kernel ≥ 4.13; cgroup-v1/memory.rst)
 *   v2  memory.events "oom_kill N" (cgroup-v2.rst, "memory.events")
 *
 * runc waits on an eventfd (v1 cgroup.event_control) or inotify (v2); we poll the counter,
 * which works the same on both versions and cannot miss a kill between two reads: a
 * larger number than last time means at least one process was OOM-killed since.
 */
import { dirReader, parseKeyed, v1Dir } from './stats.js';

/** The number of OOM kills so far; undefined when there is no memory controller file to read. */
export function oomKillCount(paths: Record<string, string>): bigint | undefined {
  const v1 = v1Dir(paths, 'memory');
  const text = v1 !== undefined
    ? dirReader(v1)('memory.oom_control')
    : dirReader(paths['unified'])('memory.events');
  return parseKeyed(text)?.get('oom_kill');
}

/** Remembers the last count; `check()` says whether it grew since the previous call. */
export class OomWatch {
  private last: bigint;

  constructor(private readonly paths: Record<string, string>) {
    this.last = oomKillCount(paths) ?? 0n;
  }

  check(): boolean {
    const now = oomKillCount(this.paths);
    if (now === undefined || now <= this.last) return false;
    this.last = now;
    return true;
  }
}

/**
 * The highest memory use the cgroup has seen, in bytes, for an error message:
 * v1 memory.max_usage_in_bytes (cgroup-v1/memory.rst), v2 memory.peak (kernel ≥ 5.19).
 */
export function peakMemory(paths: Record<string, string>): bigint | undefined {
  const v1 = v1Dir(paths, 'memory');
  const text = v1 !== undefined
    ? dirReader(v1)('memory.max_usage_in_bytes')
    : dirReader(paths['unified'])('memory.peak');
  const value = text?.trim();
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : undefined;
}
