import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RuntimeError } from '../../src/errors.js';
import { defaultSpec, OCI_VERSION } from '../../src/spec/defaults.js';
import { jsonPath } from '../../src/spec/errors.js';
import { parseJson, stringifyJson } from '../../src/spec/json.js';
import { loadSpec, SpecError } from '../../src/spec/load.js';
import { sysctlDotted, sysctlNamespace } from '../../src/spec/rules.js';
import type { Spec } from '../../src/spec/schema.js';
import { parseProcess, parseSpec } from '../../src/spec/validate.js';

/** The default config.json, edited, as the plain JSON value that arrives from disk. */
function config(edit: (spec: Spec) => void = () => {}, rootless = false): unknown {
  const spec = defaultSpec({ rootless });
  edit(spec);
  return JSON.parse(JSON.stringify(spec)) as unknown;
}

/** The SpecError parseSpec throws for `value` (fails the test if it does not throw). */
function specError(value: unknown): SpecError {
  try {
    parseSpec(value);
  } catch (error) {
    if (error instanceof SpecError) return error;
    throw error;
  }
  throw new Error('expected parseSpec to throw a SpecError');
}

describe('valid configs', () => {
  it('accepts the default spec', () => {
    expect(() => parseSpec(config())).not.toThrow();
  });

  it('accepts the rootless default spec', () => {
    expect(() => parseSpec(config(() => {}, true))).not.toThrow();
  });

  it('keeps unknown properties instead of rejecting them (config.md#extensibility)', () => {
    const spec = parseSpec(config((s) => {
      Object.assign(s, { vendorExtension: { x: 1 } });
      Object.assign(s.process!, { somethingNew: true });
    }));
    expect(spec.vendorExtension).toEqual({ x: 1 });
    expect(spec.process?.somethingNew).toBe(true);
  });

  it('accepts an empty namespace path as "no path", as runc does', () => {
    expect(() => parseSpec(config((s) => { s.linux!.namespaces![0]!.path = ''; }))).not.toThrow();
  });

  it('parses the full shape of cgroup resources and seccomp', () => {
    const spec = parseSpec(config((s) => {
      s.linux!.resources = {
        devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }],
        memory: { limit: 536870912, reservation: 536870912, swap: 536870912, kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: false },
        cpu: { shares: 1024, quota: 1000000, period: 500000, realtimeRuntime: 950000, realtimePeriod: 1000000, cpus: '2-3', mems: '0-7' },
        pids: { limit: 32771 },
        blockIO: { weight: 10, weightDevice: [{ major: 8, minor: 0, weight: 500 }], throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }] },
        hugepageLimits: [{ pageSize: '2MB', limit: 2 ** 40 }],
        network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 500 }] },
        rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
        unified: { 'memory.high': '1G' },
      };
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }] }],
      };
    }));
    expect(spec.linux?.resources?.memory?.limit).toBe(536870912);
    expect(spec.linux?.seccomp?.syscalls?.[0]?.names).toEqual(['read', 'write']);
  });
});

