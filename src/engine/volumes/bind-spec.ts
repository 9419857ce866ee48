/**
 * HostConfig.Binds, the strings `-v` gives (and POST /containers/create's body carries):
 *
 *   /host/path:/dst[:OPTS]   a bind mount of the host's file or directory
 *   name:/dst[:OPTS]         a named volume (made if missing)
 *   /dst                     an anonymous volume
 *
 * OPTS, comma-separated (docker's mount modes, moby volume/mounts/linux_parser.go):
 * ro|rw, z|Z (SELinux relabelling), one propagation of shared, slave, private, rshared,
 * rslave, rprivate (binds only), nocopy (volumes only: no seeding from the image).
 * `/dst:ro` is refused, as by docker: an anonymous volume takes no options.
 */
import { posix } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { validateVolumeName } from './store.js';

export const PROPAGATIONS = ['shared', 'slave', 'private', 'rshared', 'rslave', 'rprivate'] as const;
export type Propagation = (typeof PROPAGATIONS)[number];

export interface BindSpec {
  type: 'bind' | 'volume';
  /** the host path (bind), the volume name, or undefined (anonymous volume) */
  source?: string;
  destination: string;
  readOnly: boolean;
  /** what was written after the second ":" ("ro,Z"), for inspect's Mode */
  mode: string;
  propagation?: Propagation;
  noCopy: boolean;
  /** z or Z: accepted and recorded; ts-runc does not relabel (no SELinux on its hosts) */
  label?: 'z' | 'Z';
}

/** A container path: absolute, not "/", cleaned ("/a/b/" → "/a/b"). */
export function cleanDestination(path: string, what: string): string {
  if (!posix.isAbsolute(path)) throw new RuntimeError(`${what}: the container path ${JSON.stringify(path)} must be absolute`);
  const clean = posix.normalize(path).replace(/(.)\/$/, '$1');
  if (clean === '/') throw new RuntimeError(`${what}: the container path cannot be "/"`);
  return clean;
}

export function parseBind(text: string): BindSpec {
  const what = `invalid volume specification ${JSON.stringify(text)}`;
  const parts = text.split(':');
  if (parts.some((p) => p === '') || parts.length > 3) throw new RuntimeError(`${what}: expected SRC:DST[:OPTS] or DST`);
  if (parts.length === 1) return { type: 'volume', destination: cleanDestination(parts[0]!, what), readOnly: false, mode: '', noCopy: false };
  if (parts.length === 2 && isModeList(parts[1]!) && !parts[1]!.startsWith('/')) {
    throw new RuntimeError(`${what}: an anonymous volume takes no options (give NAME:${parts[0]}:${parts[1]})`);
  }
  const [source, dst, mode = ''] = parts as [string, string, string?];
  const destination = cleanDestination(dst, what);
  const bind = posix.isAbsolute(source);
  if (!bind) {
    try {
      validateVolumeName(source);
    } catch {
      throw new RuntimeError(`${what}: ${JSON.stringify(source)} is neither an absolute host path nor a volume name`);
    }
  }
  const spec: BindSpec = { type: bind ? 'bind' : 'volume', source: bind ? posix.normalize(source) : source, destination, readOnly: false, mode, noCopy: false };
  const seen = new Set<string>();
  for (const option of mode.split(',').filter(Boolean)) {
    const kind = option === 'ro' || option === 'rw' ? 'rw' : option === 'z' || option === 'Z' ? 'label' : (PROPAGATIONS as readonly string[]).includes(option) ? 'propagation' : option === 'nocopy' ? 'nocopy' : undefined;
    if (!kind) throw new RuntimeError(`${what}: unknown option ${JSON.stringify(option)} (ro, rw, z, Z, ${PROPAGATIONS.join(', ')}, nocopy)`);
    if (seen.has(kind)) throw new RuntimeError(`${what}: more than one ${kind === 'rw' ? 'ro/rw' : kind} option`);
    seen.add(kind);
    if (kind === 'rw') spec.readOnly = option === 'ro';
    else if (kind === 'label') spec.label = option as 'z' | 'Z';
    else if (kind === 'propagation') {
      if (!bind) throw new RuntimeError(`${what}: ${option}: propagation applies to bind mounts only`);
      spec.propagation = option as Propagation;
    } else {
      if (bind) throw new RuntimeError(`${what}: nocopy applies to volumes only`);
      spec.noCopy = true;
    }
  }
  return spec;
}

function isModeList(text: string): boolean {
  return text.split(',').every((o) => ['ro', 'rw', 'z', 'Z', 'nocopy', ...PROPAGATIONS].includes(o));
}
