/**
 * The image config's `User` ("name", "uid", "uid:gid", "name:group"...) as numbers: the
 * uid, gid and supplementary gids the container process gets (process.user in config.json).
 *
 * Names mean what the IMAGE's /etc/passwd and /etc/group say, not the host's, so both
 * files are read from the container's root filesystem, resolving every symlink as if that
 * directory were "/" (resolveInRoot): an image whose /etc/passwd is a symlink to
 * /etc/shadow reads its own /etc/shadow, never the host's. Numeric ids need no files.
 *
 * The rules follow Docker's (moby/sys/user GetExecUser): a user found in passwd gets its
 * primary group from there; without an explicit group, the supplementary groups are
 * those of /etc/group that list the user by name; an unknown numeric uid runs with gid 0.
 */
import { lstatSync, readFileSync, readlinkSync } from 'node:fs';
import { join, posix } from 'node:path';
import { RuntimeError, errorCode } from '../errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The text of the image's /etc/passwd and /etc/group; undefined when the file is absent. */
export interface EtcFiles {
  passwd?: string;
  group?: string;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** the passwd entry's home, for HOME; "/" when the user is not in passwd */
  home: string;
}

/** passwd(5): name:password:uid:gid:gecos:home:shell; malformed lines are skipped, as libc does. */
export function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields = line.split(':');
    const uid = id(fields[2]);
    const gid = id(fields[3]);
    if (!fields[0] || uid === undefined || gid === undefined) continue;
    entries.push({ name: fields[0], uid, gid, home: fields[5] || '/' });
  }
  return entries;
}

/** group(5): name:password:gid:member,member */
export function parseGroup(text: string): GroupEntry[] {
  const entries: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const fields = line.split(':');
    const gid = id(fields[2]);
    if (!fields[0] || gid === undefined) continue;
    entries.push({ name: fields[0], gid, members: (fields[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return entries;
}

function id(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  const n = Number(text.trim());
  return n <= 0xffffffff ? n : undefined;
}

/** `user` as the image config or `-u` gives it; "" means root. */
export function resolveUser(user: string, etc: EtcFiles): ResolvedUser {
  const [userPart = '', groupPart, ...rest] = user.split(':');
  if (rest.length > 0) throw new RuntimeError(`user ${JSON.stringify(user)}: expected user[:group]`);
  const passwd = parsePasswd(etc.passwd ?? '');
  const uidNumber = id(userPart);

  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  const found = userPart === ''
    ? passwd.find((e) => e.uid === 0)
    : passwd.find((e) => (uidNumber === undefined ? e.name === userPart : e.uid === uidNumber));
  if (found) {
    ({ uid, gid, home, name } = found);
  } else if (uidNumber !== undefined || userPart === '') {
    uid = uidNumber ?? 0;
  } else {
    throw new RuntimeError(
      `unable to find user ${userPart}: ${etc.passwd === undefined ? 'the image has no /etc/passwd' : 'no matching entries in /etc/passwd'}`,
    );
  }

  const groups = parseGroup(etc.group ?? '');
  if (groupPart !== undefined && groupPart !== '') {
    const gidNumber = id(groupPart);
    if (gidNumber !== undefined) gid = gidNumber;
    else {
      const group = groups.find((g) => g.name === groupPart);
      if (!group) {
        throw new RuntimeError(
          `unable to find group ${groupPart}: ${etc.group === undefined ? 'the image has no /etc/group' : 'no matching entries in /etc/group'}`,
        );
      }
      gid = group.gid;
    }
    return { uid, gid, additionalGids: [], home };
  }
  const additionalGids = name === undefined
    ? []
    : [...new Set(groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid))];
  return { uid, gid, additionalGids, home };
}

/**
 * The host path of `path` inside `rootfs`, resolving symlinks and ".." the way the kernel
 * would after chroot(rootfs): an absolute link target restarts at rootfs, and ".." stops
 * at it. Components that do not exist are appended as they are (mkdir can create them).
 * This is what openat2(RESOLVE_IN_ROOT) does in the kernel; done here it needs no libc,
 * and is safe as long as nothing else changes the tree meanwhile (the container has not
 * started yet).
 */
export function resolveInRoot(rootfs: string, path: string): string {
  const pending = path.split('/').filter((c) => c && c !== '.');
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const component = pending.shift()!;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const host = join(rootfs, ...resolved, component);
    let isLink = false;
    try {
      isLink = lstatSync(host).isSymbolicLink();
    } catch (error) {
      if (errorCode(error) !== 'ENOENT' && errorCode(error) !== 'ENOTDIR') throw error;
      // Nothing below a missing directory can be a symlink: the rest is plain text.
      for (const rest of [component, ...pending]) {
        if (rest === '..') resolved.pop();
        else resolved.push(rest);
      }
      break;
    }
    if (!isLink) {
      resolved.push(component);
      continue;
    }
    // symlink(7): at most 40 links in one resolution (ELOOP)
    if (++links > 40) throw new RuntimeError(`${path} in ${rootfs}: too many levels of symbolic links`);
    const target = readlinkSync(host);
    if (posix.isAbsolute(target)) resolved.length = 0;
    pending.unshift(...target.split('/').filter((c) => c && c !== '.'));
  }
  return join(rootfs, ...resolved);
}

/** A file of the image read through resolveInRoot; undefined if it is missing or not a regular file. */
export function readFileInRoot(rootfs: string, path: string): string | undefined {
  const host = resolveInRoot(rootfs, path);
  try {
    if (!lstatSync(host).isFile()) return undefined;
    return readFileSync(host, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

export function readEtcFiles(rootfs: string): EtcFiles {
  return { passwd: readFileInRoot(rootfs, '/etc/passwd'), group: readFileInRoot(rootfs, '/etc/group') };
}
