/**
 * A container's cgroup: created before the init runs anything of the user's, joined by the
 * init (its pid written to cgroup.procs while it waits for its plan) and by every `exec`,
 * read by `ps` and `kill --all`, removed by `delete`.
 *
 * On v1 the container gets one directory per hierarchy; on v2 one directory in the single
 * tree. The directories are recorded in state.json, so later verbs don't recompute them.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { listHierarchies, type Hierarchy } from './hierarchy.js';

/** Where the container's cgroup goes inside one hierarchy (runtime-spec config-linux.md#cgroups-path). */
export function containerCgroupPath(hierarchy: Hierarchy, cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath === undefined || cgroupsPath === '') return posix.join(hierarchy.ownPath, `ts-runc-${id}`);
  // "absolute ... relative to the cgroups mount point"; "relative ... to a runtime-determined
  // location in the cgroups hierarchy": ours is the caller's own cgroup.
  return cgroupsPath.startsWith('/') ? posix.normalize(cgroupsPath) : posix.join(hierarchy.ownPath, cgroupsPath);
}

/** Create the directories; returns them by hierarchy key. Nothing is left on failure. */
export function createCgroups(cgroupsPath: string | undefined, id: string): Record<string, string> {
  const made: string[] = [];
  const paths: Record<string, string> = {};
  try {
    for (const hierarchy of listHierarchies()) {
      const relative = containerCgroupPath(hierarchy, cgroupsPath, id);
      let dir = hierarchy.mountPoint;
      for (const part of relative.split('/').filter(Boolean)) {
        const parent = dir;
        dir = join(dir, part);
        if (existsSync(dir)) continue;
        mkdirSync(dir);
        made.push(dir);
        // A v1 cpuset starts with empty cpus/mems and refuses tasks until they are set.
        if (hierarchy.key.split(',').includes('cpuset')) inheritCpuset(parent, dir);
      }
      paths[hierarchy.key] = dir;
    }
  } catch (error) {
    for (const dir of made.reverse()) rmdirSync(dir);
    throw new RuntimeError(`create cgroup: ${errorMessage(error)}`, { cause: error });
  }
  return paths;
}

function inheritCpuset(parent: string, dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (readFileSync(join(dir, file), 'utf8').trim() === '') {
      writeFileSync(join(dir, file), readFileSync(join(parent, file), 'utf8').trim());
    }
  }
}

/** Move a process into every directory (writing its pid to cgroup.procs). */
export function joinCgroups(paths: Record<string, string>, pid: number): void {
  for (const dir of Object.values(paths)) {
    try {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } catch (error) {
      throw new RuntimeError(`join cgroup ${dir}: ${errorMessage(error)}`, { cause: error, code: errorCode(error) });
    }
  }
}

/** Every process in the container's cgroup, as host pids. */
export function cgroupPids(paths: Record<string, string>): number[] {
  // Any one hierarchy holds every process; prefer v2 when it's the only one, else a v1 one
  // (on hybrid hosts the cgroup2 tree is joined too, so either works).
  const dir = paths['pids'] ?? paths['unified'] ?? Object.values(paths)[0];
  if (!dir) return [];
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

/**
 * Remove the directories. rmdir(2) of a cgroup fails with EBUSY while it still has
 * processes (even zombies being reaped), so retry briefly; the caller killed them first.
 */
export async function removeCgroups(paths: Record<string, string>): Promise<void> {
  for (const dir of Object.values(paths)) {
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir);
        break;
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 100) {
          throw new RuntimeError(`remove cgroup ${dir}: ${errorMessage(error)}`, { cause: error, code });
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  }
}
