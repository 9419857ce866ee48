/**
 * fstab-style mount options ("nosuid", "mode=755", "rbind") → what mount(2) takes.
 *
 * config.md#mounts: options are those of mount(8), both filesystem-independent and
 * filesystem-specific. mount(8) turns the independent ones into MS_* flags and passes the
 * rest to the filesystem as the comma-separated `data` string; so does this file (as runc's
 * parseMountOptions does). Propagation options become separate mount(2) calls, because the
 * kernel refuses to combine them with other flags (mount(2): "Changing the propagation type").
 */
import type { MountAttr, MountFlag, Propagation } from './steps.js';

export interface ParsedMountOptions {
  /** MS_* flags by name, in the fixed order of FLAG_ORDER (so plans print stably). */
  flags: MountFlag[];
  /** Propagation changes, in the order given. */
  propagation: Propagation[];
  /** Filesystem-specific options, in the order given ("mode=755", "size=65536k"). */
  data: string[];
  /** `bind` or `rbind` was given (config.md#mounts: "A mount is a bind mount if it has
   *  either bind or rbind in the options"). */
  bind: boolean;
  /** runc's `tmpcopyup` extension: fill a new tmpfs with what the directory had. */
  copyUp: boolean;
  /** runc's recursive attributes (`rro`, `rnosuid`...): what mount_setattr(2) with
   *  AT_RECURSIVE sets and clears on the mount and every mount below it; undefined when
   *  none was given. */
  recursive: RecursiveAttrs | undefined;
  /** Options ts-runc recognises but cannot honour, with why; the caller reports them. */
  unsupported: { index: number; option: string; why: string }[];
}

export interface RecursiveAttrs {
  set: MountAttr[];
  clear: MountAttr[];
}

/** The order flags are listed in a plan step. */
export const FLAG_ORDER: readonly MountFlag[] = [
  'ro', 'nosuid', 'nodev', 'noexec', 'sync', 'dirsync', 'remount', 'mand', 'noatime', 'nodiratime',
  'relatime', 'strictatime', 'bind', 'rec', 'silent', 'acl', 'iversion', 'lazytime', 'nosymfollow',
];

/** Options that set flags. */
const SETS: Record<string, MountFlag[]> = {
  ro: ['ro'], nosuid: ['nosuid'], nodev: ['nodev'], noexec: ['noexec'], sync: ['sync'],
  dirsync: ['dirsync'], remount: ['remount'], mand: ['mand'], noatime: ['noatime'],
  nodiratime: ['nodiratime'], relatime: ['relatime'], strictatime: ['strictatime'],
  silent: ['silent'], bind: ['bind'], rbind: ['bind', 'rec'],
  // In runc's table too (libcontainer/specconv mountFlags); nosymfollow since Linux 5.10.
  acl: ['acl'], iversion: ['iversion'], lazytime: ['lazytime'], nosymfollow: ['nosymfollow'],
};

/** Options that clear a flag set by an earlier option (or by default). */
const CLEARS: Record<string, MountFlag | null> = {
  rw: 'ro', suid: 'nosuid', dev: 'nodev', exec: 'noexec', async: 'sync', nomand: 'mand',
  atime: 'noatime', diratime: 'nodiratime', norelatime: 'relatime', nostrictatime: 'strictatime',
  loud: 'silent', noacl: 'acl', noiversion: 'iversion', nolazytime: 'lazytime', symfollow: 'nosymfollow',
  // "defaults" means rw,suid,dev,exec,auto,nouser,async: nothing to set.
  defaults: null,
};

const PROPAGATIONS: ReadonlySet<string> = new Set<Propagation>([
  'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable',
]);

/** Options with a meaning ts-runc does not implement (yet); silently ignoring them could
 *  weaken the container, so they are errors. */
const UNSUPPORTED: Record<string, string> = {
  idmap: 'idmapped mounts are not supported',
  ridmap: 'idmapped mounts are not supported',
};

