/**
 * Resource usage of a container's cgroup, for `events`, in the JSON shape runc prints
 * (runc types/events.go). Values are bigint: the kernel's counters are u64 and v1's
 * "no limit" (9223372036854771712) is past Number.MAX_SAFE_INTEGER.
 *
 *              v1 (one hierarchy per controller)              v2 (one directory)
 *   cpu        cpuacct.usage, cpuacct.usage_percpu,           cpu.stat usage_usec, user_usec,
 *              cpuacct.stat (USER_HZ ticks), cpu.stat         system_usec, nr_periods,
 *              nr_periods/nr_throttled/throttled_time (ns)    nr_throttled, throttled_usec
 *   memory     memory.{usage_in_bytes,max_usage_in_bytes,     memory.{current,max,peak,stat,
 *              limit_in_bytes,failcnt,stat}, memory.memsw.*   events}, memory.swap.{current,max}
 *   pids       pids.current, pids.max                         the same files
 *   blkio/io   blkio.throttle.io_service{_bytes,d}_recursive  io.stat
 *
 * (Documentation/admin-guide/cgroup-v1/{cpuacct,memory,blkio-controller}.rst, cgroup-v2.rst.)
 * The parsers below take a file's text and are pure; `readStats` reads the files. A file
 * that is missing (a controller not enabled, an older kernel) leaves its field out.
 */
import { join } from 'node:path';
import { errorCode } from '../errors.js';
import { kernelFiles } from '../sys/kernel-files.js';

export interface CpuUsage {
  total?: bigint;
  percpu?: bigint[];
  kernel?: bigint;
  user?: bigint;
}
export interface Throttling {
  periods?: bigint;
  throttledPeriods?: bigint;
  throttledTime?: bigint;
}
export interface CpuStats {
  usage?: CpuUsage;
  throttling?: Throttling;
}
export interface MemoryEntry {
  limit?: bigint;
  usage?: bigint;
  max?: bigint;
  failcnt?: bigint;
}
export interface MemoryStats {
  cache?: bigint;
  usage?: MemoryEntry;
  swap?: MemoryEntry;
  raw?: Record<string, bigint>;
}
export interface PidsStats {
  current?: bigint;
  limit?: bigint;
}
export interface BlkioEntry {
  major: bigint;
  minor: bigint;
  op: string;
  value: bigint;
}
export interface BlkioStats {
  ioServiceBytesRecursive?: BlkioEntry[];
  ioServicedRecursive?: BlkioEntry[];
}
export interface Stats {
  cpu?: CpuStats;
  memory?: MemoryStats;
  pids?: PidsStats;
  blkio?: BlkioStats;
}

/** Reads one file of one controller; undefined when the file (or the hierarchy) is missing. */
export type StatFileReader = (file: string) => string | undefined;

/** cgroup v1 and v2 write "max" for "no limit" (v2) ; runc reports it as the largest u64. */
export const MAX_U64 = 2n ** 64n - 1n;
/** USER_HZ: cpuacct.stat counts in these ticks (sysconf(_SC_CLK_TCK), 100 on Linux). */
const USER_HZ = 100n;
const NS_PER_TICK = 1_000_000_000n / USER_HZ;

/** A file holding one number ("12345\n"); "max" → `maxAs`. */
export function parseSingle(text: string | undefined, maxAs: bigint = MAX_U64): bigint | undefined {
  if (text === undefined) return undefined;
  const value = text.trim();
  if (value === 'max') return maxAs;
  return /^\d+$/.test(value) ? BigInt(value) : undefined;
}

/** Flat keyed files ("key value" per line): cpu.stat, memory.stat, memory.events, cpuacct.stat, memory.oom_control. */
export function parseKeyed(text: string | undefined): Map<string, bigint> | undefined {
  if (text === undefined) return undefined;
  const values = new Map<string, bigint>();
  for (const line of text.split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (key && value !== undefined && extra === undefined && /^\d+$/.test(value)) values.set(key, BigInt(value));
  }
  return values;
}

