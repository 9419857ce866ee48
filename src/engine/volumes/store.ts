/**
 * Volumes: directories the engine keeps outside any container's layers, bind-mounted into
 * containers (`-v name:/path`, `--mount type=volume`, an image's VOLUME). Docker's layout
 * of the "local" driver (moby volume/local/local.go):
 *
 *   <storage>/volumes/<name>/_data         what containers see (the Mountpoint)
 *   <storage>/volumes/<name>/volume.json   Name, CreatedAt, Labels, Options, Anonymous
 *   <storage>/volumes/.lock                held while a volume is made, adopted or removed
 *
 * <storage>/volumes is owner-only (0700): a volume seeded from an image may hold its setuid
 * files, which a host user must not reach. An anonymous volume has a random 64-hex name and
 * Docker's label `com.docker.volume.anonymous` (what `volume prune` without -a removes, as
 * Docker ≥ 23). A directory from before this layout (the files directly in <name>/, no
 * volume.json) is adopted on first use: its files move into <name>/_data.
 *
 * Options are the local driver's `-o type=tmpfs -o device=tmpfs -o o=size=64m,uid=1000`:
 * such a volume is a tmpfs mounted on _data on the host at first use (tmpfs.ts).
 */
import { randomBytes } from '../../crypto.js';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../../errors.js';
import { volumesDir } from '../../storage.js';
import { withFileLock } from '../../sys/file-lock.js';
import { writeFileAtomic } from '../../sys/write-atomic.js';

/** Docker's label on anonymous volumes (moby volume/service: AnonymousLabel). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** Docker Engine API's `Volume` object (GET /volumes/{name}). */
export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local';
  Options: Record<string, string>;
  /** only with `system df` / `volume ls` sizes: bytes, and how many containers use it */
  UsageData?: { Size: number; RefCount: number };
}

/** What volume.json holds. */
interface VolumeMeta {
  Name: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Anonymous: boolean;
}

export interface CreateVolumeRequest {
  /** absent or "": an anonymous volume with a random name */
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels?: Record<string, string>;
}

/** moby's volume name rule (daemon/names: RestrictedNamePattern), one character allowed as ts-runc always did. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validateVolumeName(name: string): void {
  if (!NAME.test(name) || name.length > 255) {
    throw new RuntimeError(`invalid volume name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-' (starting with a letter or digit)`);
  }
}

export function volumeDir(storage: string, name: string): string {
  return join(volumesDir(storage), name);
}

export function volumeDataDir(storage: string, name: string): string {
  return join(volumeDir(storage, name), '_data');
}

function metaFile(storage: string, name: string): string {
  return join(volumeDir(storage, name), 'volume.json');
}

export function volumesLock(storage: string): string {
  return join(volumesDir(storage), '.lock');
}

/**
 * The local driver's options: type/device/o of mount(8). ts-runc mounts only tmpfs; any
 * other type (a block device, nfs, a bind) is refused by name rather than ignored.
 */
