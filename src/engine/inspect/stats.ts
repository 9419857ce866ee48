/**
 * `container stats` and GET /containers/{id}/stats: Docker's stats JSON (moby
 * api/types/container StatsResponse: cpu_stats, precpu_stats, memory_stats, pids_stats,
 * blkio_stats, networks), from the container's cgroup (src/cgroups/stats.ts, v1 or v2) and
 * its network namespace's interface counters (/proc/<pid>/net/dev, which shows the
 * namespace of that process: proc(5)). system_cpu_usage is /proc/stat's first line in ns,
 * as moby reads it, so a client computes CPU % as docker's CLI does (percent.ts).
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { readStats, type BlkioEntry } from '../../cgroups/stats.js';
import { StateStore } from '../../state/container-state.js';
import { ContainerStore } from '../containers/store.js';
import { containerView, ZERO_TIME, type ContainerView } from '../containers/status.js';

export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface NetworkStats {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

interface BlkioStat { major: number; minor: number; op: string; value: number }

export interface StatsResponse {
  name: string;
  id: string;
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: { io_service_bytes_recursive: BlkioStat[] | null; io_serviced_recursive: BlkioStat[] | null };
  num_procs: number;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  networks?: Record<string, NetworkStats>;
}

const USER_HZ = 100;

/** /proc/stat's "cpu" line: user..softirq in ns (moby's getSystemCPUUsage). */
export function systemCpuUsage(procStat = readFileSync('/proc/stat', 'utf8')): number {
  const line = procStat.split('\n').find((l) => l.startsWith('cpu '));
  const fields = (line ?? '').trim().split(/\s+/).slice(1, 8).map(Number);
  return (fields.reduce((a, b) => a + b, 0) * 1e9) / USER_HZ;
}

/** /proc/<pid>/net/dev → counters per interface (lo left out, as docker's endpoints have none). */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const match = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!match || match[1] === 'lo') continue;
    const v = match[2]!.trim().split(/\s+/).map(Number);
    out[match[1]!] = {
      rx_bytes: v[0]!, rx_packets: v[1]!, rx_errors: v[2]!, rx_dropped: v[3]!,
      tx_bytes: v[8]!, tx_packets: v[9]!, tx_errors: v[10]!, tx_dropped: v[11]!,
    };
  }
  return out;
}

const emptyCpu = (): CpuStats => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

const num = (v: bigint | undefined) => (v === undefined ? undefined : Number(v));
const blkio = (entries: BlkioEntry[] | undefined): BlkioStat[] | null =>
  entries ? entries.map((e) => ({ major: Number(e.major), minor: Number(e.minor), op: e.op, value: Number(e.value) })) : null;

/** One reading of a container (zeros for one that is not running, as docker gives). */
export function sampleStats(view: ContainerView): StatsResponse {
  const { record, state } = view;
  const base: StatsResponse = {
    name: record.Name, id: record.Id, read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, num_procs: 0,
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null },
    cpu_stats: emptyCpu(), precpu_stats: emptyCpu(), memory_stats: {},
  };
  const runtime = new StateStore(record.Root);
  if (!(state.Running || state.Paused) || !runtime.exists(record.Id)) return base;
  const stats = readStats(runtime.read(record.Id).cgroupPaths);
  const usage = stats.cpu?.usage;
  const throttling = stats.cpu?.throttling;
  const memory = stats.memory;
  // moby: an unlimited cgroup reports the machine's memory as the limit
  const limit = Math.min(num(memory?.usage?.limit) ?? Infinity, totalmem());
  const response: StatsResponse = {
    ...base,
    read: new Date().toISOString(),
    pids_stats: { current: num(stats.pids?.current), ...(stats.pids?.limit ? { limit: num(stats.pids.limit) } : {}) },
    blkio_stats: { io_service_bytes_recursive: blkio(stats.blkio?.ioServiceBytesRecursive), io_serviced_recursive: blkio(stats.blkio?.ioServicedRecursive) },
    cpu_stats: {
      cpu_usage: {
        total_usage: num(usage?.total) ?? 0,
        ...(usage?.percpu ? { percpu_usage: usage.percpu.map(Number) } : {}),
        usage_in_kernelmode: num(usage?.kernel) ?? 0,
        usage_in_usermode: num(usage?.user) ?? 0,
      },
      system_cpu_usage: systemCpuUsage(),
      online_cpus: cpus().length,
      throttling_data: {
        periods: num(throttling?.periods) ?? 0,
        throttled_periods: num(throttling?.throttledPeriods) ?? 0,
        throttled_time: num(throttling?.throttledTime) ?? 0,
      },
    },
    memory_stats: {
      usage: num(memory?.usage?.usage),
      ...(memory?.usage?.max !== undefined ? { max_usage: num(memory.usage.max) } : {}),
      stats: memory?.raw ? Object.fromEntries(Object.entries(memory.raw).map(([k, v]) => [k, Number(v)])) : {},
      ...(memory?.usage?.failcnt !== undefined ? { failcnt: num(memory.usage.failcnt) } : {}),
      limit,
    },
  };
  const mode = record.HostConfig.NetworkMode ?? 'bridge';
  if (mode !== 'none' && mode !== 'host' && state.Pid > 0) {
    try {
      response.networks = parseNetDev(readFileSync(`/proc/${state.Pid}/net/dev`, 'utf8'));
    } catch {
      // the process ended between the state read and here
    }
  }
  return response;
}

export interface StatsOptions {
  /** keep reading every `intervalMs` (docker: 1 s) until the signal aborts */
  stream?: boolean;
  intervalMs?: number;
  signal?: AbortSignal;
}

/**
 * Readings of a container: each carries the previous one as precpu_stats, so the first is
 * yielded after one interval (as docker's daemon does for stream=false).
 */
export async function* containerStats(storage: string, reference: string, options: StatsOptions = {}): AsyncGenerator<StatsResponse> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const interval = options.intervalMs ?? 1000;
  let previous = sampleStats(containerView(store, record));
  for (;;) {
    try {
      await sleep(interval, undefined, { signal: options.signal });
    } catch {
      return;
    }
    const current = store.tryRead(record.Id);
    if (!current) return; // removed
    const sample = sampleStats(containerView(store, current));
    sample.precpu_stats = previous.cpu_stats;
    sample.preread = previous.read;
    yield sample;
    if (!options.stream) return;
    previous = sample;
  }
}
