/**
 * STAND-IN until src/engine/volumes/mounts.ts (resolveMounts, by the volumes work) lands:
 * the record's Binds, Mounts, Tmpfs-free volumes and the image's Volumes → bind mounts,
 * with the directories made. Replace the one call in hook-init.ts and delete this file.
 *
 *   Binds "/host:/dst[:ro]"  a host directory (made if missing, as Docker's -v)
 *   Binds "name:/dst[:ro]"   a named volume, <storage>/volumes/<name>
 *   Mounts type=bind|volume|tmpfs
 *   Config.Volumes           an anonymous volume each, <container>/volumes/<n>, kept across
 *                            restarts (seeded from the image only when first made)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { resolveInRoot } from '../../image/users.js';
import { parseVolumeFlag, type VolumeFlag } from '../../image/volumes.js';
import type { SpecMount } from '../../spec/schema.js';
import { volumesDir } from '../../storage.js';
import { containerPaths } from '../paths.js';
import type { ContainerRecord } from '../types.js';

export function resolveMounts(storage: string, record: ContainerRecord, rootfs: string): SpecMount[] {
  const host = record.HostConfig;
  const wanted: (VolumeFlag & { tmpfs?: string })[] = (host.Binds ?? []).map(parseVolumeFlag);
  for (const mount of host.Mounts ?? []) {
    if (mount.Type === 'tmpfs') {
      const options = [mount.TmpfsOptions?.SizeBytes ? `size=${mount.TmpfsOptions.SizeBytes}` : '', mount.TmpfsOptions?.Mode ? `mode=${mount.TmpfsOptions.Mode.toString(8)}` : ''].filter(Boolean).join(',');
      wanted.push({ destination: mount.Target, readonly: mount.ReadOnly === true, tmpfs: options });
    } else {
      wanted.push({ source: mount.Source || undefined, destination: mount.Target, readonly: mount.ReadOnly === true });
    }
  }
  if ((host.VolumesFrom ?? []).length > 0) throw new RuntimeError('--volumes-from is not supported by this build yet');
  for (const path of Object.keys(record.Config.Volumes ?? {})) {
    const destination = posix.normalize(path).replace(/(.)\/$/, '$1');
    if (!wanted.some((v) => v.destination === destination)) wanted.push({ destination, readonly: false });
  }
  const anonymousDir = containerPaths(storage, record.Id).volumes;
  let anonymous = 0;
  record.Mounts = [];
  return wanted.map((volume): SpecMount => {
    if (volume.tmpfs !== undefined) {
      record.Mounts.push({ Type: 'tmpfs', Source: '', Destination: volume.destination, Mode: volume.tmpfs, RW: !volume.readonly, Propagation: '' });
      return { destination: volume.destination, type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', ...(volume.readonly ? ['ro'] : []), ...(volume.tmpfs ? volume.tmpfs.split(',') : [])] };
    }
    let source: string;
    let type: 'bind' | 'volume' = 'volume';
    let name: string | undefined;
    if (volume.source === undefined) {
      name = `${record.Id.slice(0, 12)}-${anonymous}`;
      source = join(anonymousDir, String(anonymous++));
      if (!existsSync(source)) createSeeded(source, volume.destination, rootfs);
    } else if (isAbsolute(volume.source)) {
      type = 'bind';
      source = volume.source;
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
    } else {
      name = volume.source;
      source = join(volumesDir(storage), volume.source);
      mkdirSync(volumesDir(storage), { recursive: true, mode: 0o700 });
      if (!existsSync(source)) createSeeded(source, volume.destination, rootfs);
    }
    record.Mounts.push({ Type: type, ...(name ? { Name: name } : {}), Source: source, Destination: volume.destination, Mode: volume.readonly ? 'ro' : '', RW: !volume.readonly, Propagation: type === 'bind' ? 'rprivate' : '' });
    return { destination: volume.destination, type: 'bind', source, options: ['rbind', 'rprivate', volume.readonly ? 'ro' : 'rw'] };
  });
}

function createSeeded(dir: string, destination: string, rootfs: string): void {
  mkdirSync(dir, { recursive: true });
  const from = resolveInRoot(rootfs, destination);
  if (!existsSync(from) || !statSync(from).isDirectory() || readdirSync(from).length === 0) return;
  const copy = spawnSync('cp', ['-a', '--', `${from}/.`, `${dir}/`], { encoding: 'utf8' });
  if (copy.status !== 0) throw new RuntimeError(`volume ${destination}: seeding from the image failed: ${(copy.stderr || copy.error?.message || '').trim()}`);
}
