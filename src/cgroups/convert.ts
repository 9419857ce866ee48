/**
 * linux.resources → the cgroup files to write, as plain data (no file system here).
 *
 * The OCI spec speaks cgroup v1 (config-linux.md#control-groups): cpu *shares*, blkio
 * *weight* 10-1000, memory *swap* as memory+swap. cgroup v2 (Documentation/admin-guide/
 * cgroup-v2.rst) has other files and ranges, so each v2 value is converted with the
 * formula runc and crun use, written next to it. `resourceWrites()` returns the ordered
 * list of writes; src/cgroups/resources.ts validates against the host and writes them.
 */
import { RuntimeError } from '../errors.js';
import type { SpecResources } from '../spec/schema.js';

/** A spec integer: a number, or a bigint when the JSON had more digits than a double holds. */
export type Int = number | bigint;

export interface CgroupWrite {
  /** JSON path of the setting, named in errors: "linux.resources.memory.limit" */
  setting: string;
  /** the controller the file belongs to (v1: its hierarchy; v2: its subtree_control bit) */
  controller: string;
  file: string;
  value: string;
  /** written instead when `file` does not exist (blkio.bfq.weight on kernels without CFQ) */
  fallback?: { file: string; value: string };
  /** skip silently when the file does not exist (memsw without swap accounting) */
  optional?: boolean;
  /** how `value` was computed from the spec, when it is not the spec's value as given
   *  ("ceil(10^((l²+125·l)/612 − 7/34)), l = log2(1024)"); `ts-runc explain` prints it */
  formula?: string;
}

export interface WritePlan {
  writes: CgroupWrite[];
  /** settings this cgroup version has no file for; the caller warns about them */
  unsupported: string[];
}

const R = 'linux.resources';

// ---------------------------------------------------------------- single conversions

/**
 * cpu.shares (2..262144, default 1024) → cpu.weight (1..10000, default 100).
 *
 * runc and crun first mapped the two ranges linearly, which sent the v1 default 1024 to
 * weight 39 instead of the v2 default 100: a container "with default shares" got 2.5
 * times less CPU than its neighbours. Both replaced it (2025) with a quadratic in log2 that
 * passes through the three points that matter, (2, 1), (1024, 100) and (262144, 10000):
 *
 *     l        = log2(shares)
 *     exponent = (l² + 125·l) / 612 - 7/34
 *     weight   = ceil(10^exponent)         shares ≤ 2 → 1, shares ≥ 262144 → 10000
 *
 * References, same formula and the same edge cases (0 = unset):
 *   runc   github.com/opencontainers/cgroups utils.go ConvertCPUSharesToCgroupV2Value (v0.0.8,
 *          vendored by runc; its test: utils_test.go TestConvertCPUSharesToCgroupV2Value)
 *   crun   src/libcrun/cgroup-internal.h convert_shares_to_weight (tests/tests_libcrun_cgroup.c)
 * The arithmetic is IEEE double in all three; Math.log2 and Math.pow agree with glibc's
 * log2/pow on every value 0..262145 (test/unit/cgroup-convert.test.ts checks points taken
 * from crun's C code).
 */
export function sharesToWeight(shares: Int): bigint {
  const s = BigInt(shares);
  if (s === 0n) return 0n;
  if (s <= 2n) return 1n;
  if (s >= 262144n) return 10000n;
  const l = Math.log2(Number(s));
  const exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return BigInt(Math.ceil(Math.pow(10, exponent)));
}

/**
 * cpu.cfs_quota_us/cpu.cfs_period_us → cpu.max "$QUOTA $PERIOD" (cgroup-v2.rst "cpu.max").
 * A quota <= 0 (the spec's -1) is "max"; the period defaults to the kernel's 100000 µs,
 * as crun does (runc fs2 cpu.go writes the same).
 */
export function cpuMax(quota: Int | undefined, period: Int | undefined): string {
  const q = quota === undefined || BigInt(quota) <= 0n ? 'max' : String(quota);
  const p = period === undefined || BigInt(period) === 0n ? '100000' : String(period);
  return `${q} ${p}`;
}

/** A v2 memory value: -1 (the spec's "unlimited") is "max" (cgroup-v2.rst "memory.max"). */
export function memoryV2(bytes: Int): string {
  return BigInt(bytes) === -1n ? 'max' : String(bytes);
}

