/**
 * Removing volumes: `volume rm`, `volume prune`, and a container's anonymous volumes at
 * `container rm -v` / `--rm`. A volume a container uses (running or stopped: usage.ts) is
 * never removed; Docker refuses even with -f ("volume is in use"), -f only makes a missing
 * volume no error. The check and the removal happen under the volumes' lock, so two
 * removals, or a removal and `volume create`, do not interleave.
 */
import { RuntimeError } from '../../errors.js';
import { log } from '../../log.js';
import { withFileLock } from '../../sys/file-lock.js';
import { matchesFilters, type VolumeFilters } from './list.js';
import { deleteVolumeFiles, findVolume, isAnonymous, listVolumes, volumeSize, volumesLock, type Volume } from './store.js';
import { unmountTmpfs } from './tmpfs.js';
import { usersOf, volumeUsers, type VolumeUser } from './usage.js';

function inUse(name: string, users: VolumeUser[]): RuntimeError {
  const names = users.map((u) => (u.name === u.id ? u.id.slice(0, 12) : `${u.name} (${u.id.slice(0, 12)})`));
  return new RuntimeError(`volume ${name} is in use by container ${names.join(', ')}: remove the container first`, { code: 'EBUSY' });
}

function destroy(storage: string, volume: Volume): void {
  unmountTmpfs(storage, volume);
  deleteVolumeFiles(storage, volume.Name);
}

/** `volume rm [-f] NAME`: refused while in use; `force`: a missing volume is no error. */
export function removeVolume(storage: string, name: string, options: { force?: boolean } = {}): void {
  const volume = findVolume(storage, name);
  if (!volume) {
    if (options.force) return;
    throw new RuntimeError(`no such volume: ${name}`, { code: 'ENOENT' });
  }
  withFileLock(volumesLock(storage), () => {
    const users = usersOf(storage, name);
    if (users.length > 0) throw inUse(name, users);
    destroy(storage, volume);
  });
}

export interface PruneReport {
  VolumesDeleted: string[];
  /** bytes */
  SpaceReclaimed: number;
}

/**
 * `volume prune`: unused volumes; only anonymous ones unless `all` (Docker ≥ 23, API 1.42:
 * the filter `all=true`). `filters`: label=, label!= as `volume ls`.
 */
export function pruneVolumes(storage: string, options: { all?: boolean; filters?: VolumeFilters } = {}): PruneReport {
  const report: PruneReport = { VolumesDeleted: [], SpaceReclaimed: 0 };
  withFileLock(volumesLock(storage), () => {
    const users = volumeUsers(storage);
    for (const volume of listVolumes(storage)) {
      if ((users.get(volume.Name)?.length ?? 0) > 0) continue;
      if (!options.all && !isAnonymous(volume)) continue;
      if (options.filters && !matchesFilters(volume, options.filters, false)) continue;
      const size = volumeSize(storage, volume.Name);
      destroy(storage, volume);
      report.VolumesDeleted.push(volume.Name);
      report.SpaceReclaimed += size;
    }
  });
  return report;
}

/**
 * `container rm -v` and `--rm`: the container's anonymous volumes go, unless another
 * container uses them too (--volumes-from). Call after the container's record is gone, so
 * it no longer counts as a user. Named volumes always stay. Failures are logged and
 * returned: the container is already removed.
 */
export function removeAnonymousVolumes(storage: string, mounts: readonly { Type: string; Name?: string }[]): string[] {
  const removed: string[] = [];
  for (const mount of mounts) {
    if (mount.Type !== 'volume' || !mount.Name) continue;
    const volume = findVolume(storage, mount.Name);
    if (!volume || !isAnonymous(volume)) continue;
    try {
      withFileLock(volumesLock(storage), () => {
        if (usersOf(storage, volume.Name).length > 0) return;
        destroy(storage, volume);
        removed.push(volume.Name);
      });
    } catch (error) {
      log().warn(`remove anonymous volume ${volume.Name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return removed;
}
