/**
 * A container's cgroup: created before the init runs anything of the user's, joined by the
 * init before it clones the container process (initCgroups; or by its pid written to
 * cgroup.procs) and by every `exec`, read by `ps` and `kill --all`, removed by `delete`.
 *
 * On v1 the container gets one directory per hierarchy; on v2 one directory in the single
 * tree. The directories are recorded in state.json, so later verbs don't recompute them.
 */
import { sha256Hex } from '../crypto.js';
import { writeFile } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { kernelFiles } from '../sys/kernel-files.js';
import { listHierarchies, type Hierarchy } from './hierarchy.js';

/** What names a container's cgroup: its cgroupsPath, or else its id and the --root it lives in. */
export interface CgroupName {
  cgroupsPath: string | undefined;
  id: string;
  /** the state root (--root): two roots may hold the same id, and must not share a cgroup */
  root: string;
}

/**
 * Where the container's cgroup goes inside one hierarchy (runtime-spec
 * config-linux.md#cgroups-path): "absolute ... relative to the cgroups mount point";
 * "relative ... to a runtime-determined location in the cgroups hierarchy", which for
 * ts-runc is the caller's own cgroup. A relative path is cleaned as if rooted first, as
 * runc's utils.CleanPath does, so `../x` cannot climb out of the caller's cgroup. Without
 * a cgroupsPath the leaf is `ts-runc-<hash of --root>-<id>`: ids are unique per root only.
 */
export function containerCgroupPath(hierarchy: Hierarchy, name: CgroupName): string {
  const { cgroupsPath, id, root } = name;
  if (cgroupsPath === undefined || cgroupsPath === '') return posix.join(hierarchy.ownPath, defaultLeaf(root, id));
  const cleaned = posix.normalize(`/${cgroupsPath}`);
  if (cleaned === '/') {
    throw new RuntimeError(`linux.cgroupsPath: ${JSON.stringify(cgroupsPath)} names no cgroup of its own`);
  }
  return cgroupsPath.startsWith('/') ? cleaned : posix.join(hierarchy.ownPath, cleaned);
}

/** `ts-runc-<8 hex of sha256(--root)>-<id>` */
export function defaultLeaf(root: string, id: string): string {
  // sha256 in JavaScript: node:crypto would cost create ~7 ms of CPU to load (crypto.ts);
  // asked once per hierarchy, so remembered per root (~0.3 ms each)
  const path = resolve(root);
  let tag = rootTags.get(path);
  if (tag === undefined) rootTags.set(path, (tag = sha256Hex(path).slice(0, 8)));
  return `ts-runc-${tag}-${id}`;
}
const rootTags = new Map<string, string>();

/**
 * The container's directory in each hierarchy, by hierarchy key, without making any:
 * create records them in its state before `createCgroups` makes them, so a create killed
 * halfway through leaves no directory that `delete` cannot find.
 */
export function cgroupPathsFor(name: CgroupName): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const hierarchy of listHierarchies()) paths[hierarchy.key] = join(hierarchy.mountPoint, containerCgroupPath(hierarchy, name));
  return paths;
}

/**
 * Create the directories (those `cgroupPathsFor` names); returns them by hierarchy key.
 * Nothing is left on failure. The default leaf (no cgroupsPath) must not exist yet: it is
 * this container's alone, as its state directory is, so finding it means another
 * container (or a crashed one) has it.
 */
export function createCgroups(name: CgroupName): Record<string, string> {
  const made: string[] = [];
  const paths: Record<string, string> = {};
  const ownLeaf = name.cgroupsPath === undefined || name.cgroupsPath === '';
  try {
    for (const hierarchy of listHierarchies()) {
      const relative = containerCgroupPath(hierarchy, name);
      let dir = hierarchy.mountPoint;
      const parts = relative.split('/').filter(Boolean);
      for (const [index, part] of parts.entries()) {
        dir = join(dir, part);
        if (kernelFiles().exists(dir)) {
          if (ownLeaf && index === parts.length - 1) {
            throw new RuntimeError(`cgroup ${dir} already exists (a container of this id and --root, or one that was not deleted: delete --force ${name.id})`, { code: 'EEXIST' });
          }
          continue;
        }
        kernelFiles().mkdir(dir);
        made.push(dir);
      }
      if (hierarchy.key.split(',').includes('cpuset')) fillCpuset(dir, hierarchy.mountPoint);
      paths[hierarchy.key] = dir;
    }
  } catch (error) {
    for (const dir of made.reverse()) kernelFiles().rmdir(dir);
    if (error instanceof RuntimeError) throw error;
    throw new RuntimeError(`create cgroup: ${errorMessage(error)}`, { cause: error });
  }
  return paths;
}

