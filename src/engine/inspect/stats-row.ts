/**
 * A stats reading as docker's CLI shows it (docker/cli command/container/stats_helpers.go
 * and formatter_stats.go): CPU % from the deltas against precpu_stats, memory without the
 * inactive page cache, NET I/O and BLOCK I/O summed, in go-units' sizes.
 */
import { asStruct, type Value } from '../format/go-print.js';
import { bytesSize, humanSize } from '../format/humanize.js';
import type { StatsResponse } from './stats.js';

export const STATS_TABLE = 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

export const STATS_HEADER: Record<string, Value> = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};

/** cpuDelta / systemDelta × online CPUs × 100 (calculateCPUPercentUnix). */
export function cpuPercent(s: StatsResponse): number {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const online = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** usage minus inactive file pages (v1: total_inactive_file, v2: inactive_file), as calculateMemUsageUnixNoCache. */
export function memoryUsage(s: StatsResponse): number {
  const usage = s.memory_stats.usage ?? 0;
  const stats = s.memory_stats.stats ?? {};
  const inactive = stats['total_inactive_file'] ?? stats['inactive_file'];
  return inactive !== undefined && inactive < usage ? usage - inactive : usage;
}

export function statsRow(s: StatsResponse, trunc: boolean): Value {
  const mem = memoryUsage(s);
  const limit = s.memory_stats.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') read += e.value;
    if (op === 'write') write += e.value;
  }
  return asStruct({
    Container: trunc ? s.id.slice(0, 12) : s.id,
    ID: trunc ? s.id.slice(0, 12) : s.id,
    Name: s.name.replace(/^\//, '') || '--',
    CPUPerc: `${cpuPercent(s).toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit > 0 ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSize(rx, 3)} / ${humanSize(tx, 3)}`,
    BlockIO: `${humanSize(read, 3)} / ${humanSize(write, 3)}`,
    PIDs: String(s.pids_stats.current ?? 0),
  }, '*formatter.statsContext', { marshalJson: true });
}
