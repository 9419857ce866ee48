/**
 * Resource limits: write the files src/cgroups/convert.ts computed into the container's
 * cgroup. Used by `create` (right after the directories are made, before the init is in
 * them, so the limits hold before any user code runs) and by `update` on a live container.
 *
 *   v1 (hybrid, legacy)  each file goes to the hierarchy of its controller
 *   v2 (unified)         one directory; the controllers must first be enabled in
 *                        cgroup.subtree_control of every ancestor (cgroup-v2.rst
 *                        "Enabling and Disabling"), or the files do not exist
 *
 * Bad input is an error naming the setting, before or at the write that fails.
 */
import { dirname, join, relative } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { kernelFiles } from '../sys/kernel-files.js';
import type { SpecResources } from '../spec/schema.js';
import { parseCpuList, resourceWrites, type CgroupWrite } from './convert.js';
import { listHierarchies, type CgroupMode } from './hierarchy.js';

export function applyResources(paths: Record<string, string>, resources: SpecResources | undefined, mode: CgroupMode): void {
  if (!resources) return;
  const version = mode === 'unified' ? 2 : 1;
  const { writes, unsupported } = resourceWrites(resources, version);
  for (const setting of unsupported) log().warn(`${setting} has no cgroup v${version} equivalent; not applied`);
  if (writes.length === 0) return;
  if (version === 2) applyV2(paths, writes);
  else applyV1(paths, writes);
}

/** The directory a write goes to: v2's one directory, or the v1 hierarchy of its controller. */
export function cgroupDirOf(paths: Record<string, string>, write: CgroupWrite, mode: CgroupMode): string {
  if (mode === 'unified') {
    const dir = paths['unified'];
    if (!dir) throw new RuntimeError(`${write.setting}: the container has no cgroup v2 directory`);
    return dir;
  }
  const key = Object.keys(paths).find((k) => k !== 'unified' && k.split(',').includes(write.controller));
  if (!key) throw new RuntimeError(`${write.setting}: the ${write.controller} cgroup controller is not mounted on this host`);
  return paths[key]!;
}

function applyV1(paths: Record<string, string>, writes: CgroupWrite[]): void {
  const dirOf = (write: CgroupWrite): string => cgroupDirOf(paths, write, 'legacy');
  const ordered = orderMemoryV1(writes, dirOf);
  const deferred = new Map<string, CgroupWrite>(); // partner file → the period write waiting for it
  for (const write of ordered) {
    const dir = dirOf(write);
    if (write.controller === 'cpuset') checkCpuset(write, dirname(dir), 1);
    const partner = PERIOD_PARTNER[write.file];
    if (partner && ordered.some((w) => w.file === partner)) {
      try {
        writeOne(dir, write);
      } catch (error) {
        if (!(error instanceof RuntimeError) || error.code !== 'EINVAL') throw error;
        deferred.set(partner, write);
      }
      continue;
    }
    writeOne(dir, write);
    const waiting = deferred.get(write.file);
    if (waiting) writeOne(dir, waiting);
  }
}

/**
 * A period is written before its quota (or rt runtime), as runc fs/cpu.go does, but the
 * kernel checks every write against the other value and the parent's: lowering the period
 * under a quota can give the cgroup more CPU than its parent (a pod cgroup with a limit)
 * has, and a period below the rt runtime is refused; both are EINVAL (sched_group_set_
 * cfs_bandwidth, tg_set_rt_bandwidth). Then, as runc does for cfs, the period is written
 * again after the quota or runtime, which makes the pair valid.
 */
const PERIOD_PARTNER: Record<string, string> = {
  'cpu.cfs_period_us': 'cpu.cfs_quota_us',
  'cpu.rt_period_us': 'cpu.rt_runtime_us',
};

/**
 * memory.memsw.limit_in_bytes (memory+swap) may never be below memory.limit_in_bytes, so
 * when both change the order matters: raising them, swap goes first. runc fs/memory.go
 * setMemoryAndSwap does the same, comparing with the current limit.
 */
function orderMemoryV1(writes: CgroupWrite[], dirOf: (w: CgroupWrite) => string): CgroupWrite[] {
  const limit = writes.find((w) => w.file === 'memory.limit_in_bytes');
  const swap = writes.find((w) => w.file === 'memory.memsw.limit_in_bytes');
  if (!limit || !swap) return writes;
  const current = BigInt(kernelFiles().read(join(dirOf(limit), 'memory.limit_in_bytes')).trim());
  if (swap.value !== '-1' && current >= BigInt(swap.value)) return writes;
  const rest = writes.filter((w) => w !== limit && w !== swap);
  return [swap, limit, ...rest];
}

function applyV2(paths: Record<string, string>, writes: CgroupWrite[]): void {
  const dir = paths['unified'];
  if (!dir) throw new RuntimeError(`${writes[0]!.setting}: the container has no cgroup v2 directory`);
  enableControllers(dir, writes);
  for (const write of writes) {
    if (write.controller === 'cpuset') checkCpuset(write, dirname(dir), 2);
    writeOne(dir, write);
  }
}

