/** `kill`: send a signal to the container's init, or with --all to every process in its cgroup. */
import { RuntimeError, errorCode } from '../errors.js';
import { cgroupPids } from '../cgroups/cgroup.js';
import type { StateStore } from '../state/container-state.js';
import { parseSignal } from '../process/signals.js';
import { statusOf } from './status.js';

/**
 * `signal` undefined: the image's StopSignal if the container came from an image that
 * names one (image-spec config.md; recorded as an annotation by src/image/image-spec.ts),
 * else SIGTERM, as Docker's `stop` does.
 */
export function killContainer(store: StateStore, id: string, signal: number | undefined, all: boolean): void {
  const state = store.read(id);
  signal ??= parseSignal(state.annotations['org.opencontainers.image.stopSignal'] ?? 'SIGTERM');
  const status = statusOf(store, state);
  if (status === 'stopped' && !all) throw new RuntimeError('container not running');
  const pids = all ? cgroupPids(state.cgroupPaths) : [state.pid];
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (error) {
      // A process that exits between listing and signalling is not an error.
      if (errorCode(error) !== 'ESRCH') throw new RuntimeError(`kill ${pid}: ${String(error)}`, { cause: error });
    }
  }
}
