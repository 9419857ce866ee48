/**
 * How a container sees its cgroups at /sys/fs/cgroup (the "cgroup" mount of config.json):
 * one entry per hierarchy, with the container's own directory on the host for when there
 * is no cgroup namespace to mount in. The plan compiler turns these into mount steps.
 */
import { join } from 'node:path';
import type { CgroupView } from '../plan/mounts.js';
import { containerCgroupPath, type CgroupName } from './cgroup.js';
import { detectMode, listHierarchies } from './hierarchy.js';

/**
 * `dirs` are the container's cgroup directories by hierarchy key (state.cgroupPaths); for a
 * plan printed before any cgroup exists, they are computed from `cgroupsPath` and the id.
 */
export function cgroupViews(dirs: Record<string, string> | CgroupName): CgroupView[] {
  const unifiedHost = detectMode() === 'unified';
  return listHierarchies().map((h) => {
    const hostDir = 'id' in dirs
      ? join(h.mountPoint, containerCgroupPath(h, dirs as CgroupName))
      : (dirs as Record<string, string>)[h.key] ?? join(h.mountPoint, h.ownPath);
    if (h.version === 2) return { name: unifiedHost ? '' : 'unified', fstype: 'cgroup2', data: '', hostDir };
    const named = h.key.startsWith('name=');
    return { name: named ? h.key.slice('name='.length) : h.key, fstype: 'cgroup', data: named ? `none,${h.key}` : h.key, hostDir };
  });
}
