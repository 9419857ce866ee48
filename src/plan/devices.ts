/**
 * Device nodes and the standard /dev links, as plan steps.
 *
 * config-linux.md#default-devices: besides linux.devices, "the runtime MUST also supply"
 * /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty, and /dev/ptmx as
 * "a bind-mount or symlink of the container's /dev/pts/ptmx". config-linux.md#devices lets
 * the runtime supply them "however it likes (with mknod, by bind mounting from the runtime
 * mount namespace, using symlinks, etc.)".
 *
 * mknod(2) of a device needs CAP_MKNOD in the *initial* user namespace, so inside a user
 * namespace the kernel refuses it; there the host's node is bind-mounted onto an empty file
 * instead (what runc does). A fifo needs no privilege, so it is always made with mknod.
 */
import type { SpecDevice } from '../spec/schema.js';
import type { Step } from './steps.js';

/** One device to supply: a config-linux.md#devices entry with its defaults filled in. */
export interface DeviceNode {
  path: string;
  type: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  /** Permission bits (no S_IFMT type bits). */
  mode: number;
  uid: number;
  gid: number;
}

/** The default devices, with the numbers of Documentation/admin-guide/devices.txt. */
export const DEFAULT_DEVICES: readonly DeviceNode[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, mode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, mode: 0o666, uid: 0, gid: 0 },
];

/** A linux.devices entry as a DeviceNode. `u` (unbuffered) is made as a character device. */
export function deviceNode(device: SpecDevice): DeviceNode {
  return {
    path: device.path,
    type: device.type === 'u' ? 'c' : device.type,
    major: device.major ?? 0,
    minor: device.minor ?? 0,
    // fileMode may carry S_IFMT bits (Go's os.FileMode of a device does); mknod's type
    // comes from `type`, so keep only the permission bits. runc's default is 0666.
    mode: (device.fileMode ?? 0o666) & 0o7777,
    uid: device.uid ?? 0,
    gid: device.gid ?? 0,
  };
}

/**
 * The devices to supply: linux.devices, plus each default device not already listed at
 * the same path (a listed one overrides the default, as in runc). /dev/ptmx is left out:
 * it becomes a symlink to the container's own pts/ptmx (see devLinks).
 */
export function containerDevices(specDevices: readonly SpecDevice[]): DeviceNode[] {
  const listed = specDevices.map(deviceNode);
  const paths = new Set(listed.map((d) => d.path));
  const defaults = DEFAULT_DEVICES.filter((d) => !paths.has(d.path));
  return [...defaults, ...listed].filter((d) => d.path !== '/dev/ptmx');
}

/** Steps that make one device: mknod, or a bind mount of the host's node in a user ns. */
export function deviceSteps(device: DeviceNode, inUserNamespace: boolean): Step[] {
  if (inUserNamespace && device.type !== 'p') {
    return [{
      op: 'mount', source: device.path, target: device.path, fstype: '', flags: ['bind'],
      propagation: [], data: '', create: 'file',
    }];
  }
  return [{ op: 'mknod', path: device.path, type: device.type, major: device.major, minor: device.minor, mode: device.mode, uid: device.uid, gid: device.gid }];
}

/**
 * The symlinks programs expect in /dev (runc's setupPtmx and setupDevSymlinks):
 * /dev/ptmx → pts/ptmx so ptys come from the container's own devpts instance
 * (Documentation/filesystems/devpts.rst), and the /proc/self/fd aliases. /dev/core →
 * /proc/kcore only when /proc is mounted (runc checks that /proc/kcore exists).
 */
export function devLinks(procMounted: boolean): Step[] {
  const links: [target: string, path: string][] = [
    ['pts/ptmx', '/dev/ptmx'],
    ['/proc/self/fd', '/dev/fd'],
    ['/proc/self/fd/0', '/dev/stdin'],
    ['/proc/self/fd/1', '/dev/stdout'],
    ['/proc/self/fd/2', '/dev/stderr'],
  ];
  if (procMounted) links.push(['/proc/kcore', '/dev/core']);
  return links.map(([target, path]): Step => ({ op: 'symlink', target, path }));
}