/** cpuacct.usage_percpu: nanoseconds per cpu, space-separated on one line. */
export function parsePercpu(text: string | undefined): bigint[] | undefined {
  if (text === undefined) return undefined;
  return text.trim().split(/\s+/).filter((v) => /^\d+$/.test(v)).map(BigInt);
}

/** v1 blkio recursive files: "8:0 Read 4096" lines, then "Total N" (dropped). */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] | undefined {
  if (text === undefined) return undefined;
  const entries: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+):(\d+) (\S+) (\d+)$/.exec(line.trim());
    if (match) entries.push({ major: BigInt(match[1]!), minor: BigInt(match[2]!), op: match[3]!, value: BigInt(match[4]!) });
  }
  return entries;
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"; mapped to v1's ops as runc does. */
export function parseIoStat(text: string | undefined): BlkioStats | undefined {
  if (text === undefined) return undefined;
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  const ops: Record<string, [BlkioEntry[], string]> = {
    rbytes: [bytes, 'Read'], wbytes: [bytes, 'Write'], dbytes: [bytes, 'Discard'],
    rios: [ios, 'Read'], wios: [ios, 'Write'], dios: [ios, 'Discard'],
  };
  for (const line of text.split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!dev) continue;
    for (const pair of pairs) {
      const [key, value] = pair.split('=');
      const target = ops[key ?? ''];
      if (target && value !== undefined && /^\d+$/.test(value)) {
        target[0].push({ major: BigInt(dev[1]!), minor: BigInt(dev[2]!), op: target[1], value: BigInt(value) });
      }
    }
  }
  return { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
}

/** Drop undefined fields and empty lists (as Go's omitempty); undefined when nothing is left. */
function present<T extends object>(value: T): T | undefined {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0));
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as T);
}

const fromRecord = (map: Map<string, bigint> | undefined): Record<string, bigint> | undefined =>
  map ? Object.fromEntries(map) : undefined;

export function cpuV1(cpuacct: StatFileReader, cpu: StatFileReader): CpuStats | undefined {
  const ticks = parseKeyed(cpuacct('cpuacct.stat'));
  const stat = parseKeyed(cpu('cpu.stat'));
  const toNs = (t: bigint | undefined) => (t === undefined ? undefined : t * NS_PER_TICK);
  return present({
    usage: present({
      total: parseSingle(cpuacct('cpuacct.usage')),
      percpu: parsePercpu(cpuacct('cpuacct.usage_percpu')),
      kernel: toNs(ticks?.get('system')),
      user: toNs(ticks?.get('user')),
    }),
    throttling: present({
      periods: stat?.get('nr_periods'),
      throttledPeriods: stat?.get('nr_throttled'),
      throttledTime: stat?.get('throttled_time'),
    }),
  });
}

export function cpuV2(read: StatFileReader): CpuStats | undefined {
  const stat = parseKeyed(read('cpu.stat'));
  if (!stat) return undefined;
  const usToNs = (us: bigint | undefined) => (us === undefined ? undefined : us * 1000n);
  return present({
    usage: present({ total: usToNs(stat.get('usage_usec')), kernel: usToNs(stat.get('system_usec')), user: usToNs(stat.get('user_usec')) }),
    throttling: present({
      periods: stat.get('nr_periods'),
      throttledPeriods: stat.get('nr_throttled'),
      throttledTime: usToNs(stat.get('throttled_usec')),
    }),
  });
}

export function memoryV1(read: StatFileReader): MemoryStats | undefined {
  const raw = parseKeyed(read('memory.stat'));
  const entry = (prefix: string) => present<MemoryEntry>({
    limit: parseSingle(read(`${prefix}.limit_in_bytes`)),
    usage: parseSingle(read(`${prefix}.usage_in_bytes`)),
    max: parseSingle(read(`${prefix}.max_usage_in_bytes`)),
    failcnt: parseSingle(read(`${prefix}.failcnt`)),
  });
  // memsw is memory+swap together (only with swap accounting enabled).
  return present({ cache: raw?.get('cache'), usage: entry('memory'), swap: entry('memory.memsw'), raw: fromRecord(raw) });
}

