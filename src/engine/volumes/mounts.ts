/**
 * A container's HostConfig (Binds, Mounts, Tmpfs, VolumesFrom) and the image's VOLUMEs →
 * the runtime-spec mounts its config.json lists, and the `Mounts` its record keeps (what
 * `inspect` shows, what `volume rm` checks, what `rm -v` removes).
 *
 * Docker's order (moby daemon/volumes.go registerMountPoints): the mounts of --volumes-from
 * containers first, then -v (Binds) over them, then --mount; two of -v/--mount on one path
 * is an error; then an anonymous volume for every image VOLUME no mount covers (moby
 * create_unix.go), and --tmpfs. Mounts are listed parents first (sorted by path depth), so
 * /data is mounted before /data/cache.
 *
 * Called at create, and again at every start (the engine's init hook) with the record's
 * Mounts as `previous`: an anonymous volume is made once and found again by its path, and
 * seeding from the image happens only for a volume new to the container. A call that fails
 * removes the volumes it made, so a failed `run` leaves none.
 *
 * A bind of a single FILE (`-v /host/file:/etc/app.conf`): the source is left alone (a
 * missing -v source becomes a directory, as Docker; --mount refuses a missing one), and
 * the plan (src/plan/mounts.ts) stats it and has the init create the target as an empty
 * FILE inside the rootfs, resolved with openat2(RESOLVE_IN_ROOT) (native/init/rootfs-paths.c),
 * so a symlink in the image cannot send it out.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { RuntimeError, errorCode, errorMessage } from '../../errors.js';
import { log } from '../../log.js';
import type { SpecMount } from '../../spec/schema.js';
import type { ContainerRecord, HostConfig, MountRequest } from '../types.js';
import { cleanDestination, parseBind, PROPAGATIONS, type BindSpec, type Propagation } from './bind-spec.js';
import { seedVolume } from './seed.js';
import { createVolume, deleteVolumeFiles, findVolume, validateVolumeName, type Volume } from './store.js';
import { ensureTmpfsMounted, unmountTmpfs } from './tmpfs.js';
import { ContainerStore, NoSuchContainer } from '../containers/store.js';

export type RecordMount = ContainerRecord['Mounts'][number];

export interface ResolveMountsInput {
  /** --storage: where the volumes are */
  storage: string;
  /** the container's id (errors name it) */
  id: string;
  hostConfig: HostConfig;
  /** the container paths of Config.Volumes and of the image config's Volumes */
  volumes: string[];
  /** the record's Mounts from an earlier call: its anonymous volumes are used again */
  previous?: RecordMount[];
  /** the mounted rootfs (the overlay): volumes new to this container are seeded from it */
  rootfs?: string;
  /** another container by name or id, for VolumesFrom (default: the engine's records) */
  findContainer?: (ref: string) => ContainerRecord | undefined;
}

export interface ResolvedMounts {
  /** config.json `mounts` to add after the runtime's defaults, in this order */
  specMounts: SpecMount[];
  /** the record's `Mounts` (tmpfs mounts included, as Docker's inspect shows --mount type=tmpfs) */
  mounts: RecordMount[];
}

/** One mount before it becomes spec and record entries. */
export interface Wanted {
  type: 'bind' | 'volume' | 'tmpfs';
  /** bind: host path; volume: name or undefined (anonymous) */
  source?: string;
  destination: string;
  readOnly: boolean;
  mode: string;
  propagation?: Propagation;
  noCopy: boolean;
  /** only --mount type=bind: a missing source is an error */
  mustExist?: boolean;
  /** tmpfs data ("size=65536k,mode=1777") */
  tmpfsData?: string;
  labels?: Record<string, string>;
  /** from --volumes-from: taken as the other container has it */
  from?: RecordMount;
}

/** The record's own shape, written out so the API can hand it to clients as it is. */
function recordMount(w: Wanted, source: string, name?: string): RecordMount {
  return {
    Type: w.type,
    ...(name !== undefined ? { Name: name } : {}),
    Source: source,
    Destination: w.destination,
    Mode: w.mode,
    RW: !w.readOnly,
    Propagation: w.type === 'bind' ? (w.propagation ?? 'rprivate') : '',
  };
}

