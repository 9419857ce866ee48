/**
 * Changing the device rules of a *running* container (`update -r` with "devices") without a
 * moment in which a device the new rules deny is allowed.
 *
 * At create the rules are simply written in order (src/cgroups/devices.ts): nothing runs in
 * the cgroup yet. Later, writing "a" to devices.deny and then the allow lines would make
 * every device fail to open for a moment, and writing "a" to devices.allow would open every
 * device. So, as runc's devices emulator does (libcontainer/cgroups/devices/ in 1.1.x,
 * `Emulator.Transition`), the state the kernel holds and the state wanted are computed, and
 * only the difference is written:
 *
 *   v1, both default-deny   denies first (take away what is no longer allowed), then allows
 *   v1, default changes     the new default ("a" line) first, then the exceptions; going to
 *                           default-allow has an unavoidable window (the kernel drops every
 *                           exception when the default changes, cgroup-v1/devices.rst)
 *   v2                      a new BPF program is attached beside the old one (both must
 *                           allow: BPF_F_ALLOW_MULTI runs every program) and the old one is
 *                           then detached, so the window only ever denies more
 *
 * The kernel's state is read from devices.list, which lists the allowed exceptions of a
 * default-deny cgroup and only "a *:* rwm" for a default-allow one (whose deny exceptions it
 * does not show: those are taken from the rules last applied, kept in the state).
 */
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import type { SpecResources } from '../spec/schema.js';
import { kernelFiles } from '../sys/kernel-files.js';
import { isWildcard, type DeviceRule } from './device-bpf.js';
import { normaliseDeviceRules, replaceV2DeviceFilter, v1DevicesDir, writeV1DeviceLines } from './devices.js';
import type { CgroupMode } from './hierarchy.js';

type SpecDeviceRule = NonNullable<SpecResources['devices']>[number];

/** What a v1 devices cgroup enforces: a default and exceptions, "c 1:3" → "rw". */
export interface DeviceState {
  defaultAllow: boolean;
  exceptions: Map<string, string>;
}

const ORDER = 'rwm';
const union = (a: string, b: string) => [...ORDER].filter((c) => a.includes(c) || b.includes(c)).join('');
const minus = (a: string, b: string) => [...ORDER].filter((c) => a.includes(c) && !b.includes(c)).join('');

/** The kernel's bookkeeping (security/device_cgroup.c) replayed over the rules in order. */
export function emulate(rules: readonly DeviceRule[]): DeviceState {
  const state: DeviceState = { defaultAllow: true, exceptions: new Map() };
  for (const rule of rules) {
    if (isWildcard(rule)) {
      state.defaultAllow = rule.allow;
      state.exceptions.clear();
      continue;
    }
    const numbers = `${rule.major ?? '*'}:${rule.minor ?? '*'}`;
    for (const type of rule.type === 'a' ? ['c', 'b'] : [rule.type]) {
      const key = `${type} ${numbers}`;
      const had = state.exceptions.get(key) ?? '';
      // An exception is the opposite of the default: a rule that agrees with the default
      // takes bits away from the exception with exactly these numbers (dev_exception_rm).
      const next = rule.allow !== state.defaultAllow ? union(had, rule.access) : minus(had, rule.access);
      if (next) state.exceptions.set(key, next);
      else state.exceptions.delete(key);
    }
  }
  return state;
}

/** devices.list: "a *:* rwm" for default-allow, else one allowed exception a line. */
export function parseDevicesList(text: string): DeviceState {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  if (lines.includes('a *:* rwm')) return { defaultAllow: true, exceptions: new Map() };
  const exceptions = new Map<string, string>();
  for (const line of lines) {
    const [type, numbers, access] = line.split(/\s+/);
    exceptions.set(`${type} ${numbers}`, union(exceptions.get(`${type} ${numbers}`) ?? '', access ?? ''));
  }
  return { defaultAllow: false, exceptions };
}

/** The lines that take a cgroup from `current` to `target`, in a safe order. */
export function transition(current: DeviceState, target: DeviceState): [file: 'devices.allow' | 'devices.deny', line: string][] {
  const grant = target.defaultAllow ? 'devices.deny' : 'devices.allow'; // adds to an exception
  const revoke = target.defaultAllow ? 'devices.allow' : 'devices.deny';
  const out: [file: 'devices.allow' | 'devices.deny', line: string][] = [];
  if (current.defaultAllow !== target.defaultAllow) {
    out.push([target.defaultAllow ? 'devices.allow' : 'devices.deny', 'a *:* rwm']);
    for (const [key, access] of target.exceptions) out.push([grant, `${key} ${access}`]);
    return out;
  }
  // Default-deny: revoking comes first. Default-allow: the new deny exceptions come first.
  const removals: typeof out = [];
  const additions: typeof out = [];
  for (const [key, had] of current.exceptions) {
    const gone = minus(had, target.exceptions.get(key) ?? '');
    if (gone) removals.push([revoke, `${key} ${gone}`]);
  }
  for (const [key, want] of target.exceptions) {
    const added = minus(want, current.exceptions.get(key) ?? '');
    if (added) additions.push([grant, `${key} ${added}`]);
  }
  return target.defaultAllow ? [...additions, ...removals] : [...removals, ...additions];
}

/** Replace the container's device rules by `next` (the spec's, before ALWAYS_ALLOWED). */
export function applyDeviceUpdate(paths: Record<string, string>, previous: readonly SpecDeviceRule[] | undefined,
  next: readonly SpecDeviceRule[], mode: CgroupMode): void {
  const rules = normaliseDeviceRules(next);
  if (mode === 'unified') {
    replaceV2DeviceFilter(paths, rules);
    return;
  }
  const dir = v1DevicesDir(paths);
  const listed = parseDevicesList(kernelFiles().read(join(dir, 'devices.list')));
  // A default-allow cgroup hides its deny exceptions: take them from the rules last applied.
  const kept = previous ? emulate(normaliseDeviceRules(previous)) : undefined;
  const current = listed.defaultAllow && kept?.defaultAllow ? kept : listed;
  const target = emulate(rules);
  writeV1DeviceLines(dir, transition(current, target));
  // As runc checks: a default-deny result must list exactly the exceptions wanted.
  const after = parseDevicesList(kernelFiles().read(join(dir, 'devices.list')));
  const same = after.defaultAllow === target.defaultAllow && (target.defaultAllow ||
    (after.exceptions.size === target.exceptions.size && [...target.exceptions].every(([k, v]) => after.exceptions.get(k) === v)));
  if (!same) {
    throw new RuntimeError(`linux.resources.devices: ${dir}/devices.list does not match the rules after the update ` +
      '(the parent cgroup may not allow some of them)');
  }
}