export function memoryV2(read: StatFileReader): MemoryStats | undefined {
  const raw = parseKeyed(read('memory.stat'));
  const events = parseKeyed(read('memory.events'));
  const usage = present<MemoryEntry>({
    limit: parseSingle(read('memory.max')),
    usage: parseSingle(read('memory.current')),
    max: parseSingle(read('memory.peak')), // kernel ≥ 5.19
    // v2 has no failcnt; "max" in memory.events counts the times usage hit the limit.
    failcnt: events?.get('max'),
  });
  let swap = present<MemoryEntry>({ limit: parseSingle(read('memory.swap.max')), usage: parseSingle(read('memory.swap.current')) });
  // v2's swap files count swap alone; v1's memsw counts memory+swap. runc (fs2/memory.go)
  // adds memory to swap so both versions report the same thing, and so do we.
  if (swap && usage) {
    swap = {
      ...swap,
      usage: swap.usage !== undefined && usage.usage !== undefined ? swap.usage + usage.usage : swap.usage,
      limit: swap.limit !== undefined && swap.limit !== MAX_U64 && usage.limit !== undefined && usage.limit !== MAX_U64
        ? swap.limit + usage.limit
        : swap.limit,
    };
  }
  // v2 calls the page cache "file".
  return present({ cache: raw?.get('file'), usage, swap, raw: fromRecord(raw) });
}

export function pidsStats(read: StatFileReader): PidsStats | undefined {
  // "max" means no limit; runc reports that as 0.
  return present({ current: parseSingle(read('pids.current')), limit: parseSingle(read('pids.max'), 0n) });
}

export function blkioV1(read: StatFileReader): BlkioStats | undefined {
  return present({
    ioServiceBytesRecursive: parseBlkioV1(read('blkio.throttle.io_service_bytes_recursive')),
    ioServicedRecursive: parseBlkioV1(read('blkio.throttle.io_serviced_recursive')),
  });
}

export function blkioV2(read: StatFileReader): BlkioStats | undefined {
  const io = parseIoStat(read('io.stat'));
  return io && present(io);
}

/** A reader for one directory: missing files (and a removed cgroup) read as undefined. */
export function dirReader(dir: string | undefined): StatFileReader {
  return (file) => {
    if (dir === undefined) return undefined;
    try {
      return kernelFiles().read(join(dir, file));
    } catch (error) {
      const code = errorCode(error);
      // ENOENT: no such file or cgroup; ENODEV/EOPNOTSUPP: a controller file that exists but can't be read here.
      if (code === 'ENOENT' || code === 'ENODEV' || code === 'EOPNOTSUPP' || code === 'EINVAL') return undefined;
      throw error;
    }
  };
}

/**
 * The directory of a v1 controller in the container's cgroup paths (keyed by hierarchy,
 * e.g. "cpu,cpuacct"), or undefined when there is no v1 hierarchy with it.
 */
export function v1Dir(paths: Record<string, string>, controller: string): string | undefined {
  const key = Object.keys(paths).find((k) => k !== 'unified' && k.split(',').includes(controller));
  return key === undefined ? undefined : paths[key];
}

/**
 * Read every controller's stats. Each controller comes from its v1 hierarchy when the
 * host has one (legacy and hybrid hosts), else from the v2 directory (a unified host).
 */
export function readStats(paths: Record<string, string>): Stats {
  const unified = dirReader(paths['unified']);
  const v1 = (controller: string) => {
    const dir = v1Dir(paths, controller);
    return dir === undefined ? undefined : dirReader(dir);
  };
  const cpuacct = v1('cpuacct');
  const cpu = v1('cpu');
  const memory = v1('memory');
  const pids = v1('pids');
  const blkio = v1('blkio');
  return present<Stats>({
    cpu: cpuacct || cpu ? cpuV1(cpuacct ?? dirReader(undefined), cpu ?? dirReader(undefined)) : cpuV2(unified),
    memory: memory ? memoryV1(memory) : memoryV2(unified),
    pids: pidsStats(pids ?? unified),
    blkio: blkio ? blkioV1(blkio) : blkioV2(unified),
  }) ?? {};
}
