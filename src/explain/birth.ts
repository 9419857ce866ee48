/**
 * A container's whole birth as numbered lines: what `create` does on the host (overlay,
 * cgroup, limits, id maps, network) and what the C init does inside (the plan), each with
 * its system calls, man page and one sentence of why.
 *
 * Nothing here describes an action on its own: every line comes from the data `create`
 * itself acts on: resourceWrites() (cgroups/convert.ts) and cgroupDirOf() for the limits,
 * v1DeviceWrites()/deviceFilter() for the devices, namespaceCloneFlags() for clone(2),
 * idMapWrites() for the maps, bridgeOps()/vethOps() and the nftables scripts for the
 * network, compilePlan() for the init's steps. Change one of those and this changes with it.
 */
import { join } from 'node:path';
import { resourceWrites } from '../cgroups/convert.js';
import { deviceFilter } from '../cgroups/device-bpf.js';
import { normaliseDeviceRules, v1DeviceWrites, v1DevicesDir } from '../cgroups/devices.js';
import type { CgroupMode } from '../cgroups/hierarchy.js';
import { cgroupDirOf } from '../cgroups/resources.js';
import { cgroupViews } from '../cgroups/views.js';
import { idMapWrites } from '../container/id-maps.js';
import type { OverlayLayers } from '../image/overlay.js';
import { FORWARDING, LOOPBACK_UP, bridgeOps, vethOps } from '../network/attach.js';
import { networkScript, portsScript, tableScript, containerTag } from '../network/nftables.js';
import type { PortMapping } from '../network/ports.js';
import { compilePlan } from '../plan/compile.js';
import { CLONE_FLAGS, namespaceCloneFlags } from '../plan/namespaces.js';
import { describeStep } from '../plan/steps.js';
import type { NamespaceType, Spec } from '../spec/schema.js';
import { explainLinkOp, explainNftLine } from './network-calls.js';
import { explainStep, type Explanation } from './step-calls.js';

export type Phase = 'image' | 'cgroup' | 'namespaces' | 'network' | 'plan';

export interface BirthLine extends Explanation {
  /** 1-based, in the order they happen */
  n: number;
  phase: Phase;
  /** who makes the call: ts-runc (Node, on the host), stage 0 of the init, or the container process */
  where: 'host' | 'init' | 'container';
  what: string;
  /** for limits: how the value was computed from config.json */
  formula?: string;
  /** for plan steps: the step's index in the plan the init runs (for --trace) */
  planIndex?: number;
}

export interface BirthInput {
  spec: Spec;
  id: string;
  bundle: string;
  rootfs: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  mode: CgroupMode;
  /** the container's cgroup directories by hierarchy (cgroupPathsFor) */
  cgroupPaths: Record<string, string>;
  image?: { ref: string; overlay: OverlayLayers; rootfs: string };
  /** files create writes before the plan runs (the network's hosts, hostname, resolv.conf) */
  pendingFiles?: string[];
  network?: { network: string; bridge: string; subnet: string; gateway: string; prefix: number; hostVeth: string; ip: string; ports: PortMapping[] };
}

/** What each namespace isolates (namespaces(7)), in the words of its man page. */
const ISOLATES: Record<NamespaceType, [man: string, what: string]> = {
  mount: ['mount_namespaces(7)', 'the list of mounts: what the container mounts, and its root, are its own'],
  uts: ['uts_namespaces(7)', 'the hostname and NIS domain name'],
  ipc: ['ipc_namespaces(7)', 'System V IPC objects and POSIX message queues'],
  user: ['user_namespaces(7)', 'user and group ids and capabilities: root inside can be nobody outside'],
  pid: ['pid_namespaces(7)', 'process ids: the container\'s first process is pid 1 and sees no host process'],
  network: ['network_namespaces(7)', 'interfaces, addresses, routes, firewall rules, ports'],
  cgroup: ['cgroup_namespaces(7)', 'the view of /proc/self/cgroup: the container\'s cgroup appears as its root'],
  time: ['time_namespaces(7)', 'the offsets of CLOCK_MONOTONIC and CLOCK_BOOTTIME'],
};