/**
 * runc's recursive attributes (libcontainer/specconv recAttrFlags), applied with
 * mount_setattr(2) and AT_RECURSIVE to the mount and every mount below it, where a plain
 * `ro` (MS_REMOUNT|MS_BIND|MS_RDONLY) only changes the top one: `rbind,ro` of a tree with
 * submounts leaves the submounts writable, `rbind,rro` does not.
 *
 * The access-time settings are one value, not bits: mount_setattr(2) "cannot simply specify
 * the access-time setting in attr_set, but must also include MOUNT_ATTR__ATIME in the
 * attr_clr field", so each of them clears 'atime' (the whole field) and sets its value
 * (relatime is the value 0). runc clears a single bit for ratime/rnostrictatime, which the
 * kernel refuses with EINVAL; here they select relatime, the kernel's default, and
 * rnorelatime strictatime, as norelatime does for mount(8).
 */
const RECURSIVE: Record<string, { set?: MountAttr; clear?: MountAttr }> = {
  rro: { set: 'ro' }, rrw: { clear: 'ro' },
  rnosuid: { set: 'nosuid' }, rsuid: { clear: 'nosuid' },
  rnodev: { set: 'nodev' }, rdev: { clear: 'nodev' },
  rnoexec: { set: 'noexec' }, rexec: { clear: 'noexec' },
  rnodiratime: { set: 'nodiratime' }, rdiratime: { clear: 'nodiratime' },
  rnosymfollow: { set: 'nosymfollow' }, rsymfollow: { clear: 'nosymfollow' },
  rnoatime: { set: 'noatime', clear: 'atime' }, rstrictatime: { set: 'strictatime', clear: 'atime' },
  rrelatime: { set: 'relatime', clear: 'atime' }, ratime: { set: 'relatime', clear: 'atime' },
  rnostrictatime: { set: 'relatime', clear: 'atime' }, rnorelatime: { set: 'strictatime', clear: 'atime' },
};

/** The order attributes are listed in a plan step. */
const ATTR_ORDER: readonly MountAttr[] = ['ro', 'nosuid', 'nodev', 'noexec', 'atime', 'relatime', 'noatime', 'strictatime', 'nodiratime', 'nosymfollow'];
const ATIME_VALUES: ReadonlySet<MountAttr> = new Set(['relatime', 'noatime', 'strictatime']);

/** Every option this file understands, sorted, for `ts-runc features` (runc's KnownMountOptions). */
export const KNOWN_MOUNT_OPTIONS: readonly string[] = [
  ...Object.keys(SETS), ...Object.keys(CLEARS), ...PROPAGATIONS, ...Object.keys(RECURSIVE), 'tmpcopyup',
].sort();

export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  const flags = new Set<MountFlag>();
  const propagation: Propagation[] = [];
  const data: string[] = [];
  const unsupported: ParsedMountOptions['unsupported'] = [];
  let copyUp = false;
  const set = new Set<MountAttr>();
  const clear = new Set<MountAttr>();
  options.forEach((option, index) => {
    const sets = SETS[option];
    if (option === 'tmpcopyup') {
      copyUp = true;
      return;
    }
    const clears = CLEARS[option];
    if (sets !== undefined) {
      for (const flag of sets) flags.add(flag);
    } else if (clears !== undefined) {
      if (clears !== null) flags.delete(clears);
    } else if (PROPAGATIONS.has(option)) {
      propagation.push(option as Propagation);
    } else if (UNSUPPORTED[option] !== undefined) {
      unsupported.push({ index, option, why: UNSUPPORTED[option] });
    } else if (RECURSIVE[option] !== undefined) {
      // Later options win, as for flags: "rro,rrw" leaves the mount writable.
      const attr = RECURSIVE[option];
      if (attr.clear === 'atime') for (const value of ATIME_VALUES) set.delete(value);
      if (attr.clear !== undefined) {
        set.delete(attr.clear);
        clear.add(attr.clear);
      }
      if (attr.set !== undefined) {
        set.add(attr.set);
        if (attr.clear !== 'atime') clear.delete(attr.set);
      }
    } else {
      data.push(option);
    }
  });
  return {
    flags: FLAG_ORDER.filter((flag) => flags.has(flag)),
    propagation,
    data,
    bind: flags.has('bind'),
    copyUp,
    recursive: set.size + clear.size > 0
      ? { set: ATTR_ORDER.filter((a) => set.has(a)), clear: ATTR_ORDER.filter((a) => clear.has(a)) }
      : undefined,
    unsupported,
  };
}
