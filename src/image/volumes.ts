/**
 * Volumes: directories that live outside the container's overlay, bind-mounted into it.
 *
 *   -v /host/path:/dest[:ro]   the host's directory (created if missing, as Docker does)
 *   -v name:/dest[:ro]         a named volume, <storage>/volumes/<name>; outlives the container
 *   image config Volumes       an anonymous volume per path not covered by a -v:
 *                              <bundle>/.ts-runc/volumes/<n>, removed with the container
 *
 * A new named or anonymous volume is seeded with what the image has at that path (Docker
 * does the same), so a volume on /var/lib/app starts with the image's files, owners and
 * modes. The copy is `cp -a` from the merged rootfs, resolved inside it (users.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { RuntimeError } from '../errors.js';
import type { SpecMount } from '../spec/schema.js';
import { resolveInRoot } from './users.js';

export interface VolumeFlag {
  /** an absolute host path, a volume name, or undefined for an anonymous volume */
  source?: string;
  destination: string;
  readonly: boolean;
}

/** `-v SRC:DEST[:ro|rw]` or `-v DEST` (anonymous). */
export function parseVolumeFlag(text: string): VolumeFlag {
  const parts = text.split(':');
  let mode: string | undefined;
  if (parts.length === 3 || (parts.length === 2 && (parts[1] === 'ro' || parts[1] === 'rw'))) mode = parts.pop();
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') throw new RuntimeError(`volume ${JSON.stringify(text)}: mode must be ro or rw`);
  const [first, second] = parts;
  const destination = second ?? first ?? '';
  const source = second === undefined ? undefined : first;
  if (!posix.isAbsolute(destination)) throw new RuntimeError(`volume ${JSON.stringify(text)}: the container path must be absolute`);
  if (source !== undefined && !isAbsolute(source) && !/^[A-Za-z0-9][\w.-]*$/.test(source)) {
    throw new RuntimeError(`volume ${JSON.stringify(text)}: ${JSON.stringify(source)} is neither an absolute path nor a volume name`);
  }
  return { source, destination: posix.normalize(destination).replace(/(.)\/$/, '$1'), readonly: mode === 'ro' };
}

export interface VolumeContext {
  /** the mounted overlay, to seed new volumes from */
  rootfs: string;
  /** where anonymous volumes go (removed with the bundle) */
  anonymousDir: string;
  /** where named volumes go (<storage>/volumes) */
  namedDir: string;
}

/** The bind mounts for the -v flags and the image's Volumes; makes the directories. */
export function prepareVolumes(flags: VolumeFlag[], imageVolumes: string[], context: VolumeContext): SpecMount[] {
  const wanted = [...flags];
  for (const path of imageVolumes) {
    const destination = posix.normalize(path).replace(/(.)\/$/, '$1');
    if (!wanted.some((v) => v.destination === destination)) wanted.push({ destination, readonly: false });
  }
  let anonymous = 0;
  return wanted.map((volume) => {
    let source: string;
    if (volume.source === undefined) {
      source = join(context.anonymousDir, String(anonymous++));
      createSeeded(source, volume.destination, context.rootfs);
    } else if (isAbsolute(volume.source)) {
      source = volume.source;
      mkdirSync(source, { recursive: true });
    } else {
      source = join(context.namedDir, volume.source);
      // Owner-only, as the image store: a volume seeded from an image may hold its setuid files.
      mkdirSync(context.namedDir, { recursive: true, mode: 0o700 });
      if (!existsSync(source)) createSeeded(source, volume.destination, context.rootfs);
    }
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
