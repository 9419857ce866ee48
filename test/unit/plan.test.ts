import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, CAPABILITY_NAMES } from '../../src/spec/capabilities.js';
import { compileExecPlan, compilePlan, type CompileOptions } from '../../src/plan/compile.js';
import { encodePlan, stepFields } from '../../src/plan/encode.js';
import { ignoredSettings } from '../../src/plan/ignored.js';
import { KNOWN_MOUNT_OPTIONS, parseMountOptions } from '../../src/plan/mount-options.js';
import { bindSources } from '../../src/plan/mounts.js';
import { CLONE_FLAGS, namespaceCloneFlags } from '../../src/plan/namespaces.js';
import { RLIM_INFINITY } from '../../src/spec/rlimits.js';
import type { Plan, Step, StepOp } from '../../src/plan/steps.js';
import { defaultSpec } from '../../src/spec/defaults.js';
import { SpecError } from '../../src/spec/errors.js';
import type { Spec } from '../../src/spec/schema.js';

const OPTIONS: CompileOptions = {
  rootfs: '/var/lib/bundle/rootfs',
  noPivot: false,
  noNewKeyring: false,
  containerId: 'web',
  hookState: '{"ociVersion":"1.2.1","id":"web","status":"creating","pid":42,"bundle":"/var/lib/bundle"}',
  hasConsoleSocket: true,
  cgroups: [
    { name: 'memory', fstype: 'cgroup', data: 'memory', hostDir: '/sys/fs/cgroup/memory/ts-runc-web' },
    { name: 'systemd', fstype: 'cgroup', data: 'none,name=systemd', hostDir: '/sys/fs/cgroup/systemd/ts-runc-web' },
    { name: 'unified', fstype: 'cgroup2', data: '', hostDir: '/sys/fs/cgroup/unified/ts-runc-web' },
  ],
};

function spec(edit: (s: Spec) => void = () => {}, rootless = false): Spec {
  const s = defaultSpec({ rootless });
  edit(s);
  return s;
}

function plan(s: Spec = spec(), options: Partial<CompileOptions> = {}): Plan {
  return compilePlan(s, { ...OPTIONS, ...options });
}

const ops = (p: Plan): StepOp[] => p.steps.map((step) => step.op);
const stepsOf = <O extends StepOp>(p: Plan, op: O) => p.steps.filter((s): s is Extract<Step, { op: O }> => s.op === op);
const mountAt = (p: Plan, target: string) => stepsOf(p, 'mount').find((m) => m.target === target);

/** Host files for bind-mount sources. */
let host = '';
beforeAll(() => {
  host = mkdtempSync(join(tmpdir(), 'ts-runc-plan-'));
  mkdirSync(join(host, 'data'));
  writeFileSync(join(host, 'resolv.conf'), 'nameserver 1.1.1.1\n');
});
afterAll(() => rmSync(host, { recursive: true, force: true }));

