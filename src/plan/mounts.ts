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
import { statfsSync, statSync } from 'node:fs';
import { isAbsolute, posix, resolve } from 'node:path';
import { errorCode } from '../errors.js';
import { SpecError } from '../spec/errors.js';
import type { SpecMount } from '../spec/schema.js';
import { FLAG_ORDER, parseMountOptions, type ParsedMountOptions } from './mount-options.js';
import type { MountFlag, Step } from './steps.js';

type MountStep = Extract<Step, { op: 'mount' | 'mount-copy-up' }>;
type FinalStep = Extract<Step, { op: 'remount-readonly' | 'mount-setattr' }>;

/** The spec's mounts as steps: those made in the listed order before pivot_root, and those
 *  that must wait until everything inside the mounts is in place (see deferredReadOnly). */
export interface MountPlan {
  mounts: (MountStep | Extract<Step, { op: 'mount-setattr' }>)[];
  finalize: FinalStep[];
}

export interface MountContext {
  /** The bundle directory, for relative bind-mount sources; undefined if not known. */
  bundle: string | undefined;
  /** The file the mounts came from, for error messages. */
  file: string;
  /** The container's cgroups, one per hierarchy, for a "cgroup" mount. */
  cgroups: readonly CgroupView[];
  /** A new cgroup namespace is created: cgroup filesystems mounted in it are rooted at the
   *  container's own cgroup (cgroup_namespaces(7)). */
  cgroupns: boolean;
  /** Sources not there yet that `create` makes as files before the plan runs. */
  pendingFiles?: readonly string[];
}