/**
 * "+memory +pids" in cgroup.subtree_control of each ancestor of the container's cgroup that
 * lacks them. Ancestors above the caller's own cgroup already have every controller the
 * caller's cgroup.controllers lists, so in practice writes start at the caller's cgroup.
 */
function enableControllers(dir: string, writes: CgroupWrite[]): void {
  const needed = new Map<string, string>(); // controller → the first setting that needs it
  for (const w of writes) if (w.controller && !needed.has(w.controller)) needed.set(w.controller, w.setting);
  if (needed.size === 0) return;
  const mountPoint = listHierarchies().find((h) => h.version === 2)?.mountPoint ?? '/sys/fs/cgroup';
  const parts = relative(mountPoint, dir).split('/').filter(Boolean);
  for (let depth = 0; depth < parts.length; depth++) {
    const ancestor = join(mountPoint, ...parts.slice(0, depth));
    const enabled = new Set(kernelFiles().read(join(ancestor, 'cgroup.subtree_control')).trim().split(/\s+/));
    const missing = [...needed.keys()].filter((c) => !enabled.has(c));
    if (missing.length === 0) continue;
    const available = kernelFiles().read(join(ancestor, 'cgroup.controllers')).trim();
    const absent = missing.filter((c) => !available.split(/\s+/).includes(c));
    if (absent.length > 0) {
      const c = absent[0]!;
      throw new RuntimeError(`${needed.get(c)}: the ${c} controller is not available in ${ancestor} (cgroup.controllers: "${available}")`);
    }
    const line = missing.map((c) => `+${c}`).join(' ');
    try {
      kernelFiles().write(join(ancestor, 'cgroup.subtree_control'), line);
    } catch (error) {
      const code = errorCode(error);
      const why = code === 'EBUSY'
        ? `: ${ancestor} has processes of its own, and cgroup v2 lets a non-root cgroup either hold processes or ` +
          'hand controllers to its children, not both ("no internal processes", cgroup-v2.rst); ' +
          'run ts-runc from a cgroup whose processes are in a leaf child, or set linux.cgroupsPath elsewhere'
        : '';
      throw new RuntimeError(`${needed.get(missing[0]!)}: enable "${line}" in ${ancestor}/cgroup.subtree_control: ${errorMessage(error)}${why}`, { cause: error, code });
    }
  }
}

/**
 * The CPUs (or memory nodes) asked for must be ones the parent has: the kernel would say
 * only EINVAL. v2 has cpuset.cpus.effective, v1 cpuset.effective_cpus (cpuset(7)); a v2
 * parent without cpuset files (the root before Linux 5.x) falls back to the online list.
 */
function checkCpuset(write: CgroupWrite, parent: string, version: 1 | 2): void {
  const cpus = write.file === 'cpuset.cpus';
  const candidates = version === 2
    ? [cpus ? 'cpuset.cpus.effective' : 'cpuset.mems.effective']
    : cpus ? ['cpuset.effective_cpus', 'cpuset.cpus'] : ['cpuset.effective_mems', 'cpuset.mems'];
  let source = candidates.map((f) => join(parent, f)).find((f) => kernelFiles().exists(f));
  source ??= cpus ? '/sys/devices/system/cpu/online' : '/sys/devices/system/node/online';
  if (!kernelFiles().exists(source)) return;
  const have = kernelFiles().read(source).trim();
  const allowed = parseCpuList(have, source);
  const outside = [...parseCpuList(write.value, write.setting)].filter((n) => !allowed.has(n));
  if (outside.length > 0) {
    throw new RuntimeError(`${write.setting}: ${cpus ? 'CPUs' : 'memory nodes'} ${outside.join(',')} are not available ` +
      `(${source} is "${have}")`);
  }
}

function writeOne(dir: string, write: CgroupWrite): void {
  let file = join(dir, write.file);
  let value = write.value;
  if (!kernelFiles().exists(file)) {
    if (write.optional) return;
    if (write.fallback && kernelFiles().exists(join(dir, write.fallback.file))) {
      file = join(dir, write.fallback.file);
      value = write.fallback.value;
    } else {
      throw new RuntimeError(`${write.setting}: ${file} does not exist (this kernel or cgroup has no ${write.file})`, { code: 'ENOENT' });
    }
  }
  try {
    kernelFiles().write(file, value);
  } catch (error) {
    const code = errorCode(error);
    const hint = code === 'EBUSY' && write.controller === 'memory' ? ' (is the limit below what the container already uses?)'
      : code === 'EINVAL' && write.file === 'memory.limit_in_bytes' ? ' (memory.memsw.limit_in_bytes, memory+swap, must stay >= it: raise the swap limit too)'
      : '';
    throw new RuntimeError(`${write.setting}: write ${JSON.stringify(value)} to ${file}: ${errorMessage(error)}${hint}`, { cause: error, code });
  }
  log().debug('cgroup write', { file, value });
}