describe('create plan for the default spec', () => {
  const p = plan();

  it('runs the key steps in runc\'s order', () => {
    const order: StepOp[] = [
      'set-root-propagation', 'bind-rootfs', 'mount', 'mknod', 'symlink', 'join-session-keyring',
      'pivot-root', 'terminal', 'sethostname', 'readonly-path', 'mask-path', 'remount-root-readonly', 'setrlimit',
      'umask', 'chdir', 'drop-bounding-caps', 'switch-user', 'chdir-as-user', 'set-capabilities', 'no-new-privileges',
      'wait-for-start',
      'close-fds', 'exec',
    ];
    const firsts = order.map((op) => ops(p).indexOf(op));
    expect(firsts.every((i) => i >= 0)).toBe(true);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
    expect(p.steps[0]).toEqual({ op: 'set-root-propagation', propagation: 'rslave' });
    expect(p.steps[1]).toEqual({ op: 'bind-rootfs', rootfs: '/var/lib/bundle/rootfs' });
    expect(p.steps.at(-1)).toEqual({
      op: 'exec', path: 'sh', args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
    });
  });

  it('mounts the spec\'s mounts in order, right after the rootfs bind', () => {
    expect(stepsOf(p, 'mount').map((m) => m.target))
      .toEqual(['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup',
        '/sys/fs/cgroup/memory', '/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified', '/sys/fs/cgroup']);
    expect(p.steps[2]).toEqual(mountAt(p, '/proc'));
  });

  it('mounts /proc, /dev and /dev/pts exactly', () => {
    expect(mountAt(p, '/proc')).toEqual({
      op: 'mount', source: 'proc', target: '/proc', fstype: 'proc', flags: [], propagation: [], data: '', create: 'dir',
    });
    expect(mountAt(p, '/dev')).toEqual({
      op: 'mount', source: 'tmpfs', target: '/dev', fstype: 'tmpfs', flags: ['nosuid', 'strictatime'], propagation: [],
      data: 'mode=755,size=65536k', create: 'dir',
    });
    expect(mountAt(p, '/dev/pts')).toEqual({
      op: 'mount', source: 'devpts', target: '/dev/pts', fstype: 'devpts', flags: ['nosuid', 'noexec'], propagation: [],
      data: 'newinstance,ptmxmode=0666,mode=0620,gid=5', create: 'dir',
    });
  });

  it('mounts only the container\'s own cgroups for a "cgroup" mount: one per hierarchy, in a cgroup namespace', () => {
    const cgroupMounts = stepsOf(p, 'mount').filter((m) => m.target.startsWith('/sys/fs/cgroup'));
    const ro = ['ro', 'nosuid', 'nodev', 'noexec', 'relatime'];
    expect(cgroupMounts).toEqual([
      { op: 'mount', source: 'tmpfs', target: '/sys/fs/cgroup', fstype: 'tmpfs', flags: ['nosuid', 'nodev', 'noexec'], propagation: [], data: 'mode=755', create: 'dir' },
      { op: 'mount', source: 'cgroup', target: '/sys/fs/cgroup/memory', fstype: 'cgroup', flags: ro, propagation: [], data: 'memory', create: 'dir' },
      { op: 'mount', source: 'cgroup', target: '/sys/fs/cgroup/systemd', fstype: 'cgroup', flags: ro, propagation: [], data: 'none,name=systemd', create: 'dir' },
      { op: 'mount', source: 'cgroup', target: '/sys/fs/cgroup/unified', fstype: 'cgroup2', flags: ro, propagation: [], data: '', create: 'dir' },
      { op: 'mount', source: 'tmpfs', target: '/sys/fs/cgroup', fstype: 'tmpfs', flags: ['ro', 'nosuid', 'nodev', 'noexec', 'remount'], propagation: [], data: '', create: 'dir' },
    ]);
  });

  it('bind-mounts the container\'s cgroup directories when there is no cgroup namespace', () => {
    const q = plan(spec((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'cgroup'); }));
    expect(mountAt(q, '/sys/fs/cgroup/memory')).toEqual({
      op: 'mount', source: '/sys/fs/cgroup/memory/ts-runc-web', target: '/sys/fs/cgroup/memory', fstype: '',
      flags: ['ro', 'nosuid', 'nodev', 'noexec', 'relatime', 'bind'], propagation: [], data: '', create: 'dir',
    });
  });

  it('mounts one cgroup2 filesystem on a unified host, and an empty read-only tmpfs without cgroups', () => {
    const unified = plan(spec(), { cgroups: [{ name: '', fstype: 'cgroup2', data: '', hostDir: '/sys/fs/cgroup/ts-runc-web' }] });
    expect(stepsOf(unified, 'mount').filter((m) => m.target.startsWith('/sys/fs/cgroup')).map((m) => `${m.fstype} ${m.target}`))
      .toEqual(['cgroup2 /sys/fs/cgroup']);
    const none = plan(spec(), { cgroups: [] });
    expect(stepsOf(none, 'mount').filter((m) => m.target.startsWith('/sys/fs/cgroup')).map((m) => `${m.fstype} ${m.flags.join(',')}`))
      .toEqual(['tmpfs nosuid,nodev,noexec', 'tmpfs ro,nosuid,nodev,noexec,remount']);
  });

  it('makes the default devices with mknod, then the /dev links', () => {
    expect(stepsOf(p, 'mknod').map((d) => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.mode.toString(8)}`)).toEqual([
      '/dev/null c 1:3 666', '/dev/zero c 1:5 666', '/dev/full c 1:7 666',
      '/dev/random c 1:8 666', '/dev/urandom c 1:9 666', '/dev/tty c 5:0 666',
    ]);
    expect(stepsOf(p, 'symlink').map((l) => `${l.path}->${l.target}`)).toEqual([
      '/dev/ptmx->pts/ptmx', '/dev/fd->/proc/self/fd', '/dev/stdin->/proc/self/fd/0',
      '/dev/stdout->/proc/self/fd/1', '/dev/stderr->/proc/self/fd/2', '/dev/core->/proc/kcore',
    ]);
  });

  it('joins a session keyring named after the container', () => {
    expect(stepsOf(p, 'join-session-keyring')).toEqual([{ op: 'join-session-keyring', name: '_ses.web' }]);
  });

  it('sets the process credentials from the spec', () => {
    expect(stepsOf(p, 'setrlimit')).toEqual([{ op: 'setrlimit', resource: 'NOFILE', soft: 1024n, hard: 1024n }]);
    expect(stepsOf(p, 'umask')).toEqual([{ op: 'umask', mask: 0o022 }]);
    const caps = [CAPABILITIES.CAP_AUDIT_WRITE, CAPABILITIES.CAP_KILL, CAPABILITIES.CAP_NET_BIND_SERVICE];
    expect(stepsOf(p, 'drop-bounding-caps')).toEqual([{ op: 'drop-bounding-caps', keep: caps }]);
    expect(stepsOf(p, 'switch-user')).toEqual([{ op: 'switch-user', uid: 0, gid: 0, additionalGids: [] }]);
    expect(stepsOf(p, 'set-capabilities')).toEqual([
      { op: 'set-capabilities', effective: caps, permitted: caps, inheritable: [], ambient: [] },
    ]);
    expect(stepsOf(p, 'chdir')).toEqual([{ op: 'chdir', path: '/' }]);
    expect(stepsOf(p, 'chdir-as-user')).toEqual([{ op: 'chdir-as-user', path: '/' }]);
    expect(stepsOf(p, 'terminal')).toEqual([{ op: 'terminal', width: 0, height: 0 }]);
  });

  it('encodes for the init (bigint rlimits included)', () => {
    expect(encodePlan(p).readUInt32LE(0)).toBe(p.steps.length);
  });
});

describe('create plan options and variants', () => {
  it('--no-pivot moves the rootfs instead of pivot_root', () => {
    const p = plan(spec(), { noPivot: true });
    expect(ops(p)).toContain('move-root');
    expect(ops(p)).not.toContain('pivot-root');
  });

  it('--no-new-keyring keeps the caller\'s keyring', () => {
    expect(ops(plan(spec(), { noNewKeyring: true }))).not.toContain('join-session-keyring');
  });

  it('in a user namespace, bind-mounts the host\'s device nodes instead of mknod', () => {
    const p = plan(spec((s) => {
      s.linux!.devices = [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }, { path: '/dev/myfifo', type: 'p' }];
    }, true));
    expect(mountAt(p, '/dev/null')).toEqual({
      op: 'mount', source: '/dev/null', target: '/dev/null', fstype: '', flags: ['bind'], propagation: [], data: '', create: 'file',
    });
    expect(mountAt(p, '/dev/fuse')?.create).toBe('file');
    // A fifo needs no privilege: still mknod.
    expect(stepsOf(p, 'mknod').map((d) => d.path)).toEqual(['/dev/myfifo']);
  });

  it('a rootless spec (no network namespace) binds /sys', () => {
    const p = plan(spec(() => {}, true));
    expect(mountAt(p, '/sys')).toMatchObject({ source: '/sys', fstype: '', flags: ['ro', 'nosuid', 'nodev', 'noexec', 'bind', 'rec'] });
  });

  it('remounts / read-only only when root.readonly is set', () => {
    expect(ops(plan())).toContain('remount-root-readonly');
    expect(ops(plan(spec((s) => { s.root.readonly = false; })))).not.toContain('remount-root-readonly');
  });

  it('runs createContainer hooks before pivot_root and startContainer hooks between start and exec', () => {
    const withHooks = spec((s) => {
      s.hooks = {
        createContainer: [{ path: '/bin/create-hook', args: ['create-hook', '-v'], timeout: 5 }],
        startContainer: [{ path: '/bin/start-hook', env: ['A=1'] }],
        prestart: [{ path: '/bin/prestart' }],
        poststart: [{ path: '/bin/poststart' }],
      };
    });
    const p = plan(withHooks);
    const o = ops(p);
    const hooks = stepsOf(p, 'run-hook');
    expect(hooks.map((h) => h.name)).toEqual(['createContainer', 'startContainer']); // the rest run from Node
    expect(hooks[0]).toEqual({
      // No env: the container process's, as runc's init has it when it runs the hook.
      op: 'run-hook', name: 'createContainer', path: '/bin/create-hook', args: ['create-hook', '-v'], env: withHooks.process!.env, timeout: 5, state: OPTIONS.hookState,
    });
    expect(withHooks.process!.env!.length).toBeGreaterThan(0);
    expect(hooks[1]).toMatchObject({ args: ['/bin/start-hook'], env: ['A=1'], timeout: 0 });
    const createAt = p.steps.indexOf(hooks[0]!);
    const startAt = p.steps.indexOf(hooks[1]!);
    expect(createAt).toBeGreaterThan(o.lastIndexOf('mount'));
    expect(createAt).toBeLessThan(o.indexOf('pivot-root'));
    // Node runs prestart/createRuntime while the init waits here: after the mounts, before
    // the createContainer hooks (runc's procHooks sync); no such step without those hooks.
    const runtimeAt = o.indexOf('run-runtime-hooks');
    expect(runtimeAt).toBeGreaterThan(o.lastIndexOf('mount'));
    expect(runtimeAt).toBeLessThan(createAt);
    expect(ops(plan(spec()))).not.toContain('run-runtime-hooks');
    expect(startAt).toBeGreaterThan(o.indexOf('wait-for-start'));
    expect(o.slice(startAt + 1)).toEqual(['close-fds', 'exec']);
  });

  it('refuses a terminal without a console socket', () => {
    expect(() => plan(spec(), { hasConsoleSocket: false })).toThrow(/no --console-socket/);
    expect(ops(plan(spec((s) => { s.process!.terminal = false; }), { hasConsoleSocket: false }))).not.toContain('terminal');
  });

  it('passes consoleSize to the terminal step', () => {
    const p = plan(spec((s) => { s.process!.consoleSize = { height: 25, width: 80 }; }));
    expect(stepsOf(p, 'terminal')).toEqual([{ op: 'terminal', width: 80, height: 25 }]);
  });

  it('keeps the host from seeing container mounts whatever rootfsPropagation asks for', () => {
    const shared = plan(spec((s) => { s.linux!.rootfsPropagation = 'shared'; }));
    expect(shared.steps[0]).toEqual({ op: 'set-root-propagation', propagation: 'rslave' });
    const pivotAt = ops(shared).indexOf('pivot-root');
    expect(shared.steps[pivotAt + 1]).toEqual({ op: 'set-root-propagation', propagation: 'shared' });

    const priv = plan(spec((s) => { s.linux!.rootfsPropagation = 'private'; }));
    expect(priv.steps[0]).toEqual({ op: 'set-root-propagation', propagation: 'rprivate' });
    expect(stepsOf(plan(), 'set-root-propagation')).toHaveLength(1);
  });

  it('sets hostname, domainname and sysctls after pivot_root', () => {
    const p = plan(spec((s) => {
      s.domainname = 'example.org';
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    }));
    const o = ops(p);
    expect(stepsOf(p, 'setdomainname')).toEqual([{ op: 'setdomainname', name: 'example.org' }]);
    expect(stepsOf(p, 'sysctl')).toEqual([{ op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }]);
    expect(o.indexOf('sysctl')).toBeGreaterThan(o.indexOf('pivot-root'));
    expect(o.indexOf('sysctl')).toBeLessThan(o.indexOf('readonly-path'));
  });

  it('refuses a hostname without a UTS namespace even in a hand-built spec', () => {
    const s = spec((x) => { x.linux!.namespaces = x.linux!.namespaces!.filter((ns) => ns.type !== 'uts'); });
    expect(() => plan(s)).toThrow(SpecError);
  });

  it('requires a process', () => {
    expect(() => plan(spec((s) => { delete s.process; }))).toThrow(/process: is required/);
  });

  it('keeps RLIM_INFINITY exact, and clamps a number that rounded past 2^64-1', () => {
    const p = plan(spec((s) => {
      s.process!.rlimits = [
        { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 18446744073709551615 }, // a double: 2^64
      ];
    }));
    expect(stepsOf(p, 'setrlimit')).toEqual([
      { op: 'setrlimit', resource: 'CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
      { op: 'setrlimit', resource: 'NOFILE', soft: 1024n, hard: RLIM_INFINITY },
    ]);
  });

  it('honours umask and additional gids (oomScoreAdj is written from the host, not by a step)', () => {
    const p = plan(spec((s) => {
      s.process!.oomScoreAdj = -500;
      s.process!.user = { uid: 1000, gid: 1000, umask: 0o077, additionalGids: [5, 6] };
    }));
    expect(ops(p).some((op) => op.includes('oom'))).toBe(false);
    expect(stepsOf(p, 'umask')).toEqual([{ op: 'umask', mask: 0o077 }]);
    expect(stepsOf(p, 'switch-user')).toEqual([{ op: 'switch-user', uid: 1000, gid: 1000, additionalGids: [5, 6] }]);
  });

  it('leaves capabilities alone when the spec has no capabilities object', () => {
    const o = ops(plan(spec((s) => { delete s.process!.capabilities; })));
    expect(o).not.toContain('drop-bounding-caps');
    expect(o).not.toContain('set-capabilities');
    expect(o).toContain('switch-user');
  });
});

describe('devices', () => {
  it('lets linux.devices override a default device and leaves /dev/ptmx to the symlink', () => {
    const p = plan(spec((s) => {
      s.linux!.devices = [
        { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o20600, uid: 0, gid: 0 },
        { path: '/dev/ptmx', type: 'c', major: 5, minor: 2 },
        { path: '/dev/sda', type: 'b', major: 8, minor: 0, uid: 0, gid: 6 },
      ];
    }));
    const nodes = stepsOf(p, 'mknod');
    expect(nodes.filter((d) => d.path === '/dev/null')).toEqual([
      { op: 'mknod', path: '/dev/null', type: 'c', major: 1, minor: 3, mode: 0o600, uid: 0, gid: 0 },
    ]);
    expect(nodes.map((d) => d.path)).not.toContain('/dev/ptmx');
    expect(nodes.find((d) => d.path === '/dev/sda')).toEqual({ op: 'mknod', path: '/dev/sda', type: 'b', major: 8, minor: 0, mode: 0o666, uid: 0, gid: 6 });
  });

  it('leaves a bind-mounted /dev alone', () => {
    const p = plan(spec((s) => {
      s.mounts = s.mounts!.map((m) => (m.destination === '/dev' ? { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] } : m));
    }));
    expect(ops(p)).not.toContain('mknod');
    expect(ops(p)).not.toContain('symlink');
    expect(mountAt(p, '/dev')).toMatchObject({ source: '/dev', fstype: '', flags: ['bind', 'rec'], create: 'dir' });
  });

  it('links /dev/core only when /proc is mounted', () => {
    const p = plan(spec((s) => { s.mounts = s.mounts!.filter((m) => m.destination !== '/proc'); }));
    expect(stepsOf(p, 'symlink').map((l) => l.path)).not.toContain('/dev/core');
  });
});

describe('bind mounts', () => {
  it('creates a file or a directory to mount on, by what the source is', () => {
    const p = plan(spec((s) => {
      s.mounts!.push(
        { destination: '/etc/resolv.conf', type: 'none', source: join(host, 'resolv.conf'), options: ['bind', 'ro'] },
        { destination: '/data/', source: join(host, 'data'), options: ['rbind', 'rw', 'nosuid', 'rprivate'] },
      );
    }));
    expect(mountAt(p, '/etc/resolv.conf')).toEqual({
      op: 'mount', source: join(host, 'resolv.conf'), target: '/etc/resolv.conf', fstype: '',
      flags: ['ro', 'bind'], propagation: [], data: '', create: 'file',
    });
    expect(mountAt(p, '/data')).toEqual({
      op: 'mount', source: join(host, 'data'), target: '/data', fstype: '',
      flags: ['nosuid', 'bind', 'rec'], propagation: ['rprivate'], data: '', create: 'dir',
    });
  });

  it('resolves a relative source against the bundle', () => {
    const s = spec((x) => { x.mounts!.push({ destination: '/data', source: 'data', options: ['bind'] }); });
    expect(mountAt(plan(s, { bundle: host }), '/data')?.source).toBe(join(host, 'data'));
    expect(() => plan(s)).toThrow(/mounts\[7\].source: "data" is relative/);
  });

  it('reports a missing source with its JSON path', () => {
    const s = spec((x) => { x.mounts!.push({ destination: '/data', source: join(host, 'nope'), options: ['bind'] }); });
    expect(() => plan(s)).toThrow(`config.json: mounts[7].source: cannot bind-mount ${join(host, 'nope')}: ENOENT`);
  });

  it('rejects options it cannot honour instead of ignoring them', () => {
    const s = spec((x) => { x.mounts!.push({ destination: '/data', source: join(host, 'data'), options: ['rbind', 'idmap'] }); });
    expect(() => plan(s)).toThrow(/mounts\[7\].options\[1\]: "idmap": idmapped mounts/);
  });

  it('names each bind source once for stage 0 to open (a new user namespace), and no filesystem mount', () => {
    const s = spec((x) => {
      x.mounts!.push({ destination: '/a', source: join(host, 'data'), options: ['rbind'] });
      x.mounts!.push({ destination: '/b', source: join(host, 'data'), options: ['bind', 'ro'] });
    });
    expect(bindSources(plan(s).steps)).toEqual([join(host, 'data')]);
  });

  it('refuses what runc\'s checkProcMount refuses: a non-proc on /proc, anything inside /proc but lxcfs\'s files', () => {
    const withMount = (m: Spec['mounts']) => spec((x) => { x.mounts!.push(...m!); });
    expect(() => plan(withMount([{ destination: '/proc/sys/kernel/core_pattern', source: join(host, 'data'), options: ['bind'] }])))
      .toThrow('config.json: mounts[7].destination: "/proc/sys/kernel/core_pattern" cannot be mounted because it is inside /proc');
    expect(() => plan(withMount([{ destination: '/proc/', source: join(host, 'data'), options: ['rbind'] }])))
      .toThrow('mounts[7].destination: "/proc" cannot be mounted because it is not of type proc');
    expect(() => plan(withMount([{ destination: '/proc/x', type: 'devpts', source: 'devpts' }]))).toThrow(/inside \/proc/);
    // lxcfs's files, a procfs bind on /proc, and filesystems of their own kind are allowed.
    expect(() => plan(withMount([{ destination: '/proc/meminfo', source: join(host, 'data'), options: ['bind'] }]))).not.toThrow();
    expect(() => plan(withMount([{ destination: '/proc', source: '/proc', options: ['rbind'] }]))).not.toThrow();
    expect(() => plan(withMount([{ destination: '/proc/scratch', type: 'tmpfs', source: 'tmpfs' }]))).not.toThrow();
  });

  it('applies rro after the bind mount, with mount_setattr on the whole tree', () => {
    const s = spec((x) => { x.mounts!.push({ destination: '/data', source: join(host, 'data'), options: ['rbind', 'rro', 'rnosuid'] }); });
    const p = plan(s);
    const at = p.steps.findIndex((step) => step.op === 'mount' && step.target === '/data');
    expect(p.steps[at + 1]).toEqual({ op: 'mount-setattr', target: '/data', set: ['ro', 'nosuid'], clear: [] });
    expect(p.steps.findIndex((step) => step.op === 'pivot-root')).toBeGreaterThan(at + 1);
  });

  it('mounts a read-only tmpfs or /dev writable and makes it read-only after the masks, as runc', () => {
    const s = spec((x) => {
      x.mounts!.find((m) => m.destination === '/dev')!.options!.push('ro');
      x.mounts!.push({ destination: '/scratch', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid', 'rnoexec'] });
    });
    const p = plan(s);
    expect(mountAt(p, '/dev')!.flags).not.toContain('ro');
    expect(mountAt(p, '/scratch')!.flags).toEqual(['nosuid']);
    const finals = p.steps.filter((step) => step.op === 'remount-readonly' || step.op === 'mount-setattr');
    expect(finals).toEqual([
      { op: 'remount-readonly', target: '/dev', flags: ['ro', 'nosuid', 'strictatime'] },
      { op: 'remount-readonly', target: '/scratch', flags: ['ro', 'nosuid'] },
      { op: 'mount-setattr', target: '/scratch', set: ['noexec'], clear: [] },
    ]);
    const ops = p.steps.map((step) => step.op);
    expect(ops.indexOf('remount-readonly')).toBeGreaterThan(ops.lastIndexOf('mask-path'));
    expect(ops.indexOf('remount-readonly')).toBeGreaterThan(ops.indexOf('pivot-root'));
  });
});

describe('mount options', () => {
  it('turns fstab options into flags, propagation and data, later options winning', () => {
    expect(parseMountOptions(['ro', 'rw', 'nosuid', 'suid', 'nodev', 'noexec', 'rshared', 'size=1m', 'defaults'])).toEqual({
      flags: ['nodev', 'noexec'], propagation: ['rshared'], data: ['size=1m'], bind: false, copyUp: false,
      recursive: undefined, unsupported: [],
    });
  });

  it('takes runc\'s flags table: acl, iversion, lazytime, nosymfollow and their opposites', () => {
    expect(parseMountOptions(['acl', 'iversion', 'lazytime', 'nosymfollow', 'noiversion']).flags).toEqual(['acl', 'lazytime', 'nosymfollow']);
    expect(parseMountOptions(['nosymfollow', 'symfollow']).flags).toEqual([]);
  });

  it('turns runc\'s recursive options into what mount_setattr sets and clears, later options winning', () => {
    expect(parseMountOptions(['rbind', 'rro', 'rnosuid', 'rdev', 'rnoexec', 'rnosymfollow']).recursive).toEqual({
      set: ['ro', 'nosuid', 'noexec', 'nosymfollow'], clear: ['nodev'],
    });
    expect(parseMountOptions(['rro', 'rrw']).recursive).toEqual({ set: [], clear: ['ro'] });
    expect(parseMountOptions(['rrw', 'rro']).recursive).toEqual({ set: ['ro'], clear: [] });
    // mount_setattr(2): an access-time value needs the whole MOUNT_ATTR__ATIME field cleared.
    expect(parseMountOptions(['rnoatime']).recursive).toEqual({ set: ['noatime'], clear: ['atime'] });
    expect(parseMountOptions(['rnoatime', 'rstrictatime']).recursive).toEqual({ set: ['strictatime'], clear: ['atime'] });
    expect(parseMountOptions(['ratime']).recursive).toEqual({ set: ['relatime'], clear: ['atime'] });
    expect(parseMountOptions(['rro']).flags).toEqual([]);
    expect(parseMountOptions(['ro']).recursive).toBeUndefined();
  });

  it('lists every option it takes for `features`, as runc\'s KnownMountOptions, and none it refuses', () => {
    for (const option of ['rro', 'rnoatime', 'rbind', 'tmpcopyup', 'nosymfollow', 'rslave', 'defaults']) expect(KNOWN_MOUNT_OPTIONS).toContain(option);
    expect(KNOWN_MOUNT_OPTIONS).not.toContain('idmap');
    expect([...KNOWN_MOUNT_OPTIONS]).toEqual([...KNOWN_MOUNT_OPTIONS].sort());
  });

  it('encodes recursive attributes as MOUNT_ATTR_* bits (relatime is the value 0)', () => {
    expect(stepFields({ op: 'mount-setattr', target: '/d', set: ['ro', 'relatime'], clear: ['atime', 'nodev'] })).toEqual(['/d', 0x1, 0x74]);
  });
});

describe('exec plan', () => {
  it('sets up only the process, with no barrier', () => {
    const process = spec((s) => { s.process!.oomScoreAdj = 10; }).process!;
    expect(ops(compileExecPlan(process, { hasConsoleSocket: true }))).toEqual([
      'terminal', 'setrlimit', 'umask', 'chdir', 'drop-bounding-caps', 'lookup-home', 'switch-user',
      'chdir-as-user', 'set-capabilities', 'no-new-privileges', 'close-fds', 'exec',
    ]);
  });

  it('chroots first into the rootfs of a container without a mount namespace of its own', () => {
    const process = spec((s) => { s.process!.terminal = false; }).process!;
    expect(compileExecPlan(process, { hasConsoleSocket: false, chroot: '/b/rootfs' }).steps[0]).toEqual({ op: 'chroot', rootfs: '/b/rootfs' });
  });

  it('needs a console socket only for a terminal', () => {
    const process = spec((s) => { s.process!.terminal = false; }).process!;
    expect(ops(compileExecPlan(process, { hasConsoleSocket: false }))[0]).toBe('setrlimit');
    expect(() => compileExecPlan({ ...process, terminal: true }, { hasConsoleSocket: false })).toThrow(/console-socket/);
  });
});

describe('namespaces', () => {
  it('creates the listed namespaces with clone flags', () => {
    const { cloneFlags, join: joins } = namespaceCloneFlags(spec());
    expect(cloneFlags).toBe(0x20000 | 0x04000000 | 0x08000000 | 0x20000000 | 0x40000000 | 0x02000000);
    expect(joins).toEqual([]);
  });

  it('joins namespaces with a path, the user namespace first', () => {
    const s = spec((x) => {
      x.linux!.namespaces = [{ type: 'network', path: '/var/run/netns/blue' }, { type: 'mount' }, { type: 'user', path: '/proc/7/ns/user' }, { type: 'time' }];
    });
    expect(namespaceCloneFlags(s)).toEqual({
      cloneFlags: CLONE_FLAGS.mount | CLONE_FLAGS.time,
      join: [{ type: 'user', path: '/proc/7/ns/user' }, { type: 'net', path: '/var/run/netns/blue' }],
    });
  });
});

describe('capabilities', () => {
  it('knows all 41 capabilities, numbered 0 to 40', () => {
    expect(CAPABILITY_NAMES).toHaveLength(41);
    expect(CAPABILITY_NAMES.map((name) => CAPABILITIES[name])).toEqual([...Array(41).keys()]);
    expect(CAPABILITIES.CAP_SYS_ADMIN).toBe(21);
    expect(CAPABILITIES.CAP_CHECKPOINT_RESTORE).toBe(40);
  });
});

describe('ignoredSettings', () => {
  it('lists settings that are parsed but not applied', () => {
    const s = spec((x) => {
      x.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
      x.process!.apparmorProfile = 'docker-default';
    });
    // linux.seccomp is applied (src/seccomp/), so it is no longer listed.
    expect(ignoredSettings(s)).toEqual(['process.apparmorProfile']);
    expect(ignoredSettings(spec())).toEqual([]);
  });
});

// issue 9 item 8: the config `runc spec` writes lists ambient capabilities and no inheritable set.
describe('ambient capabilities', () => {
  it('raises only those that are also permitted and inheritable, as the kernel allows', () => {
    const runcSpec = { bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'] };
    const p = plan(spec((s) => {
      s.process!.capabilities = {
        ...runcSpec, effective: runcSpec.bounding, permitted: runcSpec.bounding, ambient: runcSpec.bounding,
      };
    }));
    expect(stepsOf(p, 'set-capabilities')).toEqual([{
      op: 'set-capabilities', effective: [29, 5, 10], permitted: [29, 5, 10], inheritable: [], ambient: [],
    }]);
    expect(p.warnings).toEqual(['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'].map((name) =>
      `can't raise ambient capability ${name}: it is not in both process.capabilities.permitted and .inheritable (prctl(2) PR_CAP_AMBIENT_RAISE)`));
    const q = plan(spec((s) => {
      s.process!.capabilities = { permitted: ['CAP_KILL', 'CAP_CHOWN'], inheritable: ['CAP_KILL', 'CAP_SYSLOG'], ambient: ['CAP_KILL', 'CAP_CHOWN', 'CAP_SYSLOG'] };
    }));
    expect(stepsOf(q, 'set-capabilities')[0]!.ambient).toEqual([CAPABILITIES.CAP_KILL]);
  });
});

