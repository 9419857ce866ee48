/**
 * The generated spec-check.ts (scripts/gen-spec-check.mjs) must give zod's answer: load.ts
 * takes a config it accepts without asking zod, so accepting one zod refuses would drop a
 * validation. Held here three ways: the file is what the schemas generate today, it gives
 * zod's answer on thousands of configs made by breaking valid ones one value at a time,
 * and load.ts's checkSpec returns what parseSpec returns or throws what it throws.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without types
import { FUNCTION_MODULES, generate, inputsOf } from '../../scripts/gen-spec-check.mjs';
import * as capabilities from '../../src/spec/capabilities.js';
import { defaultSpec } from '../../src/spec/defaults.js';
import { checkProcess, checkSpec } from '../../src/spec/load.js';
import * as rules from '../../src/spec/rules.js';
import * as schema from '../../src/spec/schema.js';
import type { Spec } from '../../src/spec/schema.js';
import { isValidProcess, isValidSpec } from '../../src/spec/spec-check.js';
import * as validate from '../../src/spec/validate.js';
import * as valueChecks from '../../src/spec/value-checks.js';

const modules: Record<string, unknown> = { './capabilities.js': capabilities, './rules.js': rules, './value-checks.js': valueChecks };

/** A config.json that uses every part of the schema, valid as a whole. */
function richSpec(): Spec {
  const spec = defaultSpec({ rootless: true });
  spec.hostname = 'web';
  spec.domainname = 'example';
  spec.annotations = { 'org.example/key': 'value' };
  spec.hooks = {
    prestart: [{ path: '/bin/true', args: ['true'], env: ['A=1'], timeout: 5 }],
    createRuntime: [{ path: '/bin/true' }], createContainer: [{ path: '/bin/true' }],
    startContainer: [{ path: '/bin/true' }], poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }],
  };
  const process = spec.process!;
  Object.assign(process, {
    terminal: false, consoleSize: { height: 24, width: 80 }, commandLine: 'sh', apparmorProfile: 'p', selinuxLabel: 'l',
    oomScoreAdj: 100, ioPriority: { class: 'IOPRIO_CLASS_BE', priority: 4 },
    scheduler: { policy: 'SCHED_OTHER', nice: 1, priority: 0, flags: ['SCHED_FLAG_RESET_ON_FORK'], runtime: 1, deadline: 2, period: 3 },
    user: { uid: 0, gid: 0, umask: 18, additionalGids: [0], username: 'root' },
    rlimits: [{ type: 'RLIMIT_NOFILE', hard: 18446744073709551615n, soft: 1024 }, { type: 'RLIMIT_CORE', hard: 0, soft: 0 }],
  });
  spec.mounts!.push({ destination: '/data', type: 'bind', source: '/tmp', options: ['rbind'],
    uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
  const linux = spec.linux!;
  linux.namespaces!.push({ type: 'network', path: '' }, { type: 'time' });
  linux.devices = [{ type: 'c', path: '/dev/fuse', major: 10, minor: 229, fileMode: 438, uid: 0, gid: 0 }, { type: 'p', path: '/dev/fifo' }];
  linux.rootfsPropagation = 'rslave';
  linux.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1000' };
  linux.cgroupsPath = '/example';
  linux.mountLabel = 'l';
  linux.intelRdt = { closID: 'c', l3CacheSchema: 'L3:0=ff', memBwSchema: 'MB:0=50', schemata: 's', enableCMT: true, enableMBM: false };
  linux.personality = { domain: 'LINUX', flags: [] };
  linux.timeOffsets = { monotonic: { secs: -5, nanosecs: 10 } };
  linux.resources = {
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: -1, access: 'rw' }],
    memory: { limit: 536870912, reservation: 1, swap: -1, kernel: -1, kernelTCP: -1, swappiness: 0, disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: false },
    cpu: { shares: 1024, quota: -1, burst: 0, period: 100000, realtimeRuntime: 0, realtimePeriod: 0, cpus: '0', mems: '0', idle: 0 },
    pids: { limit: 100 },
    blockIO: { weight: 10, leafWeight: 10, weightDevice: [{ major: 8, minor: 0, weight: 500, leafWeight: 1 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 600 }], throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 1 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 2 }], throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 3 }] },
    hugepageLimits: [{ pageSize: '2MB', limit: 0 }],
    network: { classID: 1, priorities: [{ name: 'eth0', priority: 1 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } },
    unified: { 'memory.high': '1G' },
  };
  linux.seccomp = {
    defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'], flags: ['SECCOMP_FILTER_FLAG_LOG'],
    listenerPath: '/run/agent.sock', listenerMetadata: 'm',
    syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', errnoRet: 0, args: [{ index: 0, value: 1, valueTwo: 2, op: 'SCMP_CMP_EQ' }] }],
  };
  return spec;
}

/** Values to put in place of each value: wrong types, edges of every range, and names of every list. */
const REPLACEMENTS: unknown[] = [
  null, true, false, 'x', '', '/abs', 'rel/ative', '1.0.2', 0, -1, 1, 1.5, 7, 8, 1000, 1001, -1001, 65535, 65536,
  2 ** 31 - 1, 2 ** 31, -(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -(2 ** 53), 1e300,
  2n ** 63n - 1n, 2n ** 63n, -(2n ** 63n), -(2n ** 63n) - 1n, 2n ** 64n - 1n, 2n ** 64n, -1n,
  [], [1], ['x'], ['/abs'], {}, { x: 1 },
  'CAP_KILL', 'CAP_NOPE', 'RLIMIT_NOFILE', 'RLIMIT_CORE', 'SCMP_ACT_ALLOW', 'mount', 'user', 'uts', 'time', 'network', 'p', 'c',
  'rwm', 'rwx', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_x', 'shared', 'LINUX32', 'IOPRIO_CLASS_RT', 'SCHED_FIFO', 'SCMP_CMP_NE',
  'SECCOMP_FILTER_FLAG_TSYNC', 'SCHED_FLAG_RECLAIM', 'kernel.hostname', 'net.core.somaxconn',
];

type Path = (string | number)[];

/** Every path in a JSON value: object keys and array indexes, parents first. */
function paths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [at];
  const children = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [at, ...children.flatMap(([key, v]) => paths(v, [...at, key]))];
}