/**
 * A v1 cpuset starts with empty cpuset.cpus and cpuset.mems, and a task cannot join it
 * (ENOSPC) until both are set; a parent that was made empty (by another tool, or an
 * earlier create) makes its new child empty too. So, as runc's fs/cpuset.go ensureParent
 * and copyIfNeeded do, every level from the hierarchy's root down to `dir` that has an
 * empty value takes its parent's.
 */
function fillCpuset(dir: string, mountPoint: string): void {
  if (dir === mountPoint || !dir.startsWith(`${mountPoint}/`)) return;
  const parent = dirname(dir);
  fillCpuset(parent, mountPoint);
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (kernelFiles().read(join(dir, file)).trim() === '') {
      kernelFiles().write(join(dir, file), kernelFiles().read(join(parent, file)).trim());
    }
  }
}

/**
 * What the init needs to start the container process in its cgroups without the lock a
 * cgroup.procs write takes (native/init/cgroups.c says why, 5-27 ms): every v1 hierarchy's
 * `tasks` file, for stage 0 to move itself into before clone(2), with its own (the caller's,
 * which it inherited) to go back to after, and the cgroup2 directory to clone3 into.
 * `rest` is what the caller still joins by pid: a hierarchy not mounted as listHierarchies
 * sees it now, and the cgroup2 directory when the init could not clone into it
 * (InitProcess.startedInCgroup2).
 */
export interface InitCgroups {
  join: string[];
  leave: string[];
  into: string;
  rest: Record<string, string>;
}

export function initCgroups(paths: Record<string, string>, options: { byPid?: readonly string[] } = {}): InitCgroups {
  const hierarchies = new Map(listHierarchies().map((h) => [h.key, h]));
  const result: InitCgroups = { join: [], leave: [], into: '', rest: {} };
  for (const [key, dir] of Object.entries(paths)) {
    const hierarchy = hierarchies.get(key);
    const back = hierarchy ? join(hierarchy.mountPoint, hierarchy.ownPath, 'tasks') : '';
    // Only where stage 0 can go back to its own cgroup: a caller's cgroup outside the
    // mount (a cgroup namespace's view) leaves that hierarchy to the pid write. `byPid`:
    // those the caller keeps (a paused container's freezer, which would stop stage 0 too).
    if (hierarchy?.version === 1 && !options.byPid?.includes(key) && kernelFiles().exists(back)) {
      result.join.push(join(dir, 'tasks'));
      result.leave.push(back);
    } else {
      if (hierarchy?.version === 2) result.into = dir;
      result.rest[key] = dir;
    }
  }
  return result;
}

/**
 * The v1 hierarchies stage 0 may not join to exec into a running container: the pids cgroup
 * when it has no room for two more processes (stage 0 and the exec'd one, for the moment of
 * clone), where before only the exec'd one counted. Those are joined by pid, as before.
 */
export function crowdedForStage0(paths: Record<string, string>): string[] {
  const dir = paths['pids'];
  if (!dir) return [];
  try {
    const max = kernelFiles().read(join(dir, 'pids.max')).trim();
    if (max === 'max') return [];
    const current = Number(kernelFiles().read(join(dir, 'pids.current')).trim());
    return current + 2 > Number(max) ? ['pids'] : [];
  } catch {
    return ['pids'];
  }
}

/** What is left for the caller to join once the init cloned the container process. */
export function cgroupsLeftToJoin(planned: InitCgroups, startedInCgroup2: boolean): Record<string, string> {
  if (!startedInCgroup2) return planned.rest;
  return Object.fromEntries(Object.entries(planned.rest).filter(([, dir]) => dir !== planned.into));
}

/** Move a process into every directory (writing its pid to cgroup.procs). */
export function joinCgroups(paths: Record<string, string>, pid: number): void {
  for (const dir of Object.values(paths)) {
    try {
      kernelFiles().write(join(dir, 'cgroup.procs'), String(pid));
    } catch (error) {
      throw new RuntimeError(`join cgroup ${dir}: ${errorMessage(error)}`, { cause: error, code: errorCode(error) });
    }
  }
}

/**
 * joinCgroups off Node's main thread (libuv's thread pool), for create to do its other work
 * meanwhile. The first cgroup.procs write after a quiet spell waits for an RCU grace period,
 * 8-24 ms measured here: on cgroup v1 it takes cgroup_threadgroup_rwsem for writing, whose
 * per-CPU fast path is switched off only after a grace period (kernel/rcu/sync.c); the
 * writes that follow are cheap. The directories are joined in order, as joinCgroups does.
 */
export async function joinCgroupsInBackground(paths: Record<string, string>, pid: number): Promise<void> {
  for (const dir of Object.values(paths)) {
    try {
      await writeFile(join(dir, 'cgroup.procs'), String(pid));
    } catch (error) {
      throw new RuntimeError(`join cgroup ${dir}: ${errorMessage(error)}`, { cause: error, code: errorCode(error) });
    }
  }
}