describe('invalid configs name the JSON path and the reason', () => {
  it('process.args must not be empty', () => {
    const error = specError(config((s) => { s.process!.args = []; }));
    expect(error.message).toBe('config.json: process.args: must have at least one element');
    expect(error.path).toBe('process.args');
  });

  it('namespace types come from the known set', () => {
    const value = config((s) => { Object.assign(s.linux!.namespaces![2]!, { type: 'foo' }); });
    expect(specError(value).message).toBe(
      'config.json: linux.namespaces[2].type: "foo" is not a namespace type (mount, uts, ipc, pid, network, user, cgroup, time)');
  });

  it('a namespace type may appear only once', () => {
    const error = specError(config((s) => { s.linux!.namespaces!.push({ type: 'pid' }); }));
    expect(error.path).toBe('linux.namespaces[6].type');
    expect(error.message).toMatch(/"pid" is listed more than once/);
  });

  it('capability names must be ones Linux defines', () => {
    const error = specError(config((s) => { s.process!.capabilities!.effective = ['CAP_KILL', 'CAP_FLY']; }));
    expect(error.path).toBe('process.capabilities.effective[1]');
    expect(error.message).toMatch(/"CAP_FLY" is not a Linux capability/);
  });

  it('process.cwd must be absolute, and is required', () => {
    expect(specError(config((s) => { s.process!.cwd = 'home'; })).message)
      .toBe('config.json: process.cwd: "home" must be an absolute path');
    expect(specError(config((s) => { Reflect.deleteProperty(s.process!, 'cwd'); })).message)
      .toBe('config.json: process.cwd: is required');
  });

  it('mount destinations must be absolute', () => {
    expect(specError(config((s) => { s.mounts![1]!.destination = 'dev'; })).path).toBe('mounts[1].destination');
  });

  it('rlimit types are RLIMIT_* names, each at most once, soft not above hard', () => {
    const unknown = config((s) => { Object.assign(s.process!.rlimits![0]!, { type: 'RLIMIT_FOO' }); });
    expect(specError(unknown).message).toMatch(/^config.json: process.rlimits\[0\].type: "RLIMIT_FOO" is not an rlimit type/);

    const twice = config((s) => { s.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', hard: 10, soft: 10 }); });
    expect(specError(twice).path).toBe('process.rlimits[1].type');

    const inverted = config((s) => { s.process!.rlimits![0]!.soft = 2048; });
    expect(specError(inverted).message).toMatch(/process.rlimits\[0\].soft: soft limit 2048 is above the hard limit 1024/);
  });

  it('uid/gid mappings need a user namespace', () => {
    const value = config((s) => { s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]; });
    expect(specError(value).path).toBe('linux.uidMappings');
  });

  it('a new user namespace needs both mappings', () => {
    expect(specError(config((s) => { delete s.linux!.gidMappings; }, true)).path).toBe('linux.gidMappings');
  });

  it('a joined user namespace takes no mappings', () => {
    const userIndex = defaultSpec({ rootless: true }).linux!.namespaces!.findIndex((ns) => ns.type === 'user');
    const value = config((s) => { s.linux!.namespaces![userIndex]!.path = '/proc/1/ns/user'; }, true);
    expect(specError(value).path).toBe(`linux.namespaces[${userIndex}].path`);
  });

  it('a hostname needs a UTS namespace', () => {
    const value = config((s) => { s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'uts'); });
    expect(specError(value).message).toBe('config.json: hostname: setting a hostname needs a "uts" entry in linux.namespaces');
  });

  it('hook paths must be absolute and timeouts positive', () => {
    const error = specError(config((s) => { s.hooks = { createContainer: [{ path: 'hook.sh', timeout: 0 }] }; }));
    expect(error.path).toBe('hooks.createContainer[0].path');
    expect(error.message).toContain('config.json: hooks.createContainer[0].timeout: must be greater than zero');
  });

  it('sysctls must belong to a namespace the container has (runc\'s classification)', () => {
    // The rootless spec has no network namespace.
    const error = specError(config((s) => { s.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.panic': '1' }; }, true));
    expect(error.message).toContain('linux.sysctl["net.ipv4.ip_forward"]: is not allowed in the host\'s network namespace (no "network" entry');
    expect(error.message).toContain('linux.sysctl["kernel.panic"]: is not in a separate kernel namespace');

    const noIpc = config((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'ipc' && ns.type !== 'uts');
      s.linux!.sysctl = { 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '1', 'kernel.domainname': 'x' };
      delete s.hostname;
    });
    const lines = specError(noIpc).message.split('\n');
    expect(lines).toEqual([
      'config.json: linux.sysctl["kernel.shmmax"]: is not allowed in the host\'s IPC namespace (no "ipc" entry in linux.namespaces)',
      'config.json: linux.sysctl["fs.mqueue.msg_max"]: is not allowed in the host\'s IPC namespace (no "ipc" entry in linux.namespaces)',
      'config.json: linux.sysctl["kernel.domainname"]: is not allowed in the host\'s UTS namespace (no "uts" entry in linux.namespaces)',
    ]);
    // kernel.hostname has its own OCI field; user.* (ucounts) needs a user namespace.
    const error2 = specError(config((s) => { s.linux!.sysctl = { 'kernel.hostname': 'x', 'user.max_user_namespaces': '0' }; }));
    expect(error2.message).toContain('linux.sysctl["kernel.hostname"]: conflicts with the OCI "hostname" field');
    expect(error2.message).toContain('linux.sysctl["user.max_user_namespaces"]: sets ucounts, which is not allowed without a user namespace');
    // With their namespaces, all of these are the container's own.
    expect(() => parseSpec(config((s) => {
      s.linux!.namespaces!.push({ type: 'network' });
      s.linux!.sysctl = { 'kernel.shmmax': '1', 'net/ipv4/conf/eth0.100/rp_filter': '1', 'kernel.domainname': 'x', 'user.max_user_namespaces': '1' };
    }, true))).not.toThrow();
  });

  it('a "/"-separated sysctl name is read as sysctl.d(5) reads it', () => {
    expect(sysctlDotted('net/ipv4/conf/eno2.100/rp_filter')).toBe('net.ipv4.conf.eno2/100.rp_filter');
    expect(sysctlDotted('net.ipv4.ip_forward')).toBe('net.ipv4.ip_forward');
    expect(sysctlNamespace('kernel/shmmax')).toEqual({ kind: 'namespaced', namespace: 'ipc' });
  });

  it('process uids and gids are 0..2^31-1, as in runc: 4294967295 would leave the process root', () => {
    const uid = specError(config((s) => { s.process!.user.uid = 4294967295; }));
    expect(uid.path).toBe('process.user.uid');
    expect(uid.message).toMatch(/must be in range 0-2147483647.*not 4294967295 \(\(uid_t\)-1/);
    expect(specError(config((s) => { s.process!.user.gid = 2147483648; })).message)
      .toBe('config.json: process.user.gid: must be in range 0-2147483647, as uids and gids are in runc, not 2147483648');
    expect(specError(config((s) => { s.process!.user.additionalGids = [10, 4294967295]; })).path).toBe('process.user.additionalGids[1]');
    expect(() => parseSpec(config((s) => { s.process!.user = { uid: 2147483647, gid: 2147483647, additionalGids: [0] }; }))).not.toThrow();
  });

  it('a new user namespace must map container id 0 and the process\'s ids, as runc requires', () => {
    const noRoot = specError(config((s) => { s.linux!.uidMappings = [{ containerID: 1000, hostID: 100000, size: 1 }]; }, true));
    expect(noRoot.message.split('\n')[0]).toBe('config.json: linux.uidMappings: maps no container uid 0: the runtime sets the container up as root in its user namespace');
    const unmapped = specError(config((s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 10 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 10 }];
      s.process!.user = { uid: 50, gid: 5, additionalGids: [3, 10] };
    }, true));
    expect(unmapped.message.split('\n')).toEqual([
      'config.json: process.user.uid: 50 is not mapped by linux.uidMappings, so the process cannot run as it',
      'config.json: process.user.additionalGids[1]: 10 is not mapped by linux.gidMappings, so setgroups(2) refuses it',
    ]);
    // A joined user namespace keeps its own mappings, which the spec does not show.
    const userIndex = defaultSpec({ rootless: true }).linux!.namespaces!.findIndex((ns) => ns.type === 'user');
    expect(() => parseSpec(config((s) => {
      s.linux!.namespaces![userIndex]!.path = '/proc/1/ns/user';
      delete s.linux!.uidMappings;
      delete s.linux!.gidMappings;
      s.process!.user = { uid: 50, gid: 50 };
    }, true))).not.toThrow();
  });

  it('uid/gid mappings the kernel would refuse name the mapping: size 0, (u32)-1, wrapping, overlapping', () => {
    const mapped = (uid: { containerID: number; hostID: number; size: number }[]) =>
      specError(config((s) => { s.linux!.uidMappings = uid; }, true));
    expect(mapped([{ containerID: 0, hostID: 100000, size: 0 }]).message.split('\n')[0])
      .toBe('config.json: linux.uidMappings[0].size: must be at least 1: an empty range maps nothing, and the kernel refuses it (user_namespaces(7))');
    expect(mapped([{ containerID: 4294967295, hostID: 0, size: 1 }]).path).toBe('linux.uidMappings[0].containerID');
    expect(mapped([{ containerID: 0, hostID: 4294967000, size: 1000 }]).message).toMatch(/uidMappings\[0\].size: hostID 4294967000 \+ size 1000 runs past/);
    expect(mapped([{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 500, hostID: 300000, size: 10 }]).message)
      .toMatch(/^config.json: linux.uidMappings\[1\]: its containerID range overlaps linux.uidMappings\[0\]'s/);
    expect(mapped(Array.from({ length: 341 }, (_, i) => ({ containerID: i, hostID: 100000 + i, size: 1 }))).path).toBe('linux.uidMappings');
    expect(() => parseSpec(config((s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1000 }, { containerID: 1000, hostID: 4294966294, size: 1000 }];
    }, true))).not.toThrow();
  });

  it('character and block devices need major and minor numbers', () => {
    const value = config((s) => { s.linux!.devices = [{ path: '/dev/fuse', type: 'c', minor: 229 }]; });
    expect(specError(value).message).toBe('config.json: linux.devices[0].major: is required for a "c" device');
  });

  it('wrong types say what was expected', () => {
    const value = config((s) => { Object.assign(s.process!, { terminal: 'yes' }); });
    expect(specError(value).message).toBe('config.json: process.terminal: must be a boolean, not "yes"');
  });

  it('a SpecError is a RuntimeError, so the CLI reports it like any failure', () => {
    expect(specError(config((s) => { s.process!.args = []; }))).toBeInstanceOf(RuntimeError);
  });
});

