/**
 * A tmpfs volume (`volume create -o type=tmpfs -o device=tmpfs -o o=size=64m`): the local
 * driver mounts it on the host at _data when a container first uses it (moby
 * volume/local/local_unix.go mount: mount(2) of `device` with `type` and `o`), so every
 * container using the volume shares one tmpfs, bind-mounted into each. ts-runc has no
 * daemon to count users and unmount after the last one stops: the tmpfs stays mounted
 * until `volume rm`/`prune` unmounts it (or the host reboots; then the next use mounts a
 * new, empty one).
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../../errors.js';
import { MNT_DETACH, mount, umount2 } from '../../sys/libc.js';
import { volumeDataDir, type Volume } from './store.js';

/** mount(2) flags (linux/mount.h): a volume never holds setuid programs or device nodes the host honours. */
const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;

export function isTmpfsVolume(volume: Volume): boolean {
  return volume.Options.type === 'tmpfs';
}

/** Something is mounted on `dir` when it lies on another device than its parent (as mountpoint(1) -q). */
function isMountPoint(dir: string): boolean {
  return statSync(dir).dev !== statSync(dirname(dir)).dev;
}

/** Mount the volume's tmpfs on _data unless it already is. */
export function ensureTmpfsMounted(storage: string, volume: Volume): void {
  if (!isTmpfsVolume(volume)) return;
  const data = volumeDataDir(storage, volume.Name);
  if (isMountPoint(data)) return;
  try {
    mount('tmpfs', data, 'tmpfs', MS_NOSUID | MS_NODEV, volume.Options.o ?? '');
  } catch (error) {
    throw new RuntimeError(`volume ${volume.Name}: mount tmpfs (${volume.Options.o ?? 'no options'}) on ${data}: ${errorMessage(error)}`, { cause: error });
  }
}

/** Unmount it (before the directory is removed); quiet if it is not mounted. */
export function unmountTmpfs(storage: string, volume: Volume): void {
  if (!isTmpfsVolume(volume)) return;
  const data = volumeDataDir(storage, volume.Name);
  try {
    while (isMountPoint(data)) umount2(data, MNT_DETACH);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || (error instanceof RuntimeError && error.code === 'ENOENT')) return;
    throw error;
  }
}
