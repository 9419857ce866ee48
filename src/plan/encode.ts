/**
 * The plan on the wire, for the C init (native/init/).
 *
 * Format (all integers u32 little-endian):
 *   plan   := nsteps step*
 *   step   := nfields field*          field 0 is the op name ("mount"), the rest below
 *   field  := len bytes               (no terminating NUL; numbers as decimal text,
 *                                      lists as a count field then one field per item)
 *
 * Decimal text keeps the C side to strtoll() and makes a hex dump readable. The field order
 * of each op is written once, here, and mirrored by the table of ops in native/init/steps.c.
 */
import type { MountAttr, MountFlag, Plan, Propagation, Step } from './steps.js';

/** MS_* values from <linux/mount.h>. */
export const MOUNT_FLAGS: Record<MountFlag, number> = {
  ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8, sync: 0x10, remount: 0x20, mand: 0x40,
  dirsync: 0x80, noatime: 0x400, nodiratime: 0x800, bind: 0x1000, rec: 0x4000,
  silent: 0x8000, relatime: 0x200000, strictatime: 0x1000000,
  acl: 0x10000, iversion: 0x800000, lazytime: 0x2000000, nosymfollow: 0x100,
};

/** MOUNT_ATTR_* values from <linux/mount.h> (mount_setattr(2)). */
export const MOUNT_ATTRS: Record<MountAttr, number> = {
  ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8, atime: 0x70, relatime: 0x0, noatime: 0x10,
  strictatime: 0x20, nodiratime: 0x80, nosymfollow: 0x200000,
};

function mountAttrBits(attrs: MountAttr[]): number {
  return attrs.reduce((bits, a) => bits | MOUNT_ATTRS[a], 0);
}

/** Propagation types; the r* forms add MS_REC. */
export const PROPAGATION_FLAGS: Record<Propagation, number> = {
  unbindable: 0x20000, runbindable: 0x20000 | 0x4000,
  private: 0x40000, rprivate: 0x40000 | 0x4000,
  slave: 0x80000, rslave: 0x80000 | 0x4000,
  shared: 0x100000, rshared: 0x100000 | 0x4000,
};

export function mountFlagBits(flags: MountFlag[]): number {
  return flags.reduce((bits, f) => bits | MOUNT_FLAGS[f], 0);
}

type Field = string | number | bigint;

/** The fields of one step after its op name, in the order native/init/steps.c lists them. */
export function stepFields(step: Step): Field[] {
  const list = (items: Field[]): Field[] => [items.length, ...items];
  switch (step.op) {
    case 'set-root-propagation': return [PROPAGATION_FLAGS[step.propagation]];
    case 'bind-rootfs': return [step.rootfs];
    case 'mount':
      return [step.source, step.target, step.fstype, mountFlagBits(step.flags),
        ...list(step.propagation.map((p) => PROPAGATION_FLAGS[p])), step.data, step.create];
    case 'mount-copy-up':
      return [step.target, step.fstype, mountFlagBits(step.flags), ...list(step.propagation.map((p) => PROPAGATION_FLAGS[p])), step.data];
    case 'mount-setattr': return [step.target, mountAttrBits(step.set), mountAttrBits(step.clear)];
    case 'remount-readonly': return [step.target, mountFlagBits(step.flags)];
    case 'mkdir': return [step.path, step.mode];
    case 'mknod': return [step.path, step.type, step.major, step.minor, step.mode, step.uid, step.gid];
    case 'symlink': return [step.target, step.path];
    case 'pivot-root': return [];
    case 'move-root': return [];
    case 'chroot': return [step.rootfs];
    case 'mask-path': return [step.path];
    case 'readonly-path': return [step.path];
    case 'remount-root-readonly': return [];
    case 'sethostname': return [step.name];
    case 'setdomainname': return [step.name];
    case 'sysctl': return [step.key, step.value];
    case 'setrlimit': return [step.resource, step.soft, step.hard];
    case 'join-session-keyring': return [step.name];
    case 'terminal': return [step.width, step.height];
    case 'run-hook':
      return [step.name, step.path, ...list(step.args), ...list(step.env), step.timeout, step.state];
    case 'drop-bounding-caps': return list(step.keep);
    case 'switch-user': return [step.uid, step.gid, ...list(step.additionalGids)];
    case 'set-capabilities':
      return [...list(step.effective), ...list(step.permitted), ...list(step.inheritable), ...list(step.ambient)];
    case 'lookup-home': return [step.uid];
    case 'umask': return [step.mask];
    case 'chdir': return [step.path];
    case 'chdir-as-user': return [step.path];
    case 'no-new-privileges': return [];
    case 'seccomp': return [step.program, step.flags];
    case 'close-fds': return [];
    case 'find-executable': return [step.path, ...list(step.env)];
    case 'wait-for-start': return [];
    case 'run-runtime-hooks': return [];
    case 'exec': return [step.path, ...list(step.args), ...list(step.env)];
    default: {
      const never: never = step;
      throw new Error(`unknown step ${JSON.stringify(never)}`);
    }
  }
}

/** Encode a list of string fields: nfields, then len+bytes each. */
export function encodeFields(fields: Field[]): Buffer {
  // One buffer, sized first: a plan has some 80 steps of ~6 fields, and a Buffer per field
  // and per length cost `create` ~3 ms (issue 14).
  const strings = fields.map(String);
  let size = 4;
  for (const text of strings) size += 4 + Buffer.byteLength(text, 'utf8');
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32LE(strings.length, 0);
  for (const text of strings) {
    const length = out.write(text, at + 4, 'utf8');
    out.writeUInt32LE(length, at);
    at += 4 + length;
  }
  return out;
}

export function encodePlan(plan: Plan): Buffer {
  return Buffer.concat([
    u32(plan.steps.length),
    ...plan.steps.map((step) => encodeFields([step.op, ...stepFields(step)])),
  ]);
}

export function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}