describe('loadSpec', () => {
  let bundle = '';
  afterEach(() => {
    if (bundle) rmSync(bundle, { recursive: true, force: true });
  });
  function bundleWith(configText: string): string {
    bundle = mkdtempSync(join(tmpdir(), 'ts-runc-spec-'));
    writeFileSync(join(bundle, 'config.json'), configText);
    return bundle;
  }

  it('reads <bundle>/config.json', async () => {
    const spec = await loadSpec(bundleWith(JSON.stringify(defaultSpec({ rootless: false }))));
    expect(spec.process?.args).toEqual(['sh']);
  });

  it('reports a missing config.json with its path', async () => {
    bundle = mkdtempSync(join(tmpdir(), 'ts-runc-spec-'));
    await expect(loadSpec(bundle)).rejects.toThrow(`config.json: cannot read ${join(bundle, 'config.json')}: ENOENT`);
  });

  it('reports a JSON syntax error', async () => {
    await expect(loadSpec(bundleWith('{"ociVersion": '))).rejects.toThrow(/^config.json: not valid JSON: /);
  });

  it('keeps RLIM_INFINITY (2^64-1) exact instead of rounding it to 2^64', async () => {
    const text = JSON.stringify(defaultSpec({ rootless: false })).replace('"hard":1024', '"hard":18446744073709551615');
    const spec = await loadSpec(bundleWith(text));
    expect(spec.process?.rlimits?.[0]?.hard).toBe(18446744073709551615n);
  });
});

