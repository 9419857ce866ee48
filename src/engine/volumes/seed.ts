/**
 * A new volume starts with what the image has at its mount point (Docker's "copy image
 * data into a new volume", moby daemon/volumes_unix.go copyExistingContents): a volume on
 * /var/lib/app starts with the image's files, owners and modes. Only when the volume is
 * empty, and not with `nocopy`.
 *
 * The image's path is resolved inside the mounted rootfs (resolveInRoot: a symlink in the
 * image, even /var -> /, stays in the image), before the container runs, and copied with
 * `cp -a` (links copied as links, never followed; owners, modes, times and xattrs kept).
 */
import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync } from 'node:fs';
import { RuntimeError, errorCode } from '../../errors.js';
import { resolveInRoot } from '../../image/users.js';

function isEmptyDir(dir: string): boolean {
  return readdirSync(dir).length === 0;
}

/** Copy `rootfs`'s content at `destination` into the volume directory `data` if it is empty. */
export function seedVolume(data: string, destination: string, rootfs: string): void {
  if (!isEmptyDir(data)) return;
  const from = resolveInRoot(rootfs, destination);
  try {
    // lstat: resolveInRoot followed every link, so `from` is a directory or nothing to copy
    if (!lstatSync(from).isDirectory() || isEmptyDir(from)) return;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return;
    throw error;
  }
  const copy = spawnSync('cp', ['-a', '--', `${from}/.`, `${data}/`], { encoding: 'utf8' });
  if (copy.status !== 0) {
    throw new RuntimeError(`volume at ${destination}: copying the image's files into it failed: ${(copy.stderr || copy.error?.message || '').trim()}`);
  }
}
