/** `kill`: send a signal to the container's init, or with --all to every process in its cgroup. */
import { RuntimeError } from '../errors.js';
import { cgroupPids } from '../cgroups/cgroup.js';
import type { StateStore } from '../state/container-state.js';
import { parseSignal, signalProcess } from '../process/signals.js';
import { liveInitPid, statusOf } from './status.js';

/**
 * `signal` undefined: the image's StopSignal if the container came from an image that
 * names one (image-spec config.md; recorded as an annotation by src/image/image-spec.ts),
 * else SIGTERM, as Docker's `stop` does.
 */
export function killContainer(store: StateStore, id: string, signal: number | undefined, all: boolean): void {
  const state = store.read(id);
  signal ??= parseSignal(state.annotations['org.opencontainers.image.stopSignal'] ?? 'SIGTERM');
  if (all) {
    // The cgroup holds this container's processes, whatever its init's state. But at pid 0
    // (being created, or its create killed) none of its processes ever joined it: create
    // records the pid before the init joins. Whatever is there then belongs to another
    // container given the same linux.cgroupsPath, and is not ours to signal.
    if (state.pid === 0) return;
    for (const pid of cgroupPids(state.cgroupPaths)) signalProcess(pid, signal);
    return;
  }
  const status = statusOf(store, state);
  if (status === 'creating') throw new RuntimeError(`container ${id} is being created: it has no process to signal yet`);
  const pid = liveInitPid(state);
  if (pid === undefined) throw new RuntimeError('container not running');
  // A process that exits between the check and the signal is not an error.
  signalProcess(pid, signal);
}