/** --mount (HostConfig.Mounts): checked as Docker's validateMountConfig, errors naming the field. */
function fromMountRequest(m: MountRequest, index: number): Wanted {
  const what = `invalid mount config for type ${JSON.stringify(m.Type)} (Mounts[${index}])`;
  const destination = cleanDestination(m.Target ?? '', what);
  const base = { destination, readOnly: m.ReadOnly === true, mode: '', noCopy: false };
  switch (m.Type) {
    case 'bind': {
      if (!m.Source) throw new RuntimeError(`${what}: field Source must not be empty`);
      if (!m.Source.startsWith('/')) throw new RuntimeError(`${what}: invalid mount path: ${JSON.stringify(m.Source)} mount path must be absolute`);
      if (m.VolumeOptions) throw new RuntimeError(`${what}: field VolumeOptions must not be specified`);
      if (m.TmpfsOptions) throw new RuntimeError(`${what}: field TmpfsOptions must not be specified`);
      const propagation = m.BindOptions?.Propagation;
      if (propagation !== undefined && propagation !== '' && !(PROPAGATIONS as readonly string[]).includes(propagation)) {
        throw new RuntimeError(`${what}: invalid propagation mode ${JSON.stringify(propagation)} (${PROPAGATIONS.join(', ')})`);
      }
      return { ...base, type: 'bind', source: m.Source, mustExist: true, ...(propagation ? { propagation: propagation as Propagation } : {}) };
    }
    case 'volume': {
      if (m.BindOptions) throw new RuntimeError(`${what}: field BindOptions must not be specified`);
      if (m.TmpfsOptions) throw new RuntimeError(`${what}: field TmpfsOptions must not be specified`);
      if (m.Source) validateVolumeName(m.Source);
      return { ...base, type: 'volume', source: m.Source || undefined, noCopy: m.VolumeOptions?.NoCopy === true, labels: m.VolumeOptions?.Labels };
    }
    case 'tmpfs': {
      if (m.Source) throw new RuntimeError(`${what}: field Source must not be specified`);
      if (m.BindOptions) throw new RuntimeError(`${what}: field BindOptions must not be specified`);
      if (m.VolumeOptions) throw new RuntimeError(`${what}: field VolumeOptions must not be specified`);
      const data: string[] = [];
      const size = m.TmpfsOptions?.SizeBytes;
      if (size !== undefined && size !== 0) {
        if (!Number.isSafeInteger(size) || size < 0) throw new RuntimeError(`${what}: invalid tmpfs size ${size}`);
        data.push(`size=${Math.ceil(size / 1024)}k`);
      }
      const mode = m.TmpfsOptions?.Mode;
      if (mode !== undefined && mode !== 0) {
        if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new RuntimeError(`${what}: invalid tmpfs mode ${mode}`);
        data.push(`mode=${mode.toString(8)}`);
      }
      return { ...base, type: 'tmpfs', tmpfsData: data.join(',') };
    }
    default:
      throw new RuntimeError(`invalid mount config (Mounts[${index}]): mount type ${JSON.stringify((m as { Type: string }).Type)} is not supported (bind, volume, tmpfs)`);
  }
}

function fromBind(b: BindSpec): Wanted {
  return { type: b.type, source: b.source, destination: b.destination, readOnly: b.readOnly, mode: b.mode, noCopy: b.noCopy, ...(b.propagation ? { propagation: b.propagation } : {}) };
}

/** "ctr[:ro|rw]" → that container's volumes and binds, in its mode unless one is given. */
function fromVolumesFrom(entry: string, find: (ref: string) => ContainerRecord | undefined): Wanted[] {
  const [ref = '', mode, ...rest] = entry.split(':');
  if (!ref || rest.length > 0 || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
    throw new RuntimeError(`invalid --volumes-from ${JSON.stringify(entry)}: expected CONTAINER[:ro|rw]`);
  }
  const other = find(ref);
  if (!other) throw new RuntimeError(`--volumes-from ${ref}: no such container`, { code: 'ENOENT' });
  return (other.Mounts ?? []).filter((m) => m.Type !== 'tmpfs').map((m) => ({
    type: m.Type,
    source: m.Type === 'volume' ? m.Name : m.Source,
    destination: m.Destination,
    readOnly: mode === undefined ? !m.RW : mode === 'ro',
    mode: mode ?? m.Mode,
    noCopy: true, // its content is the other container's, not the image's
    ...(m.Type === 'bind' && (PROPAGATIONS as readonly string[]).includes(m.Propagation) ? { propagation: m.Propagation as Propagation } : {}),
    from: m,
  }));
}

/** Docker's --tmpfs "/run:size=64m,mode=1777": its options are mount(8)'s tmpfs options as given. */
function fromTmpfs(destination: string, options: string): Wanted {
  const what = `invalid --tmpfs ${JSON.stringify(destination)}`;
  const parts = options.split(',').filter(Boolean);
  const readOnly = parts.includes('ro');
  const data = parts.filter((p) => p !== 'ro' && p !== 'rw');
  return { type: 'tmpfs', destination: cleanDestination(destination, what), readOnly, mode: '', noCopy: false, tmpfsData: data.join(',') };
}

/** The engine's records by id, name or unique id prefix. */
function defaultFind(storage: string): (ref: string) => ContainerRecord | undefined {
  const store = new ContainerStore(storage);
  return (ref) => {
    try {
      return store.resolve(ref);
    } catch (error) {
      if (error instanceof NoSuchContainer) return undefined;
      throw error;
    }
  };
}

const depth = (path: string) => path.split('/').filter(Boolean).length;