/**
 * `exec --cgroup`: the directories an exec'd process joins when it asks for sub-cgroups of
 * the container's (runc 1.1's flag). `sub` maps a controller ("memory", "name=systemd") to
 * a path below the container's cgroup in that controller's hierarchy; the key "" (a path
 * with no controller) applies to every hierarchy, the only form on cgroup v2. As runc's
 * newSetnsProcess: the path may not climb out, an unknown controller is an error, and the
 * directory must already exist (it is joined, not made).
 */
export function subCgroupPaths(paths: Record<string, string>, sub: Record<string, string>): Record<string, string> {
  const result = { ...paths };
  const chosen = new Map<string, string>();
  for (const [controller, path] of Object.entries(sub)) {
    const keys = controller === '' ? Object.keys(paths) : Object.keys(paths).filter((key) => key.split(',').includes(controller));
    if (keys.length === 0) {
      throw new RuntimeError(`--cgroup ${controller}:${path}: the container has no ${controller} cgroup (its hierarchies: ${Object.keys(paths).join(' ')})`);
    }
    for (const key of keys) {
      const base = paths[key]!;
      const dir = posix.join(base, path);
      if (dir !== base && !dir.startsWith(`${base}/`)) throw new RuntimeError(`--cgroup ${path}: not a sub-cgroup of ${base}`);
      // co-mounted controllers (cpu,cpuacct) share one directory: two paths for it conflict
      const earlier = chosen.get(key);
      if (earlier !== undefined && earlier !== dir) throw new RuntimeError(`--cgroup: ${key} is given two paths (${earlier} and ${dir})`);
      if (!kernelFiles().exists(dir)) throw new RuntimeError(`--cgroup ${controller === '' ? '' : `${controller}:`}${path}: ${dir} does not exist (a sub-cgroup is joined, not made)`);
      chosen.set(key, dir);
      result[key] = dir;
    }
  }
  return result;
}

/** Every process in the container's cgroup and its sub-cgroups, as host pids. */
export function cgroupPids(paths: Record<string, string>): number[] {
  // Any one hierarchy holds every process; prefer v2 when it's the only one, else a v1 one
  // (on hybrid hosts the cgroup2 tree is joined too, so either works). A process the
  // container moved into a sub-cgroup (its cgroup namespace and a writable cgroupfs) is
  // listed there only: cgroup.procs is per directory, so the tree is walked, as runc's
  // GetAllPids does for `kill --all` and `delete`.
  const dir = paths['pids'] ?? paths['unified'] ?? Object.values(paths)[0];
  if (!dir) return [];
  const pids: number[] = [];
  for (const cgroup of [dir, ...subCgroupsBelow(dir)]) {
    try {
      pids.push(...kernelFiles().read(join(cgroup, 'cgroup.procs')).split('\n').filter(Boolean).map(Number));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }
  return pids;
}

/** The directories below `dir`, deepest first (every child before its parent); none if it is gone. */
function subCgroupsBelow(dir: string): string[] {
  let children: string[];
  try {
    children = kernelFiles().subdirs(dir).map((name) => join(dir, name));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return children.flatMap((child) => [...subCgroupsBelow(child), child]);
}

/**
 * Remove the directories, with every sub-cgroup below them, deepest first (rmdir(2) of a
 * cgroup with children is EBUSY; runc's RemovePath walks the same way): a container with
 * its own cgroup namespace and a writable cgroupfs may have made some. rmdir also fails with
 * EBUSY while a cgroup still has processes (even zombies being reaped), so retry briefly;
 * the caller killed them first.
 */
export async function removeCgroups(paths: Record<string, string>): Promise<void> {
  for (const top of Object.values(paths)) {
    // The usual case first, one rmdir(2) per hierarchy: no sub-cgroups, nothing left in it
    // (a readdir of each of ten hierarchies was ~0.5 ms of every delete, issue 14).
    if (removedAtOnce(top)) continue;
    for (const dir of [...subCgroupsBelow(top), top]) await removeOne(dir);
  }
}

/** rmdir(2) once: whether the directory is gone; false on EBUSY (sub-cgroups or processes). */
function removedAtOnce(dir: string): boolean {
  try {
    kernelFiles().rmdir(dir);
    return true;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY') return false;
    throw new RuntimeError(`remove cgroup ${dir}: ${errorMessage(error)}`, { cause: error, code });
  }
}

async function removeOne(dir: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      kernelFiles().rmdir(dir);
      return;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || attempt >= 100) {
        throw new RuntimeError(`remove cgroup ${dir}: ${errorMessage(error)}`, { cause: error, code });
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