/**
 * The spec's memory.swap is v1's memory.memsw.limit_in_bytes: memory *plus* swap. v2's
 * memory.swap.max is swap alone, so runc (libcontainer/cgroups/utils.go
 * ConvertMemorySwapToCgroupV2Value) subtracts:  swap.max = swap - limit.
 * -1 is "max"; 0 means "not set" (returns undefined). An unlimited memory limit with no
 * swap set means unlimited swap too, as on v1.
 */
export function swapV2(swap: Int | undefined, limit: Int | undefined): string | undefined {
  const s = swap === undefined ? 0n : BigInt(swap);
  const m = limit === undefined ? 0n : BigInt(limit);
  if (m === -1n && s === 0n) return 'max';
  if (s === -1n) return 'max';
  if (s === 0n) return undefined;
  if (m === 0n || m === -1n) throw new RuntimeError(`${R}.memory.swap: a swap limit needs a memory limit (linux.resources.memory.limit)`);
  if (s < m) throw new RuntimeError(`${R}.memory.swap: ${s} is below memory.limit ${m} (swap is memory+swap, so it must be >= the limit)`);
  return String(s - m);
}

/**
 * blkio.weight (10..1000) → io.weight (1..10000): runc libcontainer/cgroups/utils.go
 * ConvertBlkIOToIOWeightValue:  weight = 1 + (blkio - 10) * 9999 / 990. 0 means "not set".
 */
export function blkioToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.floor(((weight - 10) * 9999) / 990);
}

export interface IoThrottle {
  major: Int;
  minor: Int;
  rbps?: Int;
  wbps?: Int;
  riops?: Int;
  wiops?: Int;
}

/**
 * One io.max line per device: "MAJ:MIN rbps=N wbps=N riops=N wiops=N" (cgroup-v2.rst
 * "io.max"), only the keys that are set. A rate of 0 means "no limit" in v1's blkio.throttle
 * files, so it is "max" here.
 */
export function ioMaxLine(t: IoThrottle): string {
  const keys = ['rbps', 'wbps', 'riops', 'wiops'] as const;
  const parts = keys.filter((k) => t[k] !== undefined).map((k) => `${k}=${BigInt(t[k]!) === 0n ? 'max' : String(t[k])}`);
  return [`${t.major}:${t.minor}`, ...parts].join(' ');
}

/** pids.max: the spec's -1 (or any value <= 0) is "max" (config-linux.md#pids). */
export function pidsMax(limit: Int): string {
  return BigInt(limit) <= 0n ? 'max' : String(limit);
}

/** hugetlb.<size>.max (v2) or hugetlb.<size>.limit_in_bytes (v1); pageSize is "2MB", "1GB". */
export function hugetlbFile(pageSize: string, version: 1 | 2): string {
  if (!/^\d+[KMG]B$/.test(pageSize)) {
    throw new RuntimeError(`${R}.hugepageLimits: pageSize ${JSON.stringify(pageSize)} is not like "2MB" or "1GB"`);
  }
  return version === 2 ? `hugetlb.${pageSize}.max` : `hugetlb.${pageSize}.limit_in_bytes`;
}

