/**
 * Rules that relate one part of config.json to another.
 *
 * The schemas (schema.ts) check each value on its own; these check combinations, the way
 * runc's libcontainer/configs/validate does, before anything touches the kernel. Each rule
 * returns the JSON path to blame and a sentence of why, citing the spec section.
 */
import type { RuleProblem } from './errors.js';
import type { NamespaceType } from './namespaces.js';
import type { Spec, SpecIdMapping } from './schema.js';

export type { RuleProblem } from './errors.js';

/** Every cross-field problem of a spec whose values are each valid (schema.ts). */
export function specRuleProblems(spec: Spec): RuleProblem[] {
  return [
    ...namespaceProblems(spec),
    ...userNamespaceProblems(spec),
    ...idMappingProblems(spec, 'uidMappings'),
    ...idMappingProblems(spec, 'gidMappings'),
    ...mappedIdProblems(spec),
    ...utsProblems(spec),
    ...sysctlProblems(spec),
    ...timeNamespaceProblems(spec),
  ];
}

/** Is there an entry of this type in linux.namespaces (new or joined)? */
function hasNamespace(spec: Spec, type: NamespaceType): boolean {
  return (spec.linux?.namespaces ?? []).some((ns) => ns.type === type);
}

/**
 * config-linux.md#namespaces: "If a namespaces field contains duplicated namespaces with
 * same type, the runtime MUST generate an error."
 */
function namespaceProblems(spec: Spec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    if (seen.has(ns.type)) {
      problems.push({ path: ['linux', 'namespaces', i, 'type'], message: `"${ns.type}" is listed more than once (config-linux.md#namespaces)` });
    }
    seen.add(ns.type);
  });
  return problems;
}

/**
 * uid/gid mappings are written to /proc/<pid>/{uid,gid}_map of a *new* user namespace
 * (user_namespaces(7)), so they need one; and a new user namespace without mappings would
 * leave every id unmapped (the container's root would be "nobody"). Joining an existing
 * user namespace takes its mappings as they are. runc rejects the same three cases.
 */
function userNamespaceProblems(spec: Spec): RuleProblem[] {
  const linux = spec.linux;
  const index = (linux?.namespaces ?? []).findIndex((ns) => ns.type === 'user');
  const hasUid = linux?.uidMappings !== undefined && linux.uidMappings.length > 0;
  const hasGid = linux?.gidMappings !== undefined && linux.gidMappings.length > 0;
  if (index < 0) {
    if (hasUid) return [{ path: ['linux', 'uidMappings'], message: 'uid mappings need a user namespace in linux.namespaces (config-linux.md#user-namespace-mappings)' }];
    if (hasGid) return [{ path: ['linux', 'gidMappings'], message: 'gid mappings need a user namespace in linux.namespaces (config-linux.md#user-namespace-mappings)' }];
    return [];
  }
  const joined = Boolean(linux?.namespaces?.[index]?.path);
  if (joined && (hasUid || hasGid)) {
    return [{ path: ['linux', 'namespaces', index, 'path'], message: 'a joined user namespace already has its mappings; remove linux.uidMappings/gidMappings or the path' }];
  }
  if (!joined && !(hasUid && hasGid)) {
    return [{ path: ['linux', hasUid ? 'gidMappings' : 'uidMappings'], message: 'a new user namespace needs both linux.uidMappings and linux.gidMappings' }];
  }
  return [];
}

/** UID_GID_MAP_MAX_EXTENTS (include/linux/user_namespace.h; 5 before Linux 4.15). */
const MAX_EXTENTS = 340;
const U32_MAX = 0xffff_ffffn;

/**
 * Each mapping becomes one line of /proc/<pid>/uid_map or gid_map, and the kernel refuses
 * the whole write with EINVAL (user_namespaces(7), kernel/user_namespace.c map_write) when
 * a line has length 0, an id of 4294967295 ((u32)-1), a range that wraps past 2^32-1, or
 * overlaps another line on either side, or when there are more than 340 lines. Said here,
 * the error names the mapping instead of "write uid_map: EINVAL" after the init exists.
 */