export function checkDriverOptions(driver: string | undefined, options: Record<string, string>): void {
  if (driver !== undefined && driver !== '' && driver !== 'local') throw new RuntimeError(`volume driver ${JSON.stringify(driver)} is not supported (only "local")`);
  for (const key of Object.keys(options)) {
    if (!['type', 'device', 'o'].includes(key)) throw new RuntimeError(`volume option ${JSON.stringify(key)} is not supported by the local driver (type, device, o)`);
  }
  if (Object.keys(options).length === 0) return;
  if (options.type !== 'tmpfs') {
    throw new RuntimeError(`volume option type=${options.type ?? '(missing)'}: ts-runc's local driver mounts only type=tmpfs (with device=tmpfs and o=size=…,mode=…,uid=…,gid=…)`);
  }
  if (options.device !== undefined && options.device !== 'tmpfs') throw new RuntimeError(`volume option device=${options.device}: a tmpfs volume's device is "tmpfs"`);
  for (const item of (options.o ?? '').split(',').filter(Boolean)) {
    const key = item.split('=')[0]!;
    if (!['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'huge'].includes(key)) {
      throw new RuntimeError(`volume option o=${options.o}: "${key}" is not a tmpfs option ts-runc passes on (size, mode, uid, gid, nr_inodes, nr_blocks, huge)`);
    }
  }
}

function toVolume(storage: string, meta: VolumeMeta): Volume {
  return {
    Name: meta.Name,
    Driver: 'local',
    Mountpoint: volumeDataDir(storage, meta.Name),
    CreatedAt: meta.CreatedAt,
    Labels: meta.Labels,
    Scope: 'local',
    Options: meta.Options,
  };
}

/** Docker prints CreatedAt as RFC 3339 with seconds: "2026-12-04T21:00:00Z". */
function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function readMeta(storage: string, name: string): VolumeMeta | undefined {
  try {
    return JSON.parse(readFileSync(metaFile(storage, name), 'utf8')) as VolumeMeta;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw new RuntimeError(`volume ${name}: ${metaFile(storage, name)}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * A directory from before volume.json: its content moves into _data (one rename of the
 * old directory to a temporary name, then into the new one), and its metadata is written
 * with the directory's own time. Call with the lock held.
 */
function adopt(storage: string, name: string): VolumeMeta | undefined {
  const dir = volumeDir(storage, name);
  let created: Date;
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) return undefined;
    created = st.birthtime.getTime() > 0 ? st.birthtime : st.mtime;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const meta: VolumeMeta = { Name: name, CreatedAt: created.toISOString().replace(/\.\d+Z$/, 'Z'), Labels: {}, Options: {}, Anonymous: false };
  // a createVolume killed between mkdir _data and volume.json: already in the new layout
  const entries = readdirSync(dir);
  if (entries.length === 1 && entries[0] === '_data' && statSync(volumeDataDir(storage, name)).isDirectory()) {
    if (/^[0-9a-f]{64}$/.test(name)) Object.assign(meta, { Anonymous: true, Labels: { [ANONYMOUS_LABEL]: '' } });
    writeFileAtomic(metaFile(storage, name), `${JSON.stringify(meta, null, 2)}\n`);
    return meta;
  }
  const temp = join(volumesDir(storage), `.adopt-${name}`);
  // a previous adoption killed between the two renames left the data here
  if (!existsSync(temp)) renameSync(dir, temp);
  mkdirSync(dir, { mode: 0o755 });
  renameSync(temp, volumeDataDir(storage, name));
  writeFileAtomic(metaFile(storage, name), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

function ensureVolumesDir(storage: string): void {
  mkdirSync(volumesDir(storage), { recursive: true, mode: 0o700 });
}

/** The volume, or undefined; an old-layout directory is adopted here. */
export function findVolume(storage: string, name: string): Volume | undefined {
  if (!NAME.test(name)) return undefined;
  const meta = readMeta(storage, name);
  if (meta) return toVolume(storage, meta);
  if (!existsSync(volumeDir(storage, name))) return undefined;
  const adopted = withFileLock(volumesLock(storage), () => readMeta(storage, name) ?? adopt(storage, name));
  return adopted && toVolume(storage, adopted);
}

export function getVolume(storage: string, name: string): Volume {
  const volume = findVolume(storage, name);
  if (!volume) throw new RuntimeError(`no such volume: ${name}`, { code: 'ENOENT' });
  return volume;
}

/** Whether the volume was made by an image VOLUME or `-v /path` (what `rm -v` and `prune` remove). */
export function isAnonymous(volume: Volume): boolean {
  return ANONYMOUS_LABEL in volume.Labels;
}

/**
 * `volume create`: a new volume, or the existing one of that name unchanged (as Docker,
 * which answers an existing name with the volume, unless the options differ).
 */
export function createVolume(storage: string, request: CreateVolumeRequest = {}): Volume {
  const options = request.DriverOpts ?? {};
  checkDriverOptions(request.Driver, options);
  const anonymous = !request.Name;
  const name = request.Name || randomBytes(32).toString('hex');
  validateVolumeName(name);
  const labels = { ...(request.Labels ?? {}), ...(anonymous ? { [ANONYMOUS_LABEL]: '' } : {}) };
  ensureVolumesDir(storage);
  return withFileLock(volumesLock(storage), () => {
    const existing = readMeta(storage, name) ?? adopt(storage, name);
    if (existing) {
      if (Object.keys(options).length > 0 && JSON.stringify(options) !== JSON.stringify(existing.Options)) {
        throw new RuntimeError(`volume ${name} already exists with other options (${JSON.stringify(existing.Options)})`);
      }
      return toVolume(storage, existing);
    }
    const meta: VolumeMeta = { Name: name, CreatedAt: now(), Labels: labels, Options: options, Anonymous: anonymous };
    try {
      mkdirSync(volumeDir(storage, name), { mode: 0o755 });
      // _data's own mode is what the container sees at the mount point; seeding copies the image's.
      mkdirSync(volumeDataDir(storage, name), { mode: 0o755 });
      writeFileAtomic(metaFile(storage, name), `${JSON.stringify(meta, null, 2)}\n`);
    } catch (error) {
      rmSync(volumeDir(storage, name), { recursive: true, force: true });
      throw new RuntimeError(`volume create ${name}: ${errorMessage(error)}`, { cause: error });
    }
    return toVolume(storage, meta);
  });
}

/** Every volume, by name; old-layout directories are adopted on the way. */
export function listVolumes(storage: string): Volume[] {
  let names: string[];
  try {
    names = readdirSync(volumesDir(storage));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names.filter((n) => NAME.test(n)).sort()
    .map((n) => findVolume(storage, n))
    .filter((v): v is Volume => v !== undefined);
}

/**
 * Remove the volume's directory. The caller checks it is unused (remove.ts) and unmounts
 * a tmpfs volume first; the metadata file goes last, so a removal cut short is seen as a
 * volume still, and can be repeated.
 */
export function deleteVolumeFiles(storage: string, name: string): void {
  rmSync(volumeDataDir(storage, name), { recursive: true, force: true });
  rmSync(volumeDir(storage, name), { recursive: true, force: true });
}

/** Bytes used under _data (st_blocks, as `du`), for UsageData. Hard links counted once. */
export function volumeSize(storage: string, name: string): number {
  const seen = new Set<string>();
  const walk = (dir: string): number => {
    let total = 0;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return 0;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      try {
        const st = lstatSync(path, { throwIfNoEntry: false }); // never through a link
        if (!st) continue;
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += st.blocks * 512;
        if (st.isDirectory()) total += walk(path);
      } catch {
        // gone meanwhile
      }
    }
    return total;
  };
  return walk(volumeDataDir(storage, name));
}
