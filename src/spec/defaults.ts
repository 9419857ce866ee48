/**
 * The config.json that `ts-runc spec` writes: the same starter file as `runc spec`
 * (runc libcontainer/specconv/example.go: Example() and, for --rootless, ToRootless()),
 * except for the hostname.
 *
 * It is a starting point to edit, not a recommendation: it runs `sh` with a terminal, as
 * root in the container, with three capabilities and a read-only root filesystem.
 */
import type { Spec, SpecMount } from './schema.js';

/** The runtime-spec version this file follows (runc 1.2+/1.3 vendors runtime-spec 1.2.x). */
export const OCI_VERSION = '1.2.1';

/** runc's three capabilities: enough for `sh`, `kill` and binding ports below 1024. */
const DEFAULT_CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

/**
 * The filesystems config-linux.md#default-filesystems says a container SHOULD have
 * (/proc, /sys, /dev/pts, /dev/shm), plus a tmpfs /dev to hold device nodes, the POSIX
 * message queue filesystem and a read-only view of the cgroup tree.
 */
function defaultMounts(): SpecMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    // newinstance: a devpts of the container's own, so its ptys are not the host's.
    // gid=5 is the conventional "tty" group; ptmxmode=0666 lets any user open /dev/ptmx.
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/** Kernel interfaces that leak host information or allow host-wide actions. */
const MASKED_PATHS = [
  '/proc/acpi', '/proc/asound', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
  '/proc/timer_stats', '/proc/sched_debug', '/sys/firmware', '/proc/scsi', '/sys/devices/virtual/tpm',
];

/** Readable but not writable: writing these would reconfigure the host kernel. */
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function defaultSpec({ rootless }: { rootless: boolean }): Spec {
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...DEFAULT_CAPS], effective: [...DEFAULT_CAPS], permitted: [...DEFAULT_CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'ts-runc',
    mounts: defaultMounts(),
    linux: {
      // Deny every device to the devices cgroup; the default devices are allowed by the
      // runtime itself (config-linux.md#allowed-device-list).
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      // runc adds "cgroup" only on a cgroup v2 host; ts-runc always asks for it, so the
      // container sees its own cgroup as the root of /proc/self/cgroup on either version.
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
  return rootless ? toRootless(spec) : spec;
}

/**
 * runc's ToRootless(): what an unprivileged user can actually set up.
 *
 * - A user namespace mapping container root to the calling user (one id each: an
 *   unprivileged process may only map its own ids, user_namespaces(7)).
 * - No network namespace: an unprivileged user could not connect it to anything.
 * - /sys is bind-mounted from the host instead: mounting a fresh sysfs needs a network
 *   namespace owned by the caller's user namespace (sysfs shows the net devices).
 * - uid=/gid= mount options are dropped: they name ids that may not be mapped.
 * - No cgroup resources: an unprivileged user usually cannot write the cgroup tree.
 */
function toRootless(spec: Spec): Spec {
  const linux = spec.linux ?? {};
  const namespaces = (linux.namespaces ?? []).filter((ns) => ns.type !== 'network' && ns.type !== 'user');
  namespaces.push({ type: 'user' });
  const mounts = (spec.mounts ?? []).map((mount): SpecMount => {
    if (mount.destination === '/sys') {
      return { destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] };
    }
    if (mount.options === undefined) return mount;
    return { ...mount, options: mount.options.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid=')) };
  });
  const { resources: _dropped, ...rest } = linux;
  return {
    ...spec,
    mounts,
    linux: {
      // Key order as runc writes it (Go's struct order): mappings first.
      uidMappings: [{ containerID: 0, hostID: process.geteuid?.() ?? 0, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: process.getegid?.() ?? 0, size: 1 }],
      ...rest,
      namespaces,
    },
  };
}
