/**
 * Which containers use a volume: what `volume rm` refuses on, `volume ls --filter
 * dangling=` and `prune` look at. Docker counts every container that exists, running or
 * not (a stopped container still owns its volumes until `rm`). Two kinds of container
 * keep a record under --storage:
 *
 *   <storage>/engine/containers/<id>/record.json   `ts-runc container …` (its Mounts list)
 *   <storage>/containers/<id>/config.json          `run --image` (bind sources under _data)
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { errorCode } from '../../errors.js';
import { ContainerStore } from '../containers/store.js';
import type { ContainerRecord } from '../types.js';
import { containerDir, volumesDir } from '../../storage.js';

export interface VolumeUser {
  /** the container's id */
  id: string;
  /** its name without "/", or the id for a `run --image` container */
  name: string;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return [];
    throw error;
  }
}

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    // missing (a create in progress, a removal half-done) or being replaced
    return undefined;
  }
}

/** The engine's container records. */
export function engineRecords(storage: string): ContainerRecord[] {
  return new ContainerStore(storage).list();
}

/** The named volumes a record's -v and --mount ask for. */
function namedVolumesOf(record: ContainerRecord): string[] {
  const names: string[] = [];
  for (const bind of record.HostConfig.Binds ?? []) {
    const [source, destination] = bind.split(':');
    if (destination !== undefined && source && !source.startsWith('/')) names.push(source);
  }
  for (const mount of record.HostConfig.Mounts ?? []) if (mount.Type === 'volume' && mount.Source) names.push(mount.Source);
  return names;
}

/** Every volume in use, by name, with the containers using it. */
export function volumeUsers(storage: string): Map<string, VolumeUser[]> {
  const users = new Map<string, VolumeUser[]>();
  const add = (volume: string, user: VolumeUser) => {
    const list = users.get(volume) ?? [];
    if (!list.some((u) => u.id === user.id)) list.push(user);
    users.set(volume, list);
  };
  for (const record of engineRecords(storage)) {
    const user = { id: record.Id, name: record.Name.replace(/^\//, '') };
    for (const mount of record.Mounts ?? []) {
      if (mount.Type === 'volume' && mount.Name) add(mount.Name, user);
    }
    // a container created but never started names its volumes only in its HostConfig
    for (const name of namedVolumesOf(record)) add(name, user);
  }
  const base = `${volumesDir(storage)}/`;
  for (const id of listDir(join(storage, 'containers'))) {
    const spec = readJson<{ mounts?: { source?: string }[] }>(join(containerDir(storage, id), 'config.json'));
    for (const mount of spec?.mounts ?? []) {
      // a bind of <storage>/volumes/<name>/_data
      const name = mount.source?.startsWith(base) ? /^([^/]+)\/_data$/.exec(mount.source.slice(base.length))?.[1] : undefined;
      if (name) add(name, { id, name: id });
    }
  }
  return users;
}

/** One volume's users. */
export function usersOf(storage: string, name: string): VolumeUser[] {
  return volumeUsers(storage).get(name) ?? [];
}
