/**
 * fstab-style mount options ("nosuid", "mode=755", "rbind") → what mount(2) takes.
 *
 * config.md#mounts: options are those of mount(8), both filesystem-independent and
 * filesystem-specific. mount(8) turns the independent ones into MS_* flags and passes the
 * rest to the filesystem as the comma-separated `data` string; so does this file (as runc's
 * parseMountOptions does). Propagation options become separate mount(2) calls, because the
 * kernel refuses to combine them with other flags (mount(2): "Changing the propagation type").
 */
import type { MountFlag, Propagation } from './steps.js';

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
  /** Options ts-runc recognises but cannot honour, with why; the caller reports them. */
  unsupported: { index: number; option: string; why: string }[];
}

/** The order flags are listed in a plan step. */
export const FLAG_ORDER: readonly MountFlag[] = [
  'ro', 'nosuid', 'nodev', 'noexec', 'sync', 'dirsync', 'remount', 'mand', 'noatime', 'nodiratime',
  'relatime', 'strictatime', 'bind', 'rec', 'silent',
];

/** Options that set flags. */
const SETS: Record<string, MountFlag[]> = {
  ro: ['ro'], nosuid: ['nosuid'], nodev: ['nodev'], noexec: ['noexec'], sync: ['sync'],
  dirsync: ['dirsync'], remount: ['remount'], mand: ['mand'], noatime: ['noatime'],
  nodiratime: ['nodiratime'], relatime: ['relatime'], strictatime: ['strictatime'],
  silent: ['silent'], bind: ['bind'], rbind: ['bind', 'rec'],
};

/** Options that clear a flag set by an earlier option (or by default). */
const CLEARS: Record<string, MountFlag | null> = {
  rw: 'ro', suid: 'nosuid', dev: 'nodev', exec: 'noexec', async: 'sync', nomand: 'mand',
  atime: 'noatime', diratime: 'nodiratime', norelatime: 'relatime', nostrictatime: 'strictatime',
  loud: 'silent',
  // No-ops: "defaults" means rw,suid,dev,exec,auto,nouser,async; the rest clear flags
  // that ts-runc never sets.
  defaults: null, noacl: null, noiversion: null, nolazytime: null, symfollow: null,
};

const PROPAGATIONS: ReadonlySet<string> = new Set<Propagation>([
  'shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate', 'unbindable', 'runbindable',
]);

/** Options with a meaning ts-runc does not implement (yet); silently ignoring them could
 *  weaken the container, so they are errors. */
const UNSUPPORTED: Record<string, string> = {
  acl: 'MS_POSIXACL is not supported',
  iversion: 'MS_I_VERSION is not supported',
  lazytime: 'MS_LAZYTIME is not supported',
  nosymfollow: 'MS_NOSYMFOLLOW is not supported',
  idmap: 'idmapped mounts are not supported',
  ridmap: 'idmapped mounts are not supported',
};

/** runc's recursive attributes (rro, rnosuid...), applied with mount_setattr(2). */
const RECURSIVE_ATTRS = /^r(ro|rw|nosuid|suid|nodev|dev|noexec|exec|noatime|atime|nodiratime|diratime|relatime|norelatime|strictatime|nostrictatime|nosymfollow|symfollow)$/;

export function parseMountOptions(options: readonly string[]): ParsedMountOptions {
  const flags = new Set<MountFlag>();
  const propagation: Propagation[] = [];
  const data: string[] = [];
  const unsupported: ParsedMountOptions['unsupported'] = [];
  let copyUp = false;
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
    } else if (RECURSIVE_ATTRS.test(option)) {
      unsupported.push({ index, option, why: 'recursive mount attributes (mount_setattr(2)) are not supported' });
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
    unsupported,
  };
}