/** One cgroup hierarchy as the container should see it under /sys/fs/cgroup. */
export interface CgroupView {
  /** directory under the mount point ("memory", "systemd", "unified"); "" when the host
   *  is unified and the one cgroup2 tree is mounted at the mount point itself */
  name: string;
  fstype: 'cgroup' | 'cgroup2';
  /** mount data: the v1 controllers ("cpu", "none,name=systemd"); "" for cgroup2 */
  data: string;
  /** the container's cgroup directory on the host, bind-mounted when there is no cgroupns */
  hostDir: string;
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

export function mountSteps(mounts: readonly SpecMount[], context: MountContext): MountPlan {
  const plan: MountPlan = { mounts: [], finalize: [] };
  mounts.forEach((mount, index) => {
    const options = parseMountOptions(mount.options ?? []);
    const target = cleanPath(mount.destination);
    const steps = mountStep(mount, index, options, context);
    const recursive = options.recursive
      ? [{ op: 'mount-setattr', target, set: options.recursive.set, clear: options.recursive.clear } as const]
      : [];
    const deferred = deferredReadOnly(steps);
    if (deferred) {
      plan.mounts.push({ ...deferred, flags: deferred.flags.filter((f) => f !== 'ro') });
      if (deferred.flags.includes('ro')) plan.finalize.push({ op: 'remount-readonly', target, flags: deferred.flags });
      plan.finalize.push(...recursive);
    } else {
      plan.mounts.push(...steps, ...recursive);
    }
  });
  return plan;
}

/**
 * A tmpfs, or any filesystem mounted on /dev, is mounted writable first: later steps put
 * things inside it (device nodes and /dev/pts in /dev, a mount point for a later entry of
 * `mounts`), which a read-only mount refuses with EROFS. Its `ro` and recursive attributes
 * are applied at the end, after the masks, as runc's mountPropagate and finalizeRootfs do.
 * (runc applies recursive attributes to bind mounts only and drops them silently on other
 * types; here they are applied to every type.) A bind mount keeps its flags at once.
 */
function deferredReadOnly(steps: MountStep[]): Extract<MountStep, { op: 'mount' }> | undefined {
  const only = steps.length === 1 ? steps[0] : undefined;
  if (only?.op !== 'mount' || only.flags.includes('bind')) return undefined;
  return only.fstype === 'tmpfs' || only.target === '/dev' ? only : undefined;
}

function mountStep(mount: SpecMount, index: number, options: ParsedMountOptions, context: MountContext): MountStep[] {
  const where = `mounts[${index}]`;
  const bad = options.unsupported[0];
  if (bad !== undefined) {
    throw new SpecError(context.file, `${where}.options[${bad.index}]`, `"${bad.option}": ${bad.why} by ts-runc`);
  }
  if ((mount.uidMappings?.length ?? 0) > 0 || (mount.gidMappings?.length ?? 0) > 0) {
    throw new SpecError(context.file, `${where}.uidMappings`, 'idmapped mounts are not supported by ts-runc');
  }
  const target = cleanPath(mount.destination);

  if (mount.type === 'cgroup') return cgroupSteps(target, options, context);
  const bind = options.bind || mount.type === 'bind';
  if (bind || !PROC_SAFE_TYPES.has(mount.type ?? '')) checkProcMount(mount, target, bind, where, context);
  if (bind) return [bindStep(mount, target, options, where, context)];

  if (!mount.type) {
    throw new SpecError(context.file, `${where}.type`, 'is required unless the mount is a bind mount ("bind" or "rbind" in options)');
  }
  if (options.copyUp) {
    if (mount.type !== 'tmpfs') throw new SpecError(context.file, `${where}.options`, '"tmpcopyup" needs a tmpfs mount');
    return [{ op: 'mount-copy-up', target, fstype: mount.type, flags: options.flags, propagation: options.propagation, data: options.data.join(',') }];
  }
  return [{
    op: 'mount',
    source: mount.source ?? mount.type,
    target,
    fstype: mount.type,
    flags: options.flags,
    propagation: options.propagation,
    data: options.data.join(','),
    create: 'dir',
  }];
}

/** Types runc mounts without checkProcMount: their own kind of filesystem, no host source. */
const PROC_SAFE_TYPES: ReadonlySet<string> = new Set(['proc', 'sysfs', 'tmpfs', 'mqueue']);

/** The files under /proc that lxcfs replaces with its own, which runc lets a bind mount cover. */
const LXCFS_PROC_FILES: ReadonlySet<string> = new Set([
  '/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime',
  '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid',
]);

const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * runc's checkProcMount (libcontainer/rootfs_linux.go): nothing but a procfs may be mounted
 * on /proc, and nothing at all inside it but the files lxcfs emulates. A bind mount over
 * /proc/sys/kernel/core_pattern or /proc/self/attr would let the container (or a config)
 * replace what the kernel and the runtime read there with files of its own choosing.
 * Here on the destination as written; the init resolves it inside the rootfs later.
 */
function checkProcMount(mount: SpecMount, target: string, bind: boolean, where: string, context: MountContext): void {
  if (target === '/proc') {
    let isProc = false;
    if (bind && mount.source) {
      const source = isAbsolute(mount.source) || context.bundle === undefined ? mount.source : resolve(context.bundle, mount.source);
      try {
        isProc = Number(statfsSync(source).type) === PROC_SUPER_MAGIC;
      } catch {
        return; // a missing source is reported by bindStep, naming its path
      }
    }
    if (!isProc) throw new SpecError(context.file, `${where}.destination`, '"/proc" cannot be mounted because it is not of type proc (runc\'s checkProcMount)');
  } else if (target.startsWith('/proc/') && !LXCFS_PROC_FILES.has(target)) {
    throw new SpecError(context.file, `${where}.destination`, `"${target}" cannot be mounted because it is inside /proc (runc's checkProcMount)`);
  }
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
  let isDirectory = false;
  try {
    if (!context.pendingFiles?.includes(source)) isDirectory = statSync(source).isDirectory();
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
 * type "cgroup", as runc does it: the container sees only its own cgroups.
 *
 * - unified host: one cgroup2 filesystem at the mount point;
 * - v1 or hybrid host: a tmpfs at the mount point, one cgroup filesystem per hierarchy in
 *   it ("memory", "cpu", "systemd", and "unified" for a hybrid host's cgroup2), and the
 *   tmpfs remounted read-only at the end if the mount asked for `ro`.
 *
 * In a new cgroup namespace each is a real cgroup mount, whose root is the namespace's root:
 * the container's own cgroup. Without one, the container's cgroup directories are
 * bind-mounted from the host instead. Either way nosuid, nodev and noexec are always set,
 * and the host's other cgroups are never visible, let alone writable.
 */
function cgroupSteps(target: string, options: ParsedMountOptions, context: MountContext): MountStep[] {
  const flags = withFlags(options.flags.filter((f) => f !== 'bind' && f !== 'rec'), ['nosuid', 'nodev', 'noexec']);
  const one = (view: CgroupView, at: string): Extract<MountStep, { op: 'mount' }> => (context.cgroupns
    ? { op: 'mount', source: 'cgroup', target: at, fstype: view.fstype, flags, propagation: [], data: view.data, create: 'dir' }
    : { op: 'mount', source: view.hostDir, target: at, fstype: '', flags: withFlags(flags, ['bind']), propagation: [], data: '', create: 'dir' });
  const unified = context.cgroups.length === 1 && context.cgroups[0]!.name === '';
  if (unified) return [{ ...one(context.cgroups[0]!, target), propagation: options.propagation }];
  const base: MountFlag[] = ['nosuid', 'nodev', 'noexec'];
  const remountReadonly: MountStep = {
    op: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: withFlags(base, ['remount', 'ro']), propagation: [], data: '', create: 'dir',
  };
  return [
    { op: 'mount', source: 'tmpfs', target, fstype: 'tmpfs', flags: base, propagation: options.propagation, data: 'mode=755', create: 'dir' },
    ...context.cgroups.map((view) => one(view, posix.join(target, view.name))),
    ...(flags.includes('ro') ? [remountReadonly] : []),
  ];
}

function withFlags(flags: readonly MountFlag[], extra: readonly MountFlag[]): MountFlag[] {
  const all = new Set([...flags, ...extra]);
  return FLAG_ORDER.filter((flag) => all.has(flag));
}

/**
 * The host paths the plan bind-mounts, once each. In a new user namespace the init mounts
 * them from fds stage 0 opened as the host's root (native/init/mount-sources.c), as runc
 * does: the namespace's root (an unprivileged host uid) may not be allowed to reach them.
 */
export function bindSources(steps: readonly Step[]): string[] {
  const sources = steps.flatMap((step) => (step.op === 'mount' && step.flags.includes('bind') && isAbsolute(step.source) ? [step.source] : []));
  return [...new Set(sources)];
}
