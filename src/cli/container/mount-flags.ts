/**
 * The storage flags of `container run`/`create` (docker's names), parsed into HostConfig
 * (src/engine/types.ts), the same fields POST /containers/create carries:
 *
 *   -v, --volume SRC:DST[:OPTS] | DST   → Binds (checked here, resolved by engine/volumes/mounts.ts)
 *   --mount type=bind|volume|tmpfs,…    → Mounts
 *   --tmpfs /run[:size=64m,mode=1777]   → Tmpfs
 *   --volumes-from CTR[:ro|rw]          → VolumesFrom
 *   --read-only                         → ReadonlyRootfs
 *
 * --mount's keys (docker/cli opts/mount.go): type; src|source; dst|destination|target;
 * ro|readonly[=true|false]; bind-propagation; volume-nocopy[=true|false]; volume-label=K=V;
 * tmpfs-size (bytes, or with k/m/g); tmpfs-mode (octal). An unknown key is an error naming it.
 */
import { RuntimeError } from '../../errors.js';
import { parseBind, PROPAGATIONS } from '../../engine/volumes/bind-spec.js';
import type { HostConfig, MountRequest } from '../../engine/types.js';
import { bool, list, type FlagSpec, type Parsed } from '../args.js';

export const MOUNT_FLAGS: FlagSpec[] = [
  { name: 'volume', short: 'v', type: 'list', value: 'SRC:DST[:OPTS]', help: 'bind a host path (/host:/dst), a named volume (name:/dst) or an anonymous one (/dst); OPTS: ro, rw, z, Z, [r]shared|[r]slave|[r]private, nocopy' },
  { name: 'mount', type: 'list', value: 'type=…,…', help: 'type=bind|volume|tmpfs,src=…,dst=…[,readonly][,bind-propagation=…][,volume-nocopy][,volume-label=K=V][,tmpfs-size=…][,tmpfs-mode=…]' },
  { name: 'tmpfs', type: 'list', value: 'DST[:OPTS]', help: 'a tmpfs at DST, with mount options (size=64m,mode=1777)' },
  { name: 'volumes-from', type: 'list', value: 'CTR[:ro|rw]', help: 'the volumes and binds of another container' },
  { name: 'read-only', type: 'bool', help: 'mount the container\'s root filesystem read-only' },
];

const TRUE = ['', '1', 'true'];
const FALSE = ['0', 'false'];

function boolValue(key: string, value: string | undefined, where: string): boolean {
  if (value === undefined || TRUE.includes(value.toLowerCase())) return true;
  if (FALSE.includes(value.toLowerCase())) return false;
  throw new RuntimeError(`${where}: invalid value for ${key}: ${JSON.stringify(value)} (true or false)`);
}