function idMappingProblems(spec: Spec, field: 'uidMappings' | 'gidMappings'): RuleProblem[] {
  const mappings = spec.linux?.[field] ?? [];
  const problems: RuleProblem[] = [];
  const at = (i: number, key?: keyof SpecIdMapping) => ['linux', field, i, ...(key ? [key] : [])];
  if (mappings.length > MAX_EXTENTS) {
    problems.push({ path: ['linux', field], message: `has ${mappings.length} entries; the kernel takes at most ${MAX_EXTENTS} (user_namespaces(7))` });
  }
  mappings.forEach((m, i) => {
    if (m.size === 0) problems.push({ path: at(i, 'size'), message: 'must be at least 1: an empty range maps nothing, and the kernel refuses it (user_namespaces(7))' });
    for (const key of ['containerID', 'hostID'] as const) {
      const first = BigInt(m[key]);
      if (first === U32_MAX) problems.push({ path: at(i, key), message: '4294967295 is (u32)-1, which no namespace can map (user_namespaces(7))' });
      else if (first + BigInt(m.size) - 1n > U32_MAX - 1n) {
        problems.push({ path: at(i, 'size'), message: `${key} ${m[key]} + size ${m.size} runs past the last id 4294967294 (user_namespaces(7))` });
      }
    }
  });
  // "The ranges ... may not overlap" on either side: each id inside maps to one id outside.
  for (let i = 0; i < mappings.length; i++) {
    for (let j = 0; j < i; j++) {
      for (const key of ['containerID', 'hostID'] as const) {
        if (overlaps(mappings[i]!, mappings[j]!, key)) {
          problems.push({ path: at(i), message: `its ${key} range overlaps linux.${field}[${j}]'s (user_namespaces(7): ranges may not overlap)` });
        }
      }
    }
  }
  return problems;
}

/**
 * In a new user namespace with mappings, the ids the container uses must be mapped, or the
 * kernel answers setresuid(2)/setresgid(2) with EINVAL (user_namespaces(7): an unmapped id
 * cannot be used). Two sets matter: 0, which the init becomes to set the container up (as
 * runc's init does: "User namespaces enabled, but no user mapping found."), and the
 * process's own ids (runc: "cannot set uid to unmapped user in user namespace").
 */
function mappedIdProblems(spec: Spec): RuleProblem[] {
  const userns = (spec.linux?.namespaces ?? []).find((ns) => ns.type === 'user');
  const uids = spec.linux?.uidMappings ?? [];
  const gids = spec.linux?.gidMappings ?? [];
  if (!userns || userns.path || uids.length === 0 || gids.length === 0) return [];
  const maps = (mappings: SpecIdMapping[], id: number) => mappings.some((m) => id >= m.containerID && id - m.containerID < m.size);
  const problems: RuleProblem[] = [];
  if (!maps(uids, 0)) problems.push({ path: ['linux', 'uidMappings'], message: 'maps no container uid 0: the runtime sets the container up as root in its user namespace' });
  if (!maps(gids, 0)) problems.push({ path: ['linux', 'gidMappings'], message: 'maps no container gid 0: the runtime sets the container up as root in its user namespace' });
  const user = spec.process?.user;
  if (user) {
    if (!maps(uids, user.uid)) problems.push({ path: ['process', 'user', 'uid'], message: `${user.uid} is not mapped by linux.uidMappings, so the process cannot run as it` });
    if (!maps(gids, user.gid)) problems.push({ path: ['process', 'user', 'gid'], message: `${user.gid} is not mapped by linux.gidMappings, so the process cannot run as it` });
    (user.additionalGids ?? []).forEach((gid, i) => {
      if (!maps(gids, gid)) problems.push({ path: ['process', 'user', 'additionalGids', i], message: `${gid} is not mapped by linux.gidMappings, so setgroups(2) refuses it` });
    });
  }
  return problems;
}

function overlaps(a: SpecIdMapping, b: SpecIdMapping, key: 'containerID' | 'hostID'): boolean {
  if (a.size === 0 || b.size === 0) return false;
  return a[key] < b[key] + b.size && b[key] < a[key] + a.size;
}

