/**
 * Which cgroup hierarchies this host has, and where the caller sits in each.
 *
 *   unified  /sys/fs/cgroup is cgroup2: one tree, every controller in it (cgroups(7), v2)
 *   hybrid   v1 controllers under /sys/fs/cgroup/<name>, plus a cgroup2 at
 *            /sys/fs/cgroup/unified (systemd's "hybrid" layout; this is what CI has)
 *   legacy   v1 only
 *
 * A container's cgroups go below the caller's own (read from /proc/self/cgroup), so the
 * container stays inside the caller's accounting and we never write elsewhere.
 */
import { kernelFiles } from '../sys/kernel-files.js';

export type CgroupMode = 'unified' | 'hybrid' | 'legacy';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export interface Hierarchy {
  /** "unified" for cgroup2; for v1 the controllers as /proc/self/cgroup names them ("cpu", "name=systemd") */
  key: string;
  /** where it is mounted */
  mountPoint: string;
  /** the caller's cgroup in it, e.g. "/" or "/user.slice" */
  ownPath: string;
  version: 1 | 2;
}

function isCgroup2(path: string): boolean {
  return kernelFiles().fsType(path) === CGROUP2_SUPER_MAGIC;
}

/**
 * A `create` asks for the mode and the hierarchies a dozen times (paths, limits, the plan's
 * cgroup mounts, the init's joins): each answer is kept for a second, which costs the
 * CLI ~3 ms less (issue 14) and still lets a long-running service see a change of mounts.
 * A different KernelFiles (a unit test's double) is a different host.
 */
const REMEMBERED_MS = 1000;
let remembered: { files: unknown; at: number; mode?: CgroupMode; hierarchies?: Hierarchy[] } | undefined;

function memo(): NonNullable<typeof remembered> {
  // monotonic (a clock stepped back must not stretch the second); not performance.now(),
  // whose first use loads 12 of Node's perf_hooks modules (~0.7 ms)
  const now = process.uptime() * 1000;
  if (!remembered || remembered.files !== kernelFiles() || now - remembered.at > REMEMBERED_MS) {
    remembered = { files: kernelFiles(), at: now };
  }
  return remembered;
}

export function detectMode(): CgroupMode {
  const m = memo();
  if (m.mode) return m.mode;
  if (isCgroup2('/sys/fs/cgroup')) return (m.mode = 'unified');
  return (m.mode = isCgroup2('/sys/fs/cgroup/unified') ? 'hybrid' : 'legacy');
}

/** Every mounted hierarchy we place containers in, from /proc/self/{mountinfo,cgroup}. */
export function listHierarchies(): Hierarchy[] {
  const m = memo();
  m.hierarchies ??= readHierarchies();
  return m.hierarchies.map((h) => ({ ...h }));
}

function readHierarchies(): Hierarchy[] {
  // /proc/self/cgroup: "hierarchy-id:controller-list:path"; v2 is "0::path".
  const own = new Map<string, string>();
  for (const line of kernelFiles().read('/proc/self/cgroup').trim().split('\n')) {
    const [, controllers, ...rest] = line.split(':');
    own.set(controllers === '' ? 'unified' : controllers!, rest.join(':'));
  }
  // A later mount on the same mount point hides an earlier one, so the last entry wins;
  // then we confirm with statfs(2) that a cgroup2 mount point still is one.
  const byMountPoint = new Map<string, Hierarchy | undefined>();
  // mountinfo: "... mountpoint options - fstype source superoptions" (proc(5)).
  for (const line of kernelFiles().read('/proc/self/mountinfo').trim().split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4]!;
    const [fstype, , superOptions = ''] = right.split(' ');
    byMountPoint.delete(mountPoint);
    if (fstype === 'cgroup2') {
      byMountPoint.set(mountPoint, { key: 'unified', mountPoint, ownPath: own.get('unified') ?? '/', version: 2 });
    } else if (fstype === 'cgroup') {
      const options = superOptions.split(',');
      const key = [...own.keys()].find((k) => k !== 'unified' && k.split(',').every((c) => options.includes(c)));
      if (key) byMountPoint.set(mountPoint, { key, mountPoint, ownPath: own.get(key)!, version: 1 });
    } else {
      byMountPoint.set(mountPoint, undefined);
    }
  }
  const hierarchies: Hierarchy[] = [];
  for (const h of byMountPoint.values()) {
    if (!h || hierarchies.some((seen) => seen.key === h.key)) continue;
    if (h.version === 2 && !isCgroup2(h.mountPoint)) continue;
    hierarchies.push(h);
  }
  return hierarchies;
}