describe('json', () => {
  it('round-trips integers beyond 2^53 exactly', () => {
    const text = '{"a":18446744073709551615,"b":-9223372036854775808,"c":1.5,"d":42}';
    const value = parseJson(text);
    expect(value).toEqual({ a: 18446744073709551615n, b: -9223372036854775808n, c: 1.5, d: 42 });
    expect(stringifyJson(value, 0)).toBe(text);
  });

  it('formats JSON paths with indexes and quoted non-identifier keys', () => {
    expect(jsonPath(['linux', 'namespaces', 2, 'type'])).toBe('linux.namespaces[2].type');
    expect(jsonPath(['linux', 'sysctl', 'net.ipv4.ip_forward'])).toBe('linux.sysctl["net.ipv4.ip_forward"]');
  });
});

describe('parseProcess (exec)', () => {
  it('validates a process object on its own, naming the file', () => {
    expect(parseProcess({ args: ['ls'], cwd: '/', user: { uid: 0, gid: 0 } }).args).toEqual(['ls']);
    expect(() => parseProcess({ args: ['ls'], cwd: '/', user: { uid: 0, gid: 0 }, capabilities: { bounding: ['CAP_NOPE'] } }, 'p.json'))
      .toThrow(/^p.json: capabilities.bounding\[0\]: "CAP_NOPE"/);
  });

  it('refuses a uid or gid runc refuses (exec -p and exec --user go through here)', () => {
    expect(() => parseProcess({ args: ['id'], cwd: '/', user: { uid: 4294967295, gid: 0 } }, 'process.json'))
      .toThrow(/^process.json: user.uid: must be in range 0-2147483647/);
    expect(() => parseProcess({ args: ['id'], cwd: '/', user: { uid: 0, gid: 0, additionalGids: [2147483648] } }, 'exec flags'))
      .toThrow(/^exec flags: user.additionalGids\[0\]: must be in range/);
  });
});

