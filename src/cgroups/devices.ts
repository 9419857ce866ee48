/**
 * linux.resources.devices (runtime-spec config-linux.md#allowed-device-list): which device
 * nodes the container may open (r, w) or create (m). The rules apply in order and the last
 * one that matches a device wins, as in runc and in the v1 devices controller.
 *
 *   v1 (hybrid, legacy)  each rule is one line written to devices.deny or devices.allow in
 *                        the container's devices cgroup (cgroup-v1/devices.rst)
 *   v2 (unified)         there are no device files: an eBPF program of type
 *                        BPF_PROG_TYPE_CGROUP_DEVICE decides, attached to the container's
 *                        cgroup (src/cgroups/device-bpf.ts builds it, src/sys/libc.ts loads it)
 *
 * The rules are written before the init joins the cgroup (src/container/create.ts), so they
 * hold from the container's first instruction. linux.devices only *creates* nodes: like runc,
 * a node listed there is not allowed unless a rule (or the list below) allows it.
 */
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { log } from '../log.js';
import type { SpecResources } from '../spec/schema.js';
import { kernelFiles } from '../sys/kernel-files.js';
import { attachCgroupDeviceProgram, attachedCgroupDevicePrograms, detachCgroupDeviceProgram, loadCgroupDeviceProgram, closeFd } from '../sys/libc.js';
import { deviceFilter, isWildcard, type DeviceRule } from './device-bpf.js';
import type { CgroupMode } from './hierarchy.js';

/**
 * What runc allows in every container, whatever the spec says: runc
 * libcontainer/specconv/spec_linux.go `AllowedDevices`, appended after the spec's rules
 * (so the spec cannot take them away). They cover the default devices ts-runc creates
 * (src/plan/devices.ts) plus mknod of any node, the pty devices and /dev/net/tun.
 * /dev/console needs no rule: it is a bind mount of a pts (136:*).
 */
export const ALWAYS_ALLOWED: readonly DeviceRule[] = [
  { allow: true, type: 'c', access: 'm' }, // mknod of any character device
  { allow: true, type: 'b', access: 'm' }, // mknod of any block device
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // /dev/net/tun
];

type SpecDeviceRule = NonNullable<SpecResources['devices']>[number];

/**
 * The spec's rules then ALWAYS_ALLOWED. Absent type means "a" and absent (or negative, as
 * runc writes -1) major/minor mean any; an absent access means "rwm" (runc refuses it instead).
 */
export function normaliseDeviceRules(rules: readonly SpecDeviceRule[]): DeviceRule[] {
  const normal = rules.map((rule): DeviceRule => {
    const access = rule.access === undefined || rule.access === '' ? 'rwm' : rule.access;
    const out: DeviceRule = { allow: rule.allow, type: rule.type ?? 'a', access: [...'rwm'].filter((c) => access.includes(c)).join('') };
    if (rule.major !== undefined && rule.major >= 0) out.major = Number(rule.major);
    if (rule.minor !== undefined && rule.minor >= 0) out.minor = Number(rule.minor);
    return out;
  });
  return [...normal, ...ALWAYS_ALLOWED];
}

/**
 * The v1 writes, in order: [file, line]. The kernel reads any line starting with "a" as
 * "every device" and ignores the rest, so a narrower "a" rule becomes one "c" and one "b" line.
 */
export function v1DeviceWrites(rules: readonly DeviceRule[]): [file: 'devices.allow' | 'devices.deny', line: string][] {
  const writes: [file: 'devices.allow' | 'devices.deny', line: string][] = [];
  for (const rule of rules) {
    const file = rule.allow ? 'devices.allow' : 'devices.deny';
    const numbers = `${rule.major ?? '*'}:${rule.minor ?? '*'}`;
    if (isWildcard(rule)) writes.push([file, 'a *:* rwm']);
    else if (rule.type === 'a') writes.push([file, `c ${numbers} ${rule.access}`], [file, `b ${numbers} ${rule.access}`]);
    else writes.push([file, `${rule.type} ${numbers} ${rule.access}`]);
  }
  return writes;
}

/** Enforce linux.resources.devices on the container's cgroup; nothing when the spec has none. */
export function applyDeviceRules(paths: Record<string, string>, specRules: readonly SpecDeviceRule[] | undefined, mode: CgroupMode): void {
  if (!specRules || specRules.length === 0) return;
  const rules = normaliseDeviceRules(specRules);
  if (mode === 'unified') applyV2(paths, rules);
  else applyV1(paths, rules);
}

function applyV1(paths: Record<string, string>, rules: DeviceRule[]): void {
  writeV1DeviceLines(v1DevicesDir(paths), v1DeviceWrites(rules));
}

/** The container's directory in the v1 devices hierarchy. */
export function v1DevicesDir(paths: Record<string, string>): string {
  const key = Object.keys(paths).find((k) => k !== 'unified' && k.split(',').includes('devices'));
  if (!key) throw new RuntimeError('linux.resources.devices: the devices cgroup controller is not mounted on this host');
  return paths[key]!;
}

/** devices.allow/deny lines, written in order (each write is one rule: cgroups-v1/devices.rst). */
export function writeV1DeviceLines(dir: string, writes: Iterable<readonly [file: string, line: string]>): void {
  for (const [file, line] of writes) {
    const path = join(dir, file);
    try {
      kernelFiles().write(path, line);
    } catch (error) {
      const code = errorCode(error);
      throw new RuntimeError(`linux.resources.devices: write ${JSON.stringify(line)} to ${path}: ${errorMessage(error)}` +
        (code === 'EPERM' ? ' (the parent cgroup does not allow it)' : ''), { cause: error, code });
    }
    log().debug('cgroup write', { file: path, value: line });
  }
}

function applyV2(paths: Record<string, string>, rules: DeviceRule[]): void {
  const dir = paths['unified'];
  if (!dir) throw new RuntimeError('linux.resources.devices: the container has no cgroup v2 directory');
  const program = deviceFilter(rules);
  // O_RDONLY on a directory is allowed and is what BPF_PROG_ATTACH wants as target_fd.
  const cgroupFd = openSync(dir, 'r');
  let progFd: number | undefined;
  try {
    progFd = loadCgroupDeviceProgram(program, 'linux.resources.devices');
    attachCgroupDeviceProgram(cgroupFd, progFd, `linux.resources.devices: attach the device filter to ${dir}`);
  } finally {
    // The cgroup keeps its own reference to the attached program.
    if (progFd !== undefined) closeFd(progFd);
    closeSync(cgroupFd);
  }
  log().debug('device filter attached', { dir, instructions: program.length / 8 });
}

/**
 * `update` on v2: the new filter is attached beside the old ones, then they are detached.
 * With BPF_F_ALLOW_MULTI every attached program must allow an access, so between the two
 * steps a device is allowed only if both the old and the new rules allow it: never more
 * than either (src/cgroups/device-transition.ts).
 */
export function replaceV2DeviceFilter(paths: Record<string, string>, rules: DeviceRule[]): void {
  const dir = paths['unified'];
  if (!dir) throw new RuntimeError('linux.resources.devices: the container has no cgroup v2 directory');
  const cgroupFd = openSync(dir, 'r');
  try {
    const old = attachedCgroupDevicePrograms(cgroupFd, `linux.resources.devices: ${dir}`);
    try {
      applyV2(paths, rules);
      for (const fd of old) detachCgroupDeviceProgram(cgroupFd, fd, `linux.resources.devices: detach the old device filter from ${dir}`);
    } finally {
      for (const fd of old) closeFd(fd);
    }
  } finally {
    closeSync(cgroupFd);
  }
}