/** "64m", "1g", "65536" → bytes (docker's RAMInBytes: k, m, g, t; b optional). */
export function parseBytes(text: string, where: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) throw new RuntimeError(`${where}: invalid size ${JSON.stringify(text)} (a number of bytes, or with k, m, g)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * unit);
}

/** One --mount value → Docker's mount object. */
export function parseMountFlag(text: string): MountRequest {
  const where = `invalid --mount ${JSON.stringify(text)}`;
  const fields = new Map<string, string | undefined>();
  const labels: Record<string, string> = {};
  for (const item of text.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    if (key === 'volume-label') {
      const [k, ...v] = (value ?? '').split('=');
      if (!k) throw new RuntimeError(`${where}: volume-label needs KEY=VALUE`);
      labels[k] = v.join('=');
      continue;
    }
    const canonical = ({ source: 'src', destination: 'dst', target: 'dst', readonly: 'ro' } as Record<string, string>)[key] ?? key;
    if (!['type', 'src', 'dst', 'ro', 'bind-propagation', 'volume-nocopy', 'tmpfs-size', 'tmpfs-mode', 'bind-nonrecursive'].includes(canonical)) {
      throw new RuntimeError(`${where}: unexpected key ${JSON.stringify(key)} (type, src, dst, readonly, bind-propagation, volume-nocopy, volume-label, tmpfs-size, tmpfs-mode)`);
    }
    if (canonical === 'bind-nonrecursive') throw new RuntimeError(`${where}: bind-nonrecursive is not supported by ts-runc (binds are recursive)`);
    if (fields.has(canonical)) throw new RuntimeError(`${where}: ${key} given twice`);
    if (value === undefined && !['ro', 'volume-nocopy'].includes(canonical)) throw new RuntimeError(`${where}: ${key} needs a value (${key}=…)`);
    fields.set(canonical, value);
  }
  const type = fields.get('type') ?? 'volume';
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw new RuntimeError(`${where}: type ${JSON.stringify(type)} is not supported (bind, volume, tmpfs)`);
  const target = fields.get('dst');
  if (!target) throw new RuntimeError(`${where}: target (dst=) is required`);
  const mount: MountRequest = { Type: type, Target: target };
  const source = fields.get('src');
  if (source) mount.Source = source;
  if (fields.has('ro')) mount.ReadOnly = boolValue('readonly', fields.get('ro'), where);
  const onlyFor = (key: string, wanted: string) => {
    if (fields.has(key) && type !== wanted) throw new RuntimeError(`${where}: ${key} is for type=${wanted} only`);
    return fields.has(key);
  };
  if (onlyFor('bind-propagation', 'bind')) {
    const propagation = fields.get('bind-propagation')!;
    if (!(PROPAGATIONS as readonly string[]).includes(propagation)) throw new RuntimeError(`${where}: invalid bind-propagation ${JSON.stringify(propagation)} (${PROPAGATIONS.join(', ')})`);
    mount.BindOptions = { Propagation: propagation };
  }
  if (Object.keys(labels).length > 0 && type !== 'volume') throw new RuntimeError(`${where}: volume-label is for type=volume only`);
  if (onlyFor('volume-nocopy', 'volume') || Object.keys(labels).length > 0) {
    mount.VolumeOptions = {
      ...(fields.has('volume-nocopy') ? { NoCopy: boolValue('volume-nocopy', fields.get('volume-nocopy'), where) } : {}),
      ...(Object.keys(labels).length > 0 ? { Labels: labels } : {}),
    };
  }
  const size = onlyFor('tmpfs-size', 'tmpfs') ? parseBytes(fields.get('tmpfs-size')!, where) : undefined;
  let mode: number | undefined;
  if (onlyFor('tmpfs-mode', 'tmpfs')) {
    const text = fields.get('tmpfs-mode')!;
    if (!/^[0-7]{1,4}$/.test(text)) throw new RuntimeError(`${where}: invalid tmpfs-mode ${JSON.stringify(text)} (octal, e.g. 1777)`);
    mode = parseInt(text, 8);
  }
  if (size !== undefined || mode !== undefined) mount.TmpfsOptions = { ...(size !== undefined ? { SizeBytes: size } : {}), ...(mode !== undefined ? { Mode: mode } : {}) };
  if (type === 'bind' && !source) throw new RuntimeError(`${where}: type=bind needs a source (src=)`);
  if (type === 'tmpfs' && source) throw new RuntimeError(`${where}: type=tmpfs takes no source`);
  return mount;
}

/** "/run:size=64m,mode=1777" → ["/run", "size=64m,mode=1777"]; sizes as the kernel's tmpfs reads them. */
export function parseTmpfsFlag(text: string): [string, string] {
  const colon = text.indexOf(':');
  const destination = colon < 0 ? text : text.slice(0, colon);
  const options = colon < 0 ? '' : text.slice(colon + 1);
  if (!destination.startsWith('/')) throw new RuntimeError(`invalid --tmpfs ${JSON.stringify(text)}: the path must be absolute`);
  for (const option of options.split(',').filter(Boolean)) {
    const key = option.split('=')[0]!;
    if (!['size', 'mode', 'uid', 'gid', 'nr_inodes', 'nr_blocks', 'ro', 'rw', 'exec', 'noexec', 'suid', 'nosuid', 'dev', 'nodev', 'huge'].includes(key)) {
      throw new RuntimeError(`invalid --tmpfs ${JSON.stringify(text)}: unknown option ${JSON.stringify(key)}`);
    }
  }
  return [destination, options];
}

/** The HostConfig fields these flags set (only those given). */
export function mountHostConfig(parsed: Parsed): Pick<HostConfig, 'Binds' | 'Mounts' | 'Tmpfs' | 'VolumesFrom' | 'ReadonlyRootfs'> {
  const out: Pick<HostConfig, 'Binds' | 'Mounts' | 'Tmpfs' | 'VolumesFrom' | 'ReadonlyRootfs'> = {};
  const binds = list(parsed, 'volume');
  for (const bind of binds) parseBind(bind); // refused here, before anything is made
  if (binds.length > 0) out.Binds = binds;
  const mounts = list(parsed, 'mount').map(parseMountFlag);
  if (mounts.length > 0) out.Mounts = mounts;
  const tmpfs = list(parsed, 'tmpfs').map(parseTmpfsFlag);
  if (tmpfs.length > 0) out.Tmpfs = Object.fromEntries(tmpfs);
  const from = list(parsed, 'volumes-from');
  for (const entry of from) {
    if (!/^[^:]+(:(ro|rw))?$/.test(entry)) throw new RuntimeError(`invalid --volumes-from ${JSON.stringify(entry)}: expected CONTAINER[:ro|rw]`);
  }
  if (from.length > 0) out.VolumesFrom = from;
  if (bool(parsed, 'read-only')) out.ReadonlyRootfs = true;
  return out;
}
