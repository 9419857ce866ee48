/**
 * `ts-runc explain` without root: the explanation of a sample config lists every kind of
 * step a container's birth has (namespaces, id maps, cgroup and limits with their
 * formulas, devices, mounts, pivot_root, masks, capabilities, no_new_privs, seccomp, the
 * user switch, the network's links and nftables rules), each with its calls, man page and
 * why; and it changes nothing: the cgroupfs/procfs double records no write and no mkdir.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { explainBundle } from '../../src/explain/inputs.js';
import { formatBirth, type BirthLine } from '../../src/explain/birth.js';
import { STEP_EXPLAINERS, explainStep } from '../../src/explain/step-calls.js';
import { createNetwork } from '../../src/network/networks.js';
import { STEP_OPS, type Step, type StepOp } from '../../src/plan/steps.js';
import { defaultSpec } from '../../src/spec/defaults.js';
import type { Spec } from '../../src/spec/schema.js';
import { RecordingKernelFiles } from './kernel-files-double.js';
import { parseStepTrace } from '../../src/process/init-process.js';
import { formatTrace } from '../../src/explain/trace.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** One step of each op, so every explainer is called with real fields. */
const SAMPLES: Record<StepOp, Step> = {
  'set-root-propagation': { op: 'set-root-propagation', propagation: 'rslave' },
  'bind-rootfs': { op: 'bind-rootfs', rootfs: '/b/rootfs' },
  mount: { op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: ['nosuid'], propagation: [], data: '', create: 'dir' },
  'mount-copy-up': { op: 'mount-copy-up', target: '/tmp', fstype: 'tmpfs', flags: [], propagation: [], data: '' },
  'mount-setattr': { op: 'mount-setattr', target: '/x', set: ['ro'], clear: [] },
  'remount-readonly': { op: 'remount-readonly', target: '/dev', flags: ['nosuid'] },
  mkdir: { op: 'mkdir', path: '/x', mode: 0o755 },
  mknod: { op: 'mknod', path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o666, uid: 0, gid: 0 },
  symlink: { op: 'symlink', target: '/proc/self/fd', path: '/dev/fd' },
  'pivot-root': { op: 'pivot-root' },
  'move-root': { op: 'move-root' },
  chroot: { op: 'chroot', rootfs: '/b/rootfs' },
  'mask-path': { op: 'mask-path', path: '/proc/kcore' },
  'readonly-path': { op: 'readonly-path', path: '/proc/sys' },
  'remount-root-readonly': { op: 'remount-root-readonly' },
  sethostname: { op: 'sethostname', name: 'web' },
  setdomainname: { op: 'setdomainname', name: 'example' },
  sysctl: { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
  setrlimit: { op: 'setrlimit', resource: 'NOFILE', soft: 1024n, hard: 1024n },
  'join-session-keyring': { op: 'join-session-keyring', name: '_ses.x' },
  terminal: { op: 'terminal', width: 80, height: 24 },
  'run-hook': { op: 'run-hook', name: 'createContainer', path: '/bin/true', args: ['true'], env: [], timeout: 0, state: '{}' },
  'drop-bounding-caps': { op: 'drop-bounding-caps', keep: [5] },
  'switch-user': { op: 'switch-user', uid: 1000, gid: 1000, additionalGids: [10] },
  'set-capabilities': { op: 'set-capabilities', effective: [5], permitted: [5], inheritable: [], ambient: [] },
  'lookup-home': { op: 'lookup-home', uid: 1000 },
  umask: { op: 'umask', mask: 0o22 },
  chdir: { op: 'chdir', path: '/' },
  'chdir-as-user': { op: 'chdir-as-user', path: '/' },
  'no-new-privileges': { op: 'no-new-privileges' },
  seccomp: { op: 'seccomp', program: '00'.repeat(16), flags: 0 },
  'find-executable': { op: 'find-executable', path: 'sh', env: [] },
  'wait-for-start': { op: 'wait-for-start' },
  'run-runtime-hooks': { op: 'run-runtime-hooks' },
  'close-fds': { op: 'close-fds' },
  exec: { op: 'exec', path: 'sh', args: ['sh'], env: ['PATH=/bin'] },
};

describe('explain: every plan op', () => {
  it('has an explanation with the syscall, its man page and why, for every op the plan can hold', () => {
    expect(Object.keys(STEP_EXPLAINERS).sort()).toEqual([...STEP_OPS].sort());
    for (const op of STEP_OPS) {
      const e = explainStep(SAMPLES[op]);
      expect(e.syscalls.length, op).toBeGreaterThan(0);
      expect(e.syscalls.join(' '), op).toMatch(/\w+\(/);
      expect(e.man, op).toMatch(/\w\(\d\)|\.rst/);
      expect(e.why.length, op).toBeGreaterThan(20);
    }
  });

  it('shows a step\'s real arguments, not a template', () => {
    expect(explainStep(SAMPLES['switch-user']).syscalls).toContain('setresuid(1000, 1000, 1000)');
    expect(explainStep(SAMPLES.mknod).syscalls[0]).toBe('mknodat(rootfs, "/dev/null", S_IFCHR|0666, makedev(1, 3))');
    expect(explainStep(SAMPLES['set-root-propagation']).syscalls[0]).toBe('mount(NULL, "/", NULL, MS_REC|MS_SLAVE, NULL)');
  });
});

describe('explain --trace: the init\'s step reports (native/init/steps.c run_plan)', () => {
  it('reads "done in N ns" and "failed after N ns: why", and nothing else', () => {
    expect(parseStepTrace(3, 'done in 12345 ns')).toEqual({ index: 3, result: 'done', ns: 12345 });
    expect(parseStepTrace(7, 'failed after 900 ns: mount(none, /broken): No such device'))
      .toEqual({ index: 7, result: 'failed', ns: 900, message: 'mount(none, /broken): No such device' });
    expect(parseStepTrace(1, 'start')).toBeUndefined();
    expect(formatTrace({ index: 0, result: 'done', ns: 12_345 })).toBe('12.3 µs');
    expect(formatTrace({ index: 0, result: 'done', ns: 4_530_000 })).toBe('4.53 ms');
    expect(formatTrace({ index: 0, result: 'failed', ns: 900, message: 'ENODEV' })).toBe('0.9 µs FAILED: ENODEV');
  });
});

describe('explain: a sample config, on a cgroup v2 host (no root)', () => {
  let dir: string;
  let restore: () => void;
  let kernel: RecordingKernelFiles;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-explain-'));
    kernel = new RecordingKernelFiles({
      '/proc/self/cgroup': '0::/ci\n',
      '/proc/self/mountinfo': '30 20 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n',
    }, ['/sys/fs/cgroup', '/sys/fs/cgroup/ci']);
    kernel.fsTypes.set('/sys/fs/cgroup', CGROUP2_SUPER_MAGIC);
    restore = kernel.install();
  });
  afterEach(() => {
    restore();
    rmSync(dir, { recursive: true, force: true });
  });

  function bundle(edit: (spec: Spec) => void): string {
    const b = join(dir, 'bundle');
    mkdirSync(join(b, 'rootfs'), { recursive: true });
    const spec = defaultSpec({ rootless: false });
    spec.process!.terminal = false;
    spec.process!.args = ['httpd', '-f'];
    edit(spec);
    writeFileSync(join(b, 'config.json'), JSON.stringify(spec));
    return b;
  }

  const sample = (spec: Spec): void => {
    spec.process!.user = { uid: 1000, gid: 1000 };
    spec.process!.noNewPrivileges = true;
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.resources = { ...spec.linux!.resources, memory: { limit: 67108864, swap: 134217728 }, cpu: { shares: 1024, quota: 50000, period: 100000 }, pids: { limit: 64 } };
    spec.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['read', 'write', 'exit_group'], action: 'SCMP_ACT_ALLOW' }] };
  };

  const find = (lines: BirthLine[], pattern: RegExp): BirthLine => {
    const line = lines.find((l) => pattern.test(l.what) || l.syscalls.some((c) => pattern.test(c)));
    expect(line, String(pattern)).toBeDefined();
    return line!;
  };

  it('lists every kind of step with its calls, man page and why, and makes no cgroup or write', async () => {
    const lines = await explainBundle(bundle(sample), { id: 'web', root: join(dir, 'state') });
    expect(lines.map((l) => l.n)).toEqual(lines.map((_, i) => i + 1));
    for (const line of lines) {
      expect(line.man, line.what).not.toBe('');
      expect(line.why.length, line.what).toBeGreaterThan(10);
    }
    const cgroup = find(lines, /mkdir\("\/sys\/fs\/cgroup\/ci\/ts-runc-[0-9a-f]{8}-web"/);
    expect(cgroup.phase).toBe('cgroup');
    // limits: the value and the formula of each conversion
    const weight = find(lines, /cpu\.weight/);
    expect(weight.syscalls[0]).toMatch(/cpu\.weight", "100"\)$/);
    expect(weight.formula).toMatch(/log2\(1024\)/);
    expect(find(lines, /memory\.swap\.max/).formula).toMatch(/134217728 − 67108864/);
    expect(find(lines, /cpu\.max/).syscalls[0]).toMatch(/"50000 100000"/);
    expect(find(lines, /pids\.max/).syscalls[0]).toMatch(/"64"/);
    expect(find(lines, /subtree_control/).syscalls[0]).toMatch(/"\+memory \+cpu \+pids"\)$/);
    // namespaces and maps
    expect(find(lines, /^clone\(/).syscalls[0]).toMatch(/CLONE_NEWUSER/);
    expect(find(lines, /new pid namespace/).man).toBe('pid_namespaces(7)');
    expect(find(lines, /uid_map/).syscalls[0]).toBe('write("/proc/<pid>/uid_map", "0 100000 65536\\n")');
    expect(find(lines, /CLONE_INTO_CGROUP/).phase).toBe('cgroup'); // cgroup v2: the init clones into it
    // the plan
    expect(find(lines, /^mount proc proc on \/proc/).syscalls.join('\n')).toMatch(/openat2\(rootfs, "\/proc", RESOLVE_IN_ROOT\)[^]*mount\("proc", .*"proc", 0, NULL\)/);
    expect(find(lines, /on \/dev\/shm/).syscalls[1]).toMatch(/"tmpfs", MS_NOSUID\|MS_NODEV\|MS_NOEXEC, "mode=1777,size=65536k"\)$/);
    expect(find(lines, /pivot_root\("\.", "\."\)/).syscalls).toContain('umount2(".", MNT_DETACH)');
    expect(find(lines, /^mask \/proc\/kcore/).man).toBe('mount(2)');
    expect(find(lines, /^make \/proc\/sys read-only/).phase).toBe('plan');
    // mknod(2) is refused in a user namespace: the host's node is bind-mounted instead
    expect(find(lines, /^mount bind \/dev\/null on \/dev\/null/).syscalls[1]).toMatch(/^mount\("\/dev\/null", .*MS_BIND/);
    expect(find(lines, /PR_CAPBSET_DROP/).man).toMatch(/capabilities\(7\)/);
    expect(find(lines, /^capset/).phase).toBe('plan');
    expect(find(lines, /PR_SET_NO_NEW_PRIVS/).phase).toBe('plan');
    expect(find(lines, /SECCOMP_SET_MODE_FILTER/).why).toMatch(/^1 rules over 3 syscall names, default action SCMP_ACT_ERRNO/);
    expect(find(lines, /setresuid\(1000, 1000, 1000\)/).what).toBe('switch to uid 1000 gid 1000');
    expect(find(lines, /^execve\("httpd"/).planIndex).toBeDefined();
    // nothing on the "host" changed: no mkdir, no write
    expect(kernel.calls).toEqual([]);
    expect(formatBirth(lines)).toMatch(/^== the cgroup/);
  });

  it('explains a bridge network: the bridge, the veth and its move, addresses, routes and each nftables rule', async () => {
    const storage = join(dir, 'storage');
    createNetwork(storage, { name: 'appnet', subnet: '10.89.0.0/24' }, () => []);
    const lines = await explainBundle(bundle(() => {}), {
      id: 'web', root: join(dir, 'state'),
      network: { mode: { kind: 'bridge', network: 'appnet' }, storage, aliases: [], publish: [{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }], publishAll: false },
    });
    const network = lines.filter((l) => l.phase === 'network');
    expect(find(network, /create bridge tsbr-/).man).toMatch(/rtnetlink\(7\)/);
    expect(find(network, /address 10\.89\.0\.1\/24 on tsbr-/).syscalls[0]).toMatch(/RTM_NEWADDR/);
    expect(find(network, /VETH_INFO_PEER \{IFLA_NET_NS_PID/).what).toMatch(/veth pair tsr[0-9a-f]{12} <-> tsp/);
    expect(find(network, /address 10\.89\.0\.2\/24 on eth0/).what).toMatch(/container/);
    expect(find(network, /default route via 10\.89\.0\.1 dev eth0/).syscalls[0]).toMatch(/RTM_NEWROUTE/);
    expect(find(network, /masquerade/).man).toBe('nft(8)');
    expect(find(network, /tcp dport 8080 dnat to 10\.89\.0\.2:80/).why).toMatch(/published port/);
    // /etc/hosts and friends are bind-mounted by the plan, from files create writes first
    expect(find(lines, /^mount bind .*\/hosts on \/etc\/hosts/).phase).toBe('plan');
    expect(kernel.calls).toEqual([]);
  });
});