export function explainBirth(input: BirthInput): BirthLine[] {
  const lines: Omit<BirthLine, 'n'>[] = [];
  const add = (phase: Phase, where: BirthLine['where'], what: string, e: Explanation, extra: Partial<BirthLine> = {}) =>
    lines.push({ phase, where, what, ...e, ...extra });
  const { spec } = input;

  // Before create: `run --image` makes the bundle (image/bundle.ts makeImageBundle).
  if (input.image) {
    const { overlay, rootfs } = input.image;
    add('image', 'host', `mount the overlay of ${input.image.ref} (${overlay.lowers.length} layers) on ${rootfs}`, {
      syscalls: ['fsopen("overlay", 0)', ...overlay.lowers.map((l) => `fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir+", ${JSON.stringify(l)})`),
        `fsconfig(fd, FSCONFIG_SET_STRING, "upperdir", ${JSON.stringify(overlay.upper)})`, `fsconfig(fd, FSCONFIG_SET_STRING, "workdir", ${JSON.stringify(overlay.work)})`,
        'fsconfig(fd, FSCONFIG_CMD_CREATE)', 'fsmount(fd)', `move_mount(mnt, "", AT_FDCWD, ${JSON.stringify(rootfs)}, MOVE_MOUNT_F_EMPTY_PATH)`],
      man: 'fsopen(2), fsconfig(2), fsmount(2), move_mount(2); Documentation/filesystems/overlayfs.rst',
      why: 'the image\'s layers are shared read-only (the leftmost lowerdir is the top); the container writes only to its own upperdir, which `commit` saves',
    });
  }

  // create.ts: the cgroup directories and the limits, before the init exists.
  const dirs = Object.entries(input.cgroupPaths);
  add('cgroup', 'host', dirs.length === 1 ? 'the container\'s cgroup directory (cgroup v2)' : `the container's cgroup directories, one in each of the ${dirs.length} hierarchies (cgroup v1${input.mode === 'hybrid' ? ' and v2, a hybrid host' : ''})`, {
    syscalls: dirs.map(([, dir]) => `mkdir(${JSON.stringify(dir)}, 0755)`), man: 'cgroups(7)',
    why: 'the container\'s own cgroup: its limits apply to every process in it, and delete finds them all there' +
      (dirs.length > 1 ? '; on cgroup v1 each controller has its own hierarchy' : ''),
  });
  const cpuset = dirs.find(([key]) => key.split(',').includes('cpuset'));
  if (cpuset) {
    add('cgroup', 'host', 'cpuset.cpus and cpuset.mems from the parent, where empty', {
      syscalls: ['cpuset.cpus', 'cpuset.mems'].map((f) => `write(${JSON.stringify(join(cpuset[1], f))}, <the parent's ${f}>)`),
      man: 'cpuset(7)', why: 'a new cgroup v1 cpuset starts with no CPUs and no memory nodes, and no process can join it (ENOSPC) until both are set',
    });
  }
  const resources = spec.linux?.resources;
  if (resources) {
    const { writes, unsupported } = resourceWrites(resources, input.mode === 'unified' ? 2 : 1);
    const controllers = [...new Set(writes.map((w) => w.controller).filter(Boolean))];
    if (input.mode === 'unified' && controllers.length > 0) {
      const line = controllers.map((c) => `+${c}`).join(' ');
      add('cgroup', 'host', `enable ${controllers.join(', ')} for the container's cgroup`, {
        syscalls: [`write("<each ancestor that lacks them>/cgroup.subtree_control", ${JSON.stringify(line)})`],
        man: 'cgroups(7); Documentation/admin-guide/cgroup-v2.rst "Enabling and Disabling"',
        why: 'on cgroup v2 a controller\'s files appear in a cgroup only once every ancestor hands the controller down',
      });
    }
    for (const write of writes) {
      const file = join(cgroupDirOf(input.cgroupPaths, write, input.mode), write.file);
      add('cgroup', 'host', `${write.setting} → ${write.file} = ${write.value}`, {
        syscalls: [`write(${JSON.stringify(file)}, ${JSON.stringify(write.value)})`],
        man: input.mode === 'unified' ? 'cgroups(7); Documentation/admin-guide/cgroup-v2.rst' : 'cgroups(7); Documentation/admin-guide/cgroup-v1/',
        why: `${limitWhy(write.file)}; written before the init joins the cgroup, so it holds from the container's first instruction`,
      }, write.formula ? { formula: write.formula } : {});
    }
    for (const setting of unsupported) {
      add('cgroup', 'host', `${setting}: not applied`, { syscalls: [], man: 'cgroups(7)', why: `this host's cgroup version has no file for it (a warning at create)` });
    }
    if (resources.devices && resources.devices.length > 0) {
      const rules = normaliseDeviceRules(resources.devices);
      if (input.mode === 'unified') {
        add('cgroup', 'host', `device filter: ${rules.length} rules as an eBPF program`, {
          syscalls: [`bpf(BPF_PROG_LOAD, {type BPF_PROG_TYPE_CGROUP_DEVICE, ${deviceFilter(rules).length / 8} instructions})`, `bpf(BPF_PROG_ATTACH, {target ${input.cgroupPaths.unified}, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI})`],
          man: 'bpf(2); Documentation/admin-guide/cgroup-v2.rst "Device controller"',
          why: 'cgroup v2 has no devices.allow: a BPF program decides each open(2) and mknod(2) of a device node',
        });
      } else {
        const dir = v1DevicesDir(input.cgroupPaths);
        const writes = v1DeviceWrites(rules);
        for (const allow of [false, true]) {
          const mine = writes.filter(([file]) => (file === 'devices.allow') === allow);
          if (mine.length === 0) continue;
          add('cgroup', 'host', allow ? `devices: allow ${mine.length} rules (${mine.map(([, line]) => line).join(', ')})` : `devices: deny ${mine.map(([, line]) => line).join(', ')}`, {
            syscalls: mine.map(([file, line]) => `write(${JSON.stringify(join(dir, file))}, ${JSON.stringify(line)})`),
            man: 'Documentation/admin-guide/cgroup-v1/devices.rst',
            why: allow ? 'the device nodes the container may open (or make); one write per rule, as the kernel parses each on its own'
              : 'first take every device away ("a" is all), then allow only the ones listed',
          });
        }
      }
    }
  }

  // native/init/cgroups.c: the init's stage 0 joins before it clones, without the lock a
  // cgroup.procs write of another pid takes (and the RCU grace period that lock waits for).
  const v1 = dirs.filter(([key]) => key !== 'unified');
  const v2 = dirs.find(([key]) => key === 'unified');
  add('cgroup', 'init', 'the container process starts in its cgroups', {
    syscalls: [
      ...v1.map(([, dir]) => `write(${JSON.stringify(join(dir, 'tasks'))}, "0")`),
      ...(v2 ? [`clone3({ flags: CLONE_INTO_CGROUP | CLONE_NEW*, cgroup: open(${JSON.stringify(v2[1])}, O_PATH) })`] : []),
      ...(v1.length > 0 ? ['write("<the caller\'s cgroup>/tasks", "0") in each v1 hierarchy, after the clone'] : []),
    ],
    man: 'cgroups(7), clone(2)',
    why: 'from its first instruction its limits apply to it and every process it starts. Stage 0 moves itself into each v1 cgroup ' +
      '("0" to tasks moves the calling thread alone, without the global lock a pid written to cgroup.procs takes, whose first use waits ' +
      'for an RCU grace period), the child inherits them, and stage 0 goes back to its own',
  });

  // The init, stage 0: clone(2) with the new namespaces, setns(2) into the joined ones.
  const { cloneFlags, join: joins } = namespaceCloneFlags(spec);
  const created = (Object.keys(CLONE_FLAGS) as NamespaceType[]).filter((t) => (cloneFlags & CLONE_FLAGS[t]) !== 0);
  for (const j of joins) {
    add('namespaces', 'init', `join the ${j.type} namespace at ${j.path}`, {
      syscalls: [`open(${JSON.stringify(j.path)}, O_RDONLY)`, `setns(fd, 0)`], man: 'setns(2)',
      why: 'config.json names an existing namespace to share (linux.namespaces[].path); the user namespace is joined first, which grants the rights to join the others',
    });
  }
  const flagNames = created.map((t) => cloneName(t));
  add('namespaces', 'init', `clone the container process into ${created.length} new namespaces`, {
    syscalls: [`clone(${[...flagNames, 'SIGCHLD'].join('|')})`], man: 'clone(2), namespaces(7)',
    why: 'the init is single-threaded C because a multithreaded process (Node) cannot unshare or setns a user namespace',
  });
  for (const type of created) {
    const [man, what] = ISOLATES[type];
    add('namespaces', 'init', `new ${type} namespace`, { syscalls: [`clone(…|${cloneName(type)}|…)`], man, why: `isolates ${what}` });
  }
  if (created.includes('user')) {
    for (const { file, value } of idMapWrites('<pid>', spec)) {
      add('namespaces', 'host', `${file.endsWith('uid_map') ? 'uid' : 'gid'} map: ${value.trim().split('\n').join('; ')} (inside outside count)`, {
        syscalls: [`write(${JSON.stringify(file)}, ${JSON.stringify(value)})`], man: 'user_namespaces(7)',
        why: 'only the parent may write the maps, once, while the child waits; until then the child\'s ids are unmapped (65534)',
      });
    }
  }
  if (spec.process?.oomScoreAdj !== undefined) {
    add('namespaces', 'host', `oom_score_adj = ${spec.process.oomScoreAdj}`, {
      syscalls: [`write("/proc/<pid>/oom_score_adj", "${spec.process.oomScoreAdj}")`], man: 'proc(5)',
      why: 'process.oomScoreAdj, written by the parent: the init is non-dumpable, so its own /proc files are the host root\'s',
    });
  }

  // The network, from Node, through netlink sockets on each side.
  if (created.includes('network') && input.network) {
    const e = explainLinkOp(LOOPBACK_UP);
    add('network', 'host', e.what, e);
  } else if (created.includes('network')) {
    // nothing else to set up: the container process does it (native/init/stage1.c)
    add('network', 'container', 'bring lo up', {
      syscalls: ['socket(AF_INET, SOCK_DGRAM, 0)', 'ioctl(fd, SIOCGIFFLAGS, { ifr_name: "lo" })', 'ioctl(fd, SIOCSIFFLAGS, { ifr_name: "lo", ifr_flags: …|IFF_UP })'],
      man: 'netdevice(7)',
      why: 'a new network namespace has only lo, and it is down (network_namespaces(7)); runc brings it up too. ' +
        'The container process does it right after clone(2), holding every capability in its new namespaces',
    });
  }
  const net = input.network;
  if (net) {
    for (const op of bridgeOps(net.bridge, `${net.gateway}/${net.prefix}`)) {
      const e = explainLinkOp(op);
      add('network', 'host', `${e.what} (only when the bridge does not exist yet)`, e);
    }
    const fwd = explainLinkOp(FORWARDING);
    add('network', 'host', fwd.what, fwd);
    const script = tableScript() + networkScript({ name: net.network, subnet: net.subnet, bridge: net.bridge });
    for (const line of script.trim().split('\n')) {
      const e = explainNftLine(line);
      add('network', 'host', e.what, e);
    }
    for (const op of vethOps({ pid: 0, hostVeth: net.hostVeth, bridge: net.bridge, addressCidr: `${net.ip}/${net.prefix}`, gateway: net.gateway })) {
      const e = explainLinkOp(op);
      add('network', 'host', e.what, e);
    }
    for (const line of portsScript(containerTag(input.id, net.hostVeth), net.ip, net.ports).trim().split('\n').filter(Boolean)) {
      const e = explainNftLine(line);
      add('network', 'host', e.what, e);
    }
  }

  // The plan the container process runs, exactly as create compiles it.
  const plan = compilePlan(spec, {
    bundle: input.bundle,
    rootfs: input.rootfs,
    noPivot: input.noPivot ?? false,
    noNewKeyring: input.noNewKeyring ?? false,
    containerId: input.id,
    hookState: '{}',
    hasConsoleSocket: true,
    cgroups: cgroupViews(input.cgroupPaths),
    pendingFiles: input.pendingFiles,
  });
  plan.steps.forEach((step, index) => {
    const e = explainStep(step);
    if (step.op === 'set-root-propagation' && index > 0) {
      e.why = 'the propagation config.json asks for (linux.rootfsPropagation), on the container\'s own root now that it is pivoted: shared only among the container\'s own mounts';
    }
    if (step.op === 'seccomp' && spec.linux?.seccomp) {
      const s = spec.linux.seccomp;
      e.why = `${(s.syscalls ?? []).length} rules over ${(s.syscalls ?? []).reduce((sum, r) => sum + r.names.length, 0)} syscall names, default action ${s.defaultAction}; ${e.why}`;
    }
    add('plan', 'container', describeStep(step), e, { planIndex: index });
  });
  return lines.map((line, i) => ({ n: i + 1, ...line }));
}