/** `value` with the value at `path` replaced (`remove`: deleted); only the objects on the path are copied. */
function mutate(value: unknown, path: Path, replacement: unknown, remove = false): unknown {
  if (path.length === 0) return replacement;
  const [key, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) {
    const copy = [...value as unknown[]];
    if (rest.length === 0 && remove) copy.splice(key as number, 1);
    else copy[key as number] = mutate(copy[key as number], rest, replacement, remove);
    return copy;
  }
  const copy = { ...value as Record<string, unknown> };
  if (rest.length === 0 && remove) delete copy[key];
  else copy[key] = mutate(copy[key], rest, replacement, remove);
  return copy;
}

/** Every config that breaking `base` one value at a time gives, with a few added keys. */
function* variants(base: unknown): Generator<unknown> {
  yield base;
  for (const path of paths(base)) {
    if (path.length > 0) yield mutate(base, path, undefined, true);
    for (const replacement of REPLACEMENTS) yield mutate(base, path, replacement);
    const at = path.reduce<unknown>((v, key) => (v as Record<string | number, unknown>)[key], base);
    if (at !== null && typeof at === 'object' && !Array.isArray(at)) yield mutate(base, [...path, 'extra'], 'unknown keys are kept');
  }
}

function compare(bases: unknown[], fast: (v: unknown) => boolean, zod: (v: unknown) => boolean) {
  const disagreements: string[] = [];
  let count = 0;
  let accepted = 0;
  for (const base of bases) {
    for (const value of variants(base)) {
      count++;
      const [f, z] = [fast(value), zod(value)];
      if (z) accepted++;
      if (f !== z) disagreements.push(`fast ${f}, zod ${z}: ${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`);
    }
  }
  return { disagreements, count, accepted };
}

describe('the generated spec check', () => {
  it('is what scripts/gen-spec-check.mjs makes of the schemas today', () => {
    expect(FUNCTION_MODULES).toEqual(Object.keys(modules));
    const text = generate(inputsOf(schema, validate, modules));
    expect(readFileSync(join(import.meta.dirname, '../../src/spec/spec-check.ts'), 'utf8')).toBe(text);
  });

  it('accepts a config.json exactly when zod does, over thousands of broken configs', { timeout: 300_000 }, () => {
    const bases = [defaultSpec({ rootless: false }), defaultSpec({ rootless: true }), richSpec()]
      .map((spec) => JSON.parse(JSON.stringify(spec, (_k, v: unknown) => (typeof v === 'bigint' ? 1024 : v))) as unknown);
    bases.push(richSpec()); // with its bigint, as parseJson gives it
    const { disagreements, count, accepted } = compare(bases, isValidSpec, (v) => validate.SpecSchema.safeParse(v).success);
    expect(disagreements.slice(0, 5)).toEqual([]);
    // the comparison means something only if both answers occur often
    expect(count).toBeGreaterThan(10_000);
    expect(accepted).toBeGreaterThan(1_000);
    expect(count - accepted).toBeGreaterThan(5_000);
  });

  it('accepts an exec process exactly when zod does', { timeout: 300_000 }, () => {
    const { disagreements, count } = compare([richSpec().process, defaultSpec({ rootless: false }).process],
      isValidProcess, (v) => schema.ProcessSchema.safeParse(v).success);
    expect(disagreements.slice(0, 5)).toEqual([]);
    expect(count).toBeGreaterThan(2_000);
  });

  it('leaves to zod what it cannot vouch for: an own "__proto__" key, objects that are not plain', () => {
    const spec = JSON.parse(JSON.stringify(defaultSpec({ rootless: false }))) as Record<string, unknown>;
    expect(isValidSpec(spec)).toBe(true);
    expect(isValidSpec({ ...spec, ...(JSON.parse('{"__proto__": {"x": 1}}') as object) })).toBe(false);
    expect(isValidSpec(Object.assign(Object.create(null) as object, spec))).toBe(false);
  });
});

describe('checkSpec and checkProcess (load.ts)', () => {
  it('return a valid config as it was given', async () => {
    const spec = JSON.parse(JSON.stringify(richSpec(), (_k, v: unknown) => (typeof v === 'bigint' ? 1024 : v))) as unknown;
    expect(await checkSpec(spec)).toBe(spec);
    const process = { args: ['ls'], cwd: '/', user: { uid: 0, gid: 0 } };
    expect(await checkProcess(process)).toBe(process);
  });

  it('throw the SpecError parseSpec throws, with its JSON paths', async () => {
    const spec = defaultSpec({ rootless: false });
    spec.process!.args = [];
    spec.linux!.namespaces![0]!.type = 'foo' as 'pid';
    expect(() => validate.parseSpec(spec, 'config.json')).toThrow(/^config.json: process.args: must have at least one element\n/);
    let sync: unknown;
    try { validate.parseSpec(spec); } catch (error) { sync = error; }
    await expect(checkSpec(spec)).rejects.toThrow((sync as Error).message);
    await expect(checkProcess({ args: ['id'], cwd: '/', user: { uid: 4294967295, gid: 0 } }, 'exec flags'))
      .rejects.toThrow(/^exec flags: user.uid: must be in range 0-2147483647/);
  });
});
