/**
 * config.json `mounts` → 'mount' steps (config.md#mounts: "The runtime MUST mount entries in
 * the listed order").
 *
 * Three kinds of entry:
 * - bind mounts (`bind`/`rbind` in options, or type "bind" as runc also accepts): the
 *   source is a host path, absolute or relative to the bundle. The compiler stats it to
 *   know whether the target to create is a file or a directory (a file can only be
 *   bind-mounted onto a file).
 * - type "cgroup": see cgroupStep below.
 * - everything else: a filesystem mount(2) of `type` (proc, tmpfs, devpts, sysfs...).
 */
import { statSync } from 'node:fs';
import { isAbsolute, posix, resolve } from 'node:path';
import { errorCode } from '../errors.js';
import { SpecError } from '../spec/errors.js';
import type { SpecMount } from '../spec/schema.js';
import { FLAG_ORDER, parseMountOptions, type ParsedMountOptions } from './mount-options.js';
import type { MountFlag, Step } from './steps.js';

type MountStep = Extract<Step, { op: 'mount' }>;

export interface MountContext {
  /** The bundle directory, for relative bind-mount sources; undefined if not known. */
  bundle: string | undefined;
  /** The file the mounts came from, for error messages. */
  file: string;
}

/** "/dev/" and "/dev//pts/.." → "/dev": destinations are compared and printed clean. */
export function cleanPath(path: string): string {
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/** config.md#mounts: "A mount is a bind mount if it has either bind or rbind in the options." */
export function isBindMount(mount: SpecMount): boolean {
  return mount.type === 'bind' || parseMountOptions(mount.options ?? []).bind;
}

export function mountSteps(mounts: readonly SpecMount[], context: MountContext): MountStep[] {
  return mounts.map((mount, index) => mountStep(mount, index, context));
}

function mountStep(mount: SpecMount, index: number, context: MountContext): MountStep {
  const where = `mounts[${index}]`;
  const options = parseMountOptions(mount.options ?? []);
  const bad = options.unsupported[0];
  if (bad !== undefined) {
    throw new SpecError(context.file, `${where}.options[${bad.index}]`, `"${bad.option}": ${bad.why} by ts-runc`);
  }
  if ((mount.uidMappings?.length ?? 0) > 0 || (mount.gidMappings?.length ?? 0) > 0) {
    throw new SpecError(context.file, `${where}.uidMappings`, 'idmapped mounts are not supported by ts-runc');
  }
  const target = cleanPath(mount.destination);

  if (mount.type === 'cgroup') return cgroupStep(target, options);
  if (options.bind || mount.type === 'bind') return bindStep(mount, target, options, where, context);

  if (!mount.type) {
    throw new SpecError(context.file, `${where}.type`, 'is required unless the mount is a bind mount ("bind" or "rbind" in options)');
  }
  return {
    op: 'mount',
    source: mount.source ?? mount.type,
    target,
    fstype: mount.type,
    flags: options.flags,
    propagation: options.propagation,
    data: options.data.join(','),
    create: 'dir',
  };
}

function bindStep(mount: SpecMount, target: string, options: ParsedMountOptions, where: string, context: MountContext): MountStep {
  const given = mount.source;
  if (!given) throw new SpecError(context.file, `${where}.source`, 'a bind mount needs a source path');
  let source = given;
  if (!isAbsolute(given)) {
    // config.md#mounts: "Path values for bind mounts are either absolute or relative to
    // the bundle."
    if (context.bundle === undefined) {
      throw new SpecError(context.file, `${where}.source`, `"${given}" is relative, and the bundle directory it is relative to is unknown here`);
    }
    source = resolve(context.bundle, given);
  }
  let isDirectory: boolean;
  try {
    isDirectory = statSync(source).isDirectory();
  } catch (err) {
    throw new SpecError(context.file, `${where}.source`, `cannot bind-mount ${source}: ${errorCode(err) ?? String(err)}`);
  }
  return {
    op: 'mount',
    source,
    target,
    // The kernel ignores the type of a bind mount; "" marks it as one in printed plans.
    fstype: '',
    flags: withFlags(options.flags, ['bind']),
    propagation: options.propagation,
    data: options.data.join(','),
    create: isDirectory ? 'dir' : 'file',
  };
}

/**
 * type "cgroup" (runc mounts a cgroup2 filesystem on a unified host, or one cgroup v1
 * filesystem per controller under a tmpfs on a v1/hybrid host, each bound to the
 * container's own cgroup). Until ts-runc has that (src/cgroups), it bind-mounts the host's
 * /sys/fs/cgroup tree instead, recursively so the v1 controller mounts come along, and
 * always read-only, nosuid, nodev, noexec whatever the options say: a writable view of the
 * host's whole cgroup tree would let the container change other cgroups' limits.
 * The container therefore sees the host's hierarchy, not just its own cgroup.
 */
function cgroupStep(target: string, options: ParsedMountOptions): MountStep {
  return {
    op: 'mount',
    source: '/sys/fs/cgroup',
    target,
    fstype: '',
    flags: withFlags(options.flags, ['bind', 'rec', 'ro', 'nosuid', 'nodev', 'noexec']),
    propagation: options.propagation,
    data: '',
    create: 'dir',
  };
}

function withFlags(flags: readonly MountFlag[], extra: readonly MountFlag[]): MountFlag[] {
  const all = new Set([...flags, ...extra]);
  return FLAG_ORDER.filter((flag) => all.has(flag));
}