/** What a limit file does, by its name (cgroup-v2.rst, cgroup-v1/*.rst). */
function limitWhy(file: string): string {
  const rules: [RegExp, string][] = [
    [/^memory\.(max|limit_in_bytes)$/, 'past this many bytes the kernel reclaims, then the OOM killer kills a process of the container'],
    [/^memory\.(swap\.max|memsw\.limit_in_bytes)$/, 'caps swap (v2: swap alone; v1: memory plus swap)'],
    [/^memory\.(low|soft_limit_in_bytes)$/, 'memory the kernel reclaims from this cgroup last, when the host is short'],
    [/^memory\./, 'a memory controller setting'],
    [/^cpu\.(weight|shares)$/, 'its share of CPU time against its siblings when the CPUs are busy'],
    [/^cpu\.(max|cfs_quota_us|cfs_period_us)$/, 'at most QUOTA µs of CPU time in every PERIOD µs, even on an idle host'],
    [/^cpu\./, 'a CPU scheduler setting'],
    [/^cpuset\./, 'which CPUs and memory nodes its processes may use'],
    [/^pids\.max$/, 'fork(2) and clone(2) fail with EAGAIN past this many tasks (a fork bomb stops here)'],
    [/^(io|blkio)\./, 'block I/O weight or throttling for the listed devices'],
    [/^hugetlb\./, 'a cap on huge pages of this size'],
  ];
  return rules.find(([re]) => re.test(file))?.[1] ?? 'a cgroup setting config.json names';
}