/**
 * config.md#hostname: on Linux the hostname is set in the container's UTS namespace; without
 * one, sethostname(2) would rename the host. runc refuses ("unable to set hostname without a
 * private UTS namespace"), and so does ts-runc. A joined UTS namespace counts, as in runc.
 */
function utsProblems(spec: Spec): RuleProblem[] {
  if (hasNamespace(spec, 'uts')) return [];
  const problems: RuleProblem[] = [];
  if (spec.hostname) problems.push({ path: ['hostname'], message: 'setting a hostname needs a "uts" entry in linux.namespaces' });
  if (spec.domainname) problems.push({ path: ['domainname'], message: 'setting a domainname needs a "uts" entry in linux.namespaces' });
  return problems;
}

/** IPC sysctls that the kernel keeps per IPC namespace (ipc_namespace.h; runc's list). */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem',
  'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

/**
 * The namespace a sysctl belongs to, or why it belongs to none the container can own.
 * /proc/sys is only partly namespaced; this is runc's classification, case by case
 * (libcontainer/configs/validate/validator.go sysctl()), with its reasons:
 *   kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*   the IPC namespace
 *   net.*                                              the network namespace
 *   kernel.domainname                                  the UTS namespace
 *   kernel.hostname                                    refused: the OCI "hostname" field sets it
 *   user.*                                             the user namespace (ucounts)
 *   anything else                                      refused: it is the host's
 */
export type SysctlNamespace =
  | { kind: 'namespaced'; namespace: Extract<NamespaceType, 'ipc' | 'network' | 'uts' | 'user'> }
  | { kind: 'refused'; why: string };

export function sysctlNamespace(key: string): SysctlNamespace {
  const name = sysctlDotted(key);
  if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) return { kind: 'namespaced', namespace: 'ipc' };
  if (name.startsWith('net.')) return { kind: 'namespaced', namespace: 'network' };
  if (name === 'kernel.domainname') return { kind: 'namespaced', namespace: 'uts' };
  if (name === 'kernel.hostname') return { kind: 'refused', why: 'conflicts with the OCI "hostname" field; set that instead' };
  if (name.startsWith('user.')) return { kind: 'namespaced', namespace: 'user' };
  return { kind: 'refused', why: 'is not in a separate kernel namespace, so setting it would change the host' };
}

/**
 * sysctl.d(5): "/" may stand for "." when the first separator is a "/", and then a "." is
 * part of a name ("net/ipv4/conf/eno2.100/rp_filter" is "net.ipv4.conf.eno2/100.rp_filter").
 * runc's convertSysctlVariableToDotsSeparator.
 */
export function sysctlDotted(key: string): string {
  const first = key.search(/[./]/);
  if (first < 0 || key[first] === '.') return key;
  return key.replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

const WHOSE: Record<Extract<NamespaceType, 'ipc' | 'network' | 'uts' | 'user'>, string> = {
  ipc: "is not allowed in the host's IPC namespace",
  network: "is not allowed in the host's network namespace",
  uts: "is not allowed in the host's UTS namespace",
  user: 'sets ucounts, which is not allowed without a user namespace',
};

/**
 * config-linux.md#sysctl sets kernel parameters "for the container". Only parameters that
 * belong to a namespace the container has can be that; anything else would change the host.
 * A namespace joined by path counts here; whether that path is the host's own namespace is
 * checked against the host at create (host-rules.ts), as runc does for the network.
 */
function sysctlProblems(spec: Spec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const path = ['linux', 'sysctl', key];
    const where = sysctlNamespace(key);
    if (where.kind === 'refused') problems.push({ path, message: where.why });
    else if (!hasNamespace(spec, where.namespace)) {
      problems.push({ path, message: `${WHOSE[where.namespace]} (no "${where.namespace}" entry in linux.namespaces)` });
    }
  }
  return problems;
}

/** config-linux.md#offset-for-time-namespace: offsets only exist in a time namespace. */
function timeNamespaceProblems(spec: Spec): RuleProblem[] {
  const offsets = spec.linux?.timeOffsets;
  if (offsets && Object.keys(offsets).length > 0 && !hasNamespace(spec, 'time')) {
    return [{ path: ['linux', 'timeOffsets'], message: 'time offsets need a "time" entry in linux.namespaces' }];
  }
  return [];
}