describe('defaultSpec (what `runc spec` writes)', () => {
  const spec = defaultSpec({ rootless: false });

  it('runs sh in a terminal as root with runc\'s three capabilities', () => {
    expect(spec.ociVersion).toBe(OCI_VERSION);
    expect(spec.process?.args).toEqual(['sh']);
    expect(spec.process?.terminal).toBe(true);
    expect(spec.process?.user).toEqual({ uid: 0, gid: 0 });
    expect(spec.process?.cwd).toBe('/');
    const caps = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    expect(spec.process?.capabilities).toEqual({ bounding: caps, effective: caps, permitted: caps });
    expect(spec.process?.rlimits).toEqual([{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
    expect(spec.process?.noNewPrivileges).toBe(true);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(spec.hostname).toBe('ts-runc');
  });

  it('has the standard mounts', () => {
    expect(spec.mounts?.map((m) => `${m.destination}:${m.type}`)).toEqual([
      '/proc:proc', '/dev:tmpfs', '/dev/pts:devpts', '/dev/shm:tmpfs', '/dev/mqueue:mqueue', '/sys:sysfs', '/sys/fs/cgroup:cgroup',
    ]);
    expect(spec.mounts?.[2]?.options).toEqual(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  });

  it('creates pid, network, ipc, uts, mount and cgroup namespaces', () => {
    expect(spec.linux?.namespaces?.map((ns) => ns.type)).toEqual(['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup']);
    expect(spec.linux?.maskedPaths).toContain('/proc/kcore');
    expect(spec.linux?.readonlyPaths).toContain('/proc/sys');
    expect(spec.linux?.resources).toEqual({ devices: [{ allow: false, access: 'rwm' }] });
  });

  it('rootless: maps the caller to root in a user namespace and drops what needs privilege', () => {
    const rootless = defaultSpec({ rootless: true });
    expect(rootless.linux?.namespaces?.map((ns) => ns.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
    expect(rootless.linux?.uidMappings).toEqual([{ containerID: 0, hostID: process.geteuid?.(), size: 1 }]);
    expect(rootless.linux?.gidMappings).toEqual([{ containerID: 0, hostID: process.getegid?.(), size: 1 }]);
    expect(rootless.linux?.resources).toBeUndefined();
    expect(rootless.mounts?.find((m) => m.destination === '/sys'))
      .toEqual({ destination: '/sys', type: 'none', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
    expect(rootless.mounts?.find((m) => m.destination === '/dev/pts')?.options).not.toContain('gid=5');
    expect(rootless.mounts?.some((m) => m.type === 'cgroup')).toBe(true); // runc keeps it too
  });

  it('returns a fresh object each time', () => {
    const a = defaultSpec({ rootless: false });
    a.process?.args.push('-c');
    expect(defaultSpec({ rootless: false }).process?.args).toEqual(['sh']);
  });
});