function cloneName(type: NamespaceType): string {
  return type === 'mount' ? 'CLONE_NEWNS' : type === 'network' ? 'CLONE_NEWNET' : `CLONE_NEW${type.toUpperCase()}`;
}

/** The text form: number, what; then the calls, the man page and why, indented. */
export function formatBirth(lines: readonly BirthLine[], trace?: ReadonlyMap<number, string>): string {
  const width = String(lines.length).length;
  const out: string[] = [];
  let phase: Phase | undefined;
  for (const line of lines) {
    if (line.phase !== phase) {
      phase = line.phase;
      out.push(`${out.length ? '\n' : ''}== ${PHASE_TITLES[phase]}`);
    }
    const traced = line.planIndex !== undefined ? trace?.get(line.planIndex) : undefined;
    out.push(`${String(line.n).padStart(width)}  [${line.where}] ${line.what}${traced ? `   (${traced})` : ''}`);
    const pad = ' '.repeat(width + 2);
    for (const call of line.syscalls) out.push(`${pad}  ${call}`);
    if (line.formula) out.push(`${pad}  formula: ${line.formula}`);
    out.push(`${pad}  ${line.man}: ${line.why}`);
  }
  return out.join('\n') + '\n';
}

const PHASE_TITLES: Record<Phase, string> = {
  image: 'the root filesystem from the image (ts-runc, before create)',
  cgroup: 'the cgroup (ts-runc on the host)',
  namespaces: 'the namespaces (the init clones, ts-runc writes the maps)',
  network: 'the network (ts-runc, through netlink and nft)',
  plan: 'the plan (the container process, before it execs the program)',
};