/** "0-3,6" → {0,1,2,3,6} (cpuset(7) "List format"). */
export function parseCpuList(list: string, setting = 'cpuset'): Set<number> {
  const set = new Set<number>();
  for (const part of list.trim().split(',').filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new RuntimeError(`${setting}: ${JSON.stringify(list)} is not a list like "0-3,6"`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new RuntimeError(`${setting}: range ${part} in ${JSON.stringify(list)} runs backwards`);
    for (let i = from; i <= to; i++) set.add(i);
  }
  return set;
}

// ---------------------------------------------------------------- validation

/** Memory values are bytes or -1 for unlimited (config-linux.md#memory). */
function checkMemory(setting: string, value: Int | undefined): void {
  if (value !== undefined && BigInt(value) < -1n) {
    throw new RuntimeError(`${setting}: ${value} is not a valid value (bytes, or -1 for unlimited)`);
  }
}

function checkResources(r: SpecResources): void {
  checkMemory(`${R}.memory.limit`, r.memory?.limit);
  checkMemory(`${R}.memory.reservation`, r.memory?.reservation);
  checkMemory(`${R}.memory.swap`, r.memory?.swap);
  checkMemory(`${R}.memory.kernelTCP`, r.memory?.kernelTCP);
  if (r.memory?.swappiness !== undefined && BigInt(r.memory.swappiness) > 100n) {
    throw new RuntimeError(`${R}.memory.swappiness: ${r.memory.swappiness} is above 100`);
  }
  if (r.cpu?.quota !== undefined && BigInt(r.cpu.quota) < -1n) {
    throw new RuntimeError(`${R}.cpu.quota: ${r.cpu.quota} is not a valid quota (microseconds, or -1 for unlimited)`);
  }
  if (r.cpu?.shares !== undefined && r.cpu.shares !== 0 && (BigInt(r.cpu.shares) < 2n || BigInt(r.cpu.shares) > 262144n)) {
    throw new RuntimeError(`${R}.cpu.shares: ${r.cpu.shares} is outside 2..262144`);
  }
  if (r.cpu?.cpus !== undefined) parseCpuList(r.cpu.cpus, `${R}.cpu.cpus`);
  if (r.cpu?.mems !== undefined) parseCpuList(r.cpu.mems, `${R}.cpu.mems`);
  const weight = r.blockIO?.weight;
  if (weight !== undefined && weight !== 0 && (weight < 10 || weight > 1000)) {
    throw new RuntimeError(`${R}.blockIO.weight: ${weight} is outside 10..1000`);
  }
}

// ---------------------------------------------------------------- whole plans

/** The list both plans fill: `w()` adds one file write for a `linux.resources` setting. */
function collector() {
  const writes: CgroupWrite[] = [];
  const unsupported: string[] = [];
  const w = (setting: string, controller: string, file: string, value: Int | string, extra: Partial<CgroupWrite> = {}) =>
    writes.push({ setting: `${R}.${setting}`, controller, file, value: String(value), ...extra });
  return { writes, unsupported, w };
}

/** cgroup v1 file names, one hierarchy per controller (Documentation/admin-guide/cgroup-v1/). */
export function v1Writes(r: SpecResources): WritePlan {
  checkResources(r);
  const { writes, unsupported, w } = collector();

  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) w('memory.limit', 'memory', 'memory.limit_in_bytes', m.limit);
    if (m.swap !== undefined) w('memory.swap', 'memory', 'memory.memsw.limit_in_bytes', m.swap);
    // runc fs/memory.go: an unlimited memory limit with no swap set lifts the swap limit too
    // (when the kernel accounts swap), or a lower memsw limit would still cap it.
    else if (m.limit !== undefined && BigInt(m.limit) === -1n) {
      w('memory.limit', 'memory', 'memory.memsw.limit_in_bytes', -1, { optional: true });
    }
    if (m.reservation !== undefined) w('memory.reservation', 'memory', 'memory.soft_limit_in_bytes', m.reservation);
    if (m.kernelTCP !== undefined) w('memory.kernelTCP', 'memory', 'memory.kmem.tcp.limit_in_bytes', m.kernelTCP);
    if (m.swappiness !== undefined) w('memory.swappiness', 'memory', 'memory.swappiness', m.swappiness);
    if (m.disableOOMKiller) w('memory.disableOOMKiller', 'memory', 'memory.oom_control', '1');
    // kmem limits are deprecated (runc ignores them; Linux 6.x refuses the write).
    if (m.kernel !== undefined) unsupported.push(`${R}.memory.kernel`);
  }
  const c = r.cpu;
  if (c) {
    if (c.shares !== undefined && BigInt(c.shares) !== 0n) w('cpu.shares', 'cpu', 'cpu.shares', c.shares);
    // The period first, then the quota, as runc fs/cpu.go does.
    if (c.period !== undefined && BigInt(c.period) !== 0n) w('cpu.period', 'cpu', 'cpu.cfs_period_us', c.period);
    if (c.quota !== undefined && BigInt(c.quota) !== 0n) w('cpu.quota', 'cpu', 'cpu.cfs_quota_us', BigInt(c.quota) < 0n ? -1 : c.quota);
    if (c.burst !== undefined) w('cpu.burst', 'cpu', 'cpu.cfs_burst_us', c.burst);
    if (c.realtimePeriod !== undefined) w('cpu.realtimePeriod', 'cpu', 'cpu.rt_period_us', c.realtimePeriod);
    if (c.realtimeRuntime !== undefined) w('cpu.realtimeRuntime', 'cpu', 'cpu.rt_runtime_us', c.realtimeRuntime);
    if (c.idle !== undefined) w('cpu.idle', 'cpu', 'cpu.idle', c.idle);
    if (c.cpus) w('cpu.cpus', 'cpuset', 'cpuset.cpus', c.cpus);
    if (c.mems) w('cpu.mems', 'cpuset', 'cpuset.mems', c.mems);
  }
  if (r.pids?.limit !== undefined) w('pids.limit', 'pids', 'pids.max', pidsMax(r.pids.limit), BigInt(r.pids.limit) <= 0n ? { formula: `${r.pids.limit} ≤ 0 → max` } : {});
  const b = r.blockIO;
  if (b) {
    // blkio.weight is CFQ's; with BFQ the kernel has blkio.bfq.weight instead (runc fs/blkio.go).
    if (b.weight !== undefined && b.weight !== 0) {
      w('blockIO.weight', 'blkio', 'blkio.weight', b.weight, { fallback: { file: 'blkio.bfq.weight', value: String(b.weight) } });
    }
    if (b.leafWeight !== undefined && b.leafWeight !== 0) w('blockIO.leafWeight', 'blkio', 'blkio.leaf_weight', b.leafWeight);
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight !== undefined) w(`blockIO.weightDevice[${i}]`, 'blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`);
      if (d.leafWeight !== undefined) w(`blockIO.weightDevice[${i}]`, 'blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
    });
    const throttles = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ] as const;
    for (const [key, file] of throttles) {
      (b[key] ?? []).forEach((d, i) => w(`blockIO.${key}[${i}]`, 'blkio', file, `${d.major}:${d.minor} ${d.rate}`));
    }
  }
  (r.hugepageLimits ?? []).forEach((h, i) => w(`hugepageLimits[${i}]`, 'hugetlb', hugetlbFile(h.pageSize, 1), h.limit));
  if (r.unified && Object.keys(r.unified).length > 0) {
    // runc: "invalid configuration: cannot use unified on cgroup v1".
    throw new RuntimeError(`${R}.unified: sets cgroup v2 files, but this host's controllers are on cgroup v1`);
  }
  return { writes, unsupported };
}