// issue 9 item 15: runc fills in HOME from the container's /etc/passwd (setupUser).
describe('HOME', () => {
  it('is looked up for the process uid, before the uid changes, when the environment has none', () => {
    const p = plan(spec((s) => { s.process!.user = { uid: 100, gid: 101 }; }));
    const o = ops(p);
    expect(stepsOf(p, 'lookup-home')).toEqual([{ op: 'lookup-home', uid: 100 }]);
    expect(o.indexOf('lookup-home')).toBe(o.indexOf('switch-user') - 1);
    expect(o.indexOf('lookup-home')).toBeGreaterThan(o.indexOf('pivot-root'));
    const exec = compileExecPlan(spec((s) => { s.process!.env = ['HOME=']; }).process!, { hasConsoleSocket: true });
    expect(ops(exec)).toContain('lookup-home');
  });

  it('is left alone when the environment sets it', () => {
    expect(ops(plan(spec((s) => { s.process!.env = ['HOME=/data']; })))).not.toContain('lookup-home');
  });
});

// issue 9 item 10: linux.namespaces without a new mount namespace (none, or one joined by path).
describe('a container without a mount namespace of its own', () => {
  const bare = (edit: (s: Spec) => void = () => {}) => spec((s) => {
    s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'mount');
    s.mounts = [];
    delete s.linux!.maskedPaths;
    delete s.linux!.readonlyPaths;
    edit(s);
  });

  it('chroots into the rootfs and mounts nothing', () => {
    for (const s of [bare(), bare((x) => { x.linux!.namespaces!.push({ type: 'mount', path: '/proc/42/ns/mnt' }); })]) {
      const p = plan(s);
      const o = ops(p);
      expect(stepsOf(p, 'chroot')).toEqual([{ op: 'chroot', rootfs: OPTIONS.rootfs }]);
      for (const op of ['set-root-propagation', 'bind-rootfs', 'mount', 'mknod', 'symlink', 'pivot-root', 'move-root', 'remount-root-readonly'] as const) {
        expect(o).not.toContain(op);
      }
      expect(o.indexOf('chroot')).toBeLessThan(o.indexOf('switch-user'));
    }
  });

  it('refuses what would need one, naming the field (maskedPaths with runc\'s words)', () => {
    expect(() => plan(bare((s) => { s.linux!.maskedPaths = ['/proc/kcore']; })))
      .toThrow(/linux\.maskedPaths: unable to restrict sys entries without a private MNT namespace/);
    expect(() => plan(bare((s) => { s.linux!.readonlyPaths = ['/proc/sys']; }))).toThrow(/linux\.readonlyPaths/);
    expect(() => plan(bare((s) => { s.mounts = [{ destination: '/proc', type: 'proc', source: 'proc' }]; }))).toThrow(/mounts\[0\]: a mount without a mount namespace/);
    expect(() => plan(bare((s) => { s.linux!.rootfsPropagation = 'shared'; }))).toThrow(/linux\.rootfsPropagation/);
    expect(() => plan(bare((s) => { s.linux!.devices = [{ path: '/dev/sda', type: 'b', major: 8, minor: 0 }]; }))).toThrow(/linux\.devices\[0\]/);
  });
});