/** Every mount the container asks for, as Docker orders and overrides them. */
export function wantedMounts(input: ResolveMountsInput): Wanted[] {
  const host = input.hostConfig;
  const byPath = new Map<string, Wanted>();
  const find = input.findContainer ?? defaultFind(input.storage);
  for (const entry of host.VolumesFrom ?? []) for (const w of fromVolumesFrom(entry, find)) byPath.set(w.destination, w);
  const explicit = new Set<string>();
  const add = (w: Wanted) => {
    if (explicit.has(w.destination)) throw new RuntimeError(`duplicate mount point: ${w.destination}`);
    explicit.add(w.destination);
    byPath.set(w.destination, w);
  };
  for (const text of host.Binds ?? []) add(fromBind(parseBind(text)));
  (host.Mounts ?? []).forEach((m, index) => add(fromMountRequest(m, index)));
  for (const [destination, options] of Object.entries(host.Tmpfs ?? {})) add(fromTmpfs(destination, options));
  for (const path of input.volumes) {
    const destination = cleanDestination(path, `image volume ${JSON.stringify(path)}`);
    if (!byPath.has(destination)) byPath.set(destination, { type: 'volume', destination, readOnly: false, mode: '', noCopy: false });
  }
  return [...byPath.values()].sort((a, b) => depth(a.destination) - depth(b.destination));
}

/**
 * At create, before anything is made: what resolveMounts would refuse at the first start
 * (a bad -v or --mount, two mounts on one path, a --volumes-from container that does not
 * exist, a --mount bind source that does not), as Docker refuses it at create.
 */
export function checkMounts(input: Omit<ResolveMountsInput, 'previous' | 'rootfs'>): void {
  for (const w of wantedMounts(input)) {
    if (w.type === 'bind' && w.mustExist && !existsSync(w.source!)) {
      throw new RuntimeError(`invalid mount config for type "bind": bind source path does not exist: ${w.source}`);
    }
  }
}

/** See the top of the file. */
export function resolveMounts(input: ResolveMountsInput): ResolvedMounts {
  const made: Volume[] = [];
  try {
    const specMounts: SpecMount[] = [];
    const mounts: RecordMount[] = [];
    for (const w of wantedMounts(input)) {
      const options = w.readOnly ? 'ro' : 'rw';
      switch (w.type) {
        case 'bind': {
          const source = bindSource(w);
          specMounts.push({ destination: w.destination, type: 'bind', source, options: ['rbind', w.propagation ?? 'rprivate', options] });
          mounts.push(recordMount(w, source));
          break;
        }
        case 'volume': {
          const { volume, isNew } = volumeFor(input, w, made);
          ensureTmpfsMounted(input.storage, volume);
          if (isNew && !w.noCopy && input.rootfs) seedVolume(volume.Mountpoint, w.destination, input.rootfs);
          specMounts.push({ destination: w.destination, type: 'bind', source: volume.Mountpoint, options: ['rbind', 'rprivate', options] });
          mounts.push(recordMount(w, volume.Mountpoint, volume.Name));
          break;
        }
        case 'tmpfs': {
          // moby daemon/oci_linux.go: tmpfs mounts get noexec,nosuid,nodev unless the options say otherwise
          const data = (w.tmpfsData ?? '').split(',').filter(Boolean);
          const flags = ['nosuid', 'nodev', 'noexec'].filter((f) => !data.includes(f.replace(/^no/, '')));
          specMounts.push({ destination: w.destination, type: 'tmpfs', source: 'tmpfs', options: [...flags, ...data, options] });
          mounts.push(recordMount(w, ''));
          break;
        }
      }
    }
    return { specMounts, mounts };
  } catch (error) {
    for (const volume of made) {
      try {
        unmountTmpfs(input.storage, volume);
        deleteVolumeFiles(input.storage, volume.Name);
      } catch (undo) {
        log().warn(`container ${input.id}: removing volume ${volume.Name} made by a failed mount set-up: ${errorMessage(undo)}`);
      }
    }
    throw error;
  }
}

/** The host path of a bind; -v makes a missing one a directory (Docker), --mount refuses it. */
function bindSource(w: Wanted): string {
  const source = w.source!;
  try {
    statSync(source);
    return source;
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw new RuntimeError(`bind source ${source}: ${errorMessage(error)}`, { cause: error });
  }
  if (w.mustExist) throw new RuntimeError(`invalid mount config for type "bind": bind source path does not exist: ${source}`);
  if (w.from) throw new RuntimeError(`--volumes-from: the bind source ${source} of the other container is gone`);
  mkdirSync(source, { recursive: true, mode: 0o755 });
  return source;
}

/**
 * The volume a mount names, or its anonymous one: the same as last time (`previous`, by
 * destination) if it still exists, else a new one. `isNew`: new to this container.
 */
function volumeFor(input: ResolveMountsInput, w: Wanted, made: Volume[]): { volume: Volume; isNew: boolean } {
  const before = input.previous?.find((p) => p.Type === 'volume' && p.Destination === w.destination);
  let name = w.source;
  if (name === undefined && before?.Name && findVolume(input.storage, before.Name)) name = before.Name;
  const seenBefore = before?.Name !== undefined && before.Name === name;
  const existing = name === undefined ? undefined : findVolume(input.storage, name);
  if (existing) return { volume: existing, isNew: !seenBefore };
  if (w.from) throw new RuntimeError(`--volumes-from: volume ${name} of the other container is gone`);
  const volume = createVolume(input.storage, { Name: name, Labels: w.labels });
  made.push(volume);
  return { volume, isNew: true };
}
