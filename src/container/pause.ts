/**
 * `pause`: freeze every process in the container's cgroup (src/cgroups/freezer.ts). The
 * processes stay in memory, stopped where they were, until `resume`; `state` says "paused".
 * runc allows it for a created or a running container.
 */
import { RuntimeError } from '../errors.js';
import { freeze } from '../cgroups/freezer.js';
import type { StateStore } from '../state/container-state.js';
import { resumeContainer } from './resume.js';
import { statusOf } from './status.js';

export async function pauseContainer(store: StateStore, id: string): Promise<void> {
  const state = store.read(id);
  const status = statusOf(store, state);
  if (status !== 'running' && status !== 'created') throw new RuntimeError(`pause ${id}: container is ${status}, not running`);
  await freeze(state.cgroupPaths);
}

/**
 * `work` with a running container frozen, then thawed (a paused or stopped one is left as
 * it is), as `docker commit` and `docker cp` do: its processes cannot change its files
 * while the host reads them. Reading a live rootfs from the host is not safe otherwise:
 * a directory swapped for a symlink to "/" between the walk's lstat and its readdir would
 * make the host read its own files into the archive (the race of CVE-2018-15664).
 */
export async function whilePaused<T>(store: StateStore, id: string, work: () => Promise<T>): Promise<T> {
  const pause = statusOf(store, store.read(id)) === 'running';
  if (pause) await pauseContainer(store, id);
  try {
    return await work();
  } finally {
    if (pause) resumeContainer(store, id);
  }
}