/** cgroup v2 file names in the container's single directory (cgroup-v2.rst). */
export function v2Writes(r: SpecResources): WritePlan {
  checkResources(r);
  const { writes, unsupported, w } = collector();

  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) w('memory.limit', 'memory', 'memory.max', memoryV2(m.limit), unlimited(m.limit));
    const swap = swapV2(m.swap, m.limit);
    if (swap !== undefined) {
      w('memory.swap', 'memory', 'memory.swap.max', swap, {
        optional: m.swap === undefined,
        formula: swap === 'max' ? 'unlimited (-1, or no swap with no memory limit)' : `swap − limit = ${m.swap} − ${m.limit} (v1's swap is memory+swap, v2's is swap alone)`,
      });
    }
    if (m.reservation !== undefined) w('memory.reservation', 'memory', 'memory.low', memoryV2(m.reservation), unlimited(m.reservation));
    // v2 has no per-cgroup swappiness, OOM-killer switch, or kmem limits.
    for (const key of ['kernel', 'kernelTCP', 'swappiness'] as const) {
      if (m[key] !== undefined) unsupported.push(`${R}.memory.${key}`);
    }
    if (m.disableOOMKiller) unsupported.push(`${R}.memory.disableOOMKiller`);
  }
  const c = r.cpu;
  if (c) {
    if (c.shares !== undefined && BigInt(c.shares) !== 0n) {
      w('cpu.shares', 'cpu', 'cpu.weight', sharesToWeight(c.shares), { formula: `ceil(10^((l² + 125·l)/612 − 7/34)), l = log2(${c.shares}) (shares 2..262144 → weight 1..10000)` });
    }
    if (c.quota !== undefined || c.period !== undefined) {
      w(c.quota !== undefined ? 'cpu.quota' : 'cpu.period', 'cpu', 'cpu.max', cpuMax(c.quota, c.period),
        { formula: `"$QUOTA $PERIOD" from quota ${c.quota ?? 'unset'} and period ${c.period ?? 'unset'} (quota ≤ 0 → max, period unset → 100000 µs)` });
    }
    if (c.burst !== undefined) w('cpu.burst', 'cpu', 'cpu.max.burst', c.burst);
    if (c.idle !== undefined) w('cpu.idle', 'cpu', 'cpu.idle', c.idle);
    // v2 has no real-time group scheduling (runc fs2 refuses it too).
    for (const key of ['realtimePeriod', 'realtimeRuntime'] as const) {
      if (c[key] !== undefined) unsupported.push(`${R}.cpu.${key}`);
    }
    if (c.cpus) w('cpu.cpus', 'cpuset', 'cpuset.cpus', c.cpus);
    if (c.mems) w('cpu.mems', 'cpuset', 'cpuset.mems', c.mems);
  }
  if (r.pids?.limit !== undefined) w('pids.limit', 'pids', 'pids.max', pidsMax(r.pids.limit), BigInt(r.pids.limit) <= 0n ? { formula: `${r.pids.limit} ≤ 0 → max` } : {});
  const b = r.blockIO;
  if (b) {
    // io.weight takes 1..10000; with BFQ the kernel has io.bfq.weight, which takes the v1 range.
    if (b.weight !== undefined && b.weight !== 0) {
      w('blockIO.weight', 'io', 'io.weight', blkioToIoWeight(b.weight), {
        fallback: { file: 'io.bfq.weight', value: String(b.weight) },
        formula: `1 + (${b.weight} − 10)·9999/990 (blkio 10..1000 → io 1..10000)`,
      });
    }
    if (b.leafWeight !== undefined) unsupported.push(`${R}.blockIO.leafWeight`);
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight !== undefined) {
        w(`blockIO.weightDevice[${i}]`, 'io', 'io.weight', `${d.major}:${d.minor} ${blkioToIoWeight(d.weight)}`, {
          fallback: { file: 'io.bfq.weight', value: `${d.major}:${d.minor} ${d.weight}` },
        });
      }
      if (d.leafWeight !== undefined) unsupported.push(`${R}.blockIO.weightDevice[${i}].leafWeight`);
    });
    // All four v1 throttle lists become one io.max line per device.
    const byDevice = new Map<string, IoThrottle>();
    const lists = [
      ['throttleReadBpsDevice', 'rbps'], ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'], ['throttleWriteIOPSDevice', 'wiops'],
    ] as const;
    for (const [key, field] of lists) {
      for (const d of b[key] ?? []) {
        const dev = `${d.major}:${d.minor}`;
        const t = byDevice.get(dev) ?? { major: d.major, minor: d.minor };
        t[field] = d.rate;
        byDevice.set(dev, t);
      }
    }
    for (const t of byDevice.values()) w('blockIO', 'io', 'io.max', ioMaxLine(t));
  }
  (r.hugepageLimits ?? []).forEach((h, i) => w(`hugepageLimits[${i}]`, 'hugetlb', hugetlbFile(h.pageSize, 2), h.limit));
  // config-linux.md#unified: written as-is, last, so they can override the above.
  for (const [file, value] of Object.entries(r.unified ?? {})) {
    if (!/^[a-z_]+\.[A-Za-z0-9_.]+$/.test(file)) {
      throw new RuntimeError(`${R}.unified: ${JSON.stringify(file)} is not a cgroup file name like "memory.high"`);
    }
    const controller = file.split('.')[0]!;
    w(`unified["${file}"]`, controller === 'cgroup' ? '' : controller, file, value);
  }
  return { writes, unsupported };
}

/** -1, the spec's "unlimited", is written as v2's "max". */
function unlimited(value: Int): Partial<CgroupWrite> {
  return BigInt(value) === -1n ? { formula: '-1 → max' } : {};
}

/** The writes for a cgroup version. */
export function resourceWrites(r: SpecResources, version: 1 | 2): WritePlan {
  return version === 2 ? v2Writes(r) : v1Writes(r);
}
