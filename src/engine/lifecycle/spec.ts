/**
 * A container's record → its config.json: Docker's daemon step between `docker create` and
 * runc (moby daemon/oci_linux.go). The process (Entrypoint + Cmd, Env, User, WorkingDir,
 * seccomp) is image-spec.ts's imageSpec, given the record's merged Config as if it were the
 * image's; the HostConfig settings are then applied here, each with the spec field it sets:
 *
 *   -m / --memory-reservation / --memory-swap  linux.resources.memory {limit, reservation, swap}
 *   --cpus                                     linux.resources.cpu {quota, period=100000}
 *   --cpu-shares / --cpuset-cpus               linux.resources.cpu {shares, cpus}
 *   --pids-limit                               linux.resources.pids.limit
 *   --cap-add / --cap-drop ("ALL" allowed)     process.capabilities (bounding = effective = permitted)
 *   --privileged                               every capability, no seccomp, no masked or
 *                                              read-only paths, /sys and cgroups rw, every device allowed
 *   --read-only                                root.readonly
 *   --ulimit                                   process.rlimits
 *   --device                                   linux.devices + an allow rule in resources.devices
 *   --group-add                                process.user.additionalGids
 *   --tmpfs                                    a tmpfs mount (options as given)
 *   --sysctl                                   linux.sysctl
 *   --shm-size                                 the /dev/shm mount's size=
 *   --init                                     /sbin/docker-init bound read-only, prepended to args
 *
 * Pure apart from stat(2) of --device paths: the unit tests check the mapping without root.
 */
import { statSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../../errors.js';
import { securityOptions } from '../../image/security-opts.js';
import { imageSpec, type ImageSource } from '../../image/image-spec.js';
import type { ImageConfig } from '../../image/types.js';
import type { EtcFiles } from '../../image/users.js';
import type { Spec, SpecMount } from '../../spec/schema.js';
import type { ContainerRecord, HostConfig } from '../types.js';

/** Where --init's program appears in the container, as Docker's. */
export const INIT_PATH = '/sbin/docker-init';

export interface SpecInputs {
  record: ContainerRecord;
  /** the image's name as the user gave it, for the annotations */
  imageName: string;
  /** volumes, binds and the network's files, made by the caller */
  mounts: SpecMount[];
  etc: EtcFiles;
  /** the copy of ts-runc-pid1 in the container's directory, when --init */
  initCopy?: string;
}

export function containerSpec(inputs: SpecInputs): Spec {
  const { record } = inputs;
  const config = record.Config;
  const host = record.HostConfig;
  const imageConfig: ImageConfig = {
    config: {
      Env: config.Env ?? [],
      Entrypoint: config.Entrypoint ?? undefined,
      Cmd: config.Cmd ?? undefined,
      WorkingDir: config.WorkingDir ?? '',
      User: config.User ?? '',
      Labels: config.Labels,
      StopSignal: config.StopSignal,
      ExposedPorts: config.ExposedPorts,
    },
  } as ImageConfig;
  const source: ImageSource = { id: record.Image, name: inputs.imageName, config: imageConfig };
  const security = securityOptions((host.SecurityOpt ?? []).filter((opt) => opt !== 'label=disable' && opt !== 'label:disable'));
  const spec = imageSpec(source, {
    id: record.Id,
    command: [],
    env: [],
    terminal: config.Tty === true,
    hostname: config.Hostname || undefined,
    mounts: inputs.mounts,
    ...security,
    ...(host.Privileged ? { seccomp: 'unconfined' as const } : {}),
  }, inputs.etc, {});
  if (config.Domainname) spec.domainname = config.Domainname;
  spec.annotations = { ...spec.annotations, 'io.ts-runc.engine.name': record.Name.replace(/^\//, '') };
  applyHostConfig(spec, host, inputs.initCopy);
  return spec;
}

/** The HostConfig settings above, on a spec imageSpec made. Exported for the unit tests. */
export function applyHostConfig(spec: Spec, host: HostConfig, initCopy?: string): void {
  const process = spec.process!;
  const linux = (spec.linux ??= {});
  const resources = (linux.resources ??= {});

  // capabilities: Docker applies --cap-add/--cap-drop to its default set (oci/caps TweakCapabilities)
  let caps = process.capabilities?.bounding ?? [];
  if (host.Privileged) caps = allCapabilities();
  caps = tweakCapabilities(caps, host.CapAdd ?? [], host.CapDrop ?? []);
  process.capabilities = { bounding: [...caps], effective: [...caps], permitted: [...caps] };

  if (host.Privileged) {
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    for (const mount of spec.mounts ?? []) {
      if (mount.destination === '/sys' || mount.destination === '/sys/fs/cgroup') mount.options = (mount.options ?? []).filter((o) => o !== 'ro');
    }
    resources.devices = [{ allow: true, access: 'rwm' }];
  }
  if (host.ReadonlyRootfs) spec.root = { path: spec.root?.path ?? 'rootfs', readonly: true };

  const memory: NonNullable<typeof resources.memory> = {};
  if (host.Memory) memory.limit = host.Memory;
  if (host.MemoryReservation) memory.reservation = host.MemoryReservation;
  if (host.MemorySwap) {
    // Docker's --memory-swap is memory + swap (-1 unlimited) and needs -m
    if (host.MemorySwap !== -1 && !host.Memory) throw new RuntimeError('--memory-swap needs --memory (-m) too: it is the total of memory and swap');
    if (host.MemorySwap !== -1 && host.MemorySwap < (host.Memory ?? 0)) throw new RuntimeError('--memory-swap must be at least --memory (it is the total of memory and swap)');
    memory.swap = host.MemorySwap;
  }
  if (Object.keys(memory).length > 0) resources.memory = memory;
  const cpu: NonNullable<typeof resources.cpu> = {};
  if (host.NanoCpus) {
    // --cpus N = a quota of N periods per 100 ms period (moby daemon_unix.go)
    cpu.period = 100_000;
    cpu.quota = Math.round((host.NanoCpus / 1e9) * 100_000);
  }
  if (host.CpuShares) cpu.shares = host.CpuShares;
  if (host.CpusetCpus) cpu.cpus = host.CpusetCpus;
  if (Object.keys(cpu).length > 0) resources.cpu = cpu;
  if (host.PidsLimit !== undefined && host.PidsLimit !== null && host.PidsLimit !== 0) resources.pids = { limit: host.PidsLimit < 0 ? -1 : host.PidsLimit };
  if (Object.keys(resources).length === 0) delete linux.resources;

  if (host.Ulimits?.length) {
    process.rlimits = host.Ulimits.map((u) => ({ type: `RLIMIT_${u.Name.toUpperCase()}`, soft: u.Soft, hard: u.Hard })) as typeof process.rlimits;
  }
  if (host.GroupAdd?.length) {
    const gids = host.GroupAdd.map((group) => {
      if (!/^\d+$/.test(group)) throw new RuntimeError(`--group-add ${group}: give a numeric group id (names are not looked up yet)`);
      return Number(group);
    });
    process.user = { ...process.user, additionalGids: [...(process.user.additionalGids ?? []), ...gids] };
  }
  if (host.Sysctls && Object.keys(host.Sysctls).length > 0) linux.sysctl = { ...linux.sysctl, ...host.Sysctls };
  for (const device of host.Devices ?? []) addDevice(spec, device);
  const mounts = spec.mounts ?? [];
  for (const [target, options] of Object.entries(host.Tmpfs ?? {})) {
    if (!target.startsWith('/')) throw new RuntimeError(`--tmpfs ${target}: the path must be absolute`);
    spec.mounts = [...mounts.filter((m) => m.destination !== target), {
      destination: target, type: 'tmpfs', source: 'tmpfs',
      options: ['nosuid', 'nodev', 'noexec', ...(options ? options.split(',') : [])],
    }];
  }
  if (host.ShmSize) {
    for (const mount of spec.mounts ?? []) {
      if (mount.destination === '/dev/shm') mount.options = [...(mount.options ?? []).filter((o) => !o.startsWith('size=')), `size=${host.ShmSize}`];
    }
  }
  if (host.Init) {
    if (!initCopy) throw new RuntimeError('--init: the init program was not prepared');
    spec.mounts = [...(spec.mounts ?? []), { destination: INIT_PATH, type: 'bind', source: initCopy, options: ['bind', 'ro', 'nosuid', 'nodev'] }];
    process.args = [INIT_PATH, ...(process.args ?? [])];
  }
}

/** Docker's rule: "ALL" in --cap-add gives every capability, in --cap-drop takes them all. */
export function tweakCapabilities(base: string[], add: string[], drop: string[]): string[] {
  const norm = (c: string) => {
    const upper = c.toUpperCase();
    return upper === 'ALL' ? 'ALL' : upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  };
  const adds = add.map(norm);
  const drops = drop.map(norm);
  let caps = drops.includes('ALL') ? [] : base.filter((c) => !drops.includes(c));
  if (adds.includes('ALL')) caps = allCapabilities().filter((c) => !drops.includes(c));
  for (const cap of adds) if (cap !== 'ALL' && !caps.includes(cap)) caps.push(cap);
  return caps;
}

/** Every capability this kernel knows (capabilities(7); cap_last_cap). */
function allCapabilities(): string[] {
  return [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
    'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
    'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
    'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
    'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
    'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
  ];
}

/** --device /dev/x[:/dev/y[:rwm]]: the node is made in the container (not bound) and allowed in the devices cgroup. */
function addDevice(spec: Spec, device: NonNullable<HostConfig['Devices']>[number]): void {
  let stat;
  try {
    stat = statSync(device.PathOnHost);
  } catch (error) {
    throw new RuntimeError(`--device ${device.PathOnHost}: ${errorMessage(error)}`, { cause: error });
  }
  const type = stat.isCharacterDevice() ? 'c' : stat.isBlockDevice() ? 'b' : undefined;
  if (!type) throw new RuntimeError(`--device ${device.PathOnHost}: not a device node`);
  const major = Math.floor(stat.rdev / 256) & 0xfff;
  const minor = (stat.rdev & 0xff) | ((stat.rdev >> 12) & 0xfff00);
  const linux = (spec.linux ??= {});
  linux.devices = [...(linux.devices ?? []), { type, path: device.PathInContainer || device.PathOnHost, major, minor, fileMode: stat.mode & 0o7777, uid: 0, gid: 0 }];
  const resources = (linux.resources ??= {});
  resources.devices = [...(resources.devices ?? []), { allow: true, type, major, minor, access: device.CgroupPermissions || 'rwm' }];
}
