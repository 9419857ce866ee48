/**
 * Rules that relate one part of config.json to another.
 *
 * The schemas (schema.ts) check each value on its own; these check combinations, the way
 * runc's libcontainer/configs/validate does, before anything touches the kernel. Each rule
 * returns the JSON path to blame and a sentence of why, citing the spec section.
 */
import type { NamespaceType, Spec } from './schema.js';

export interface RuleProblem {
  path: (string | number)[];
  message: string;
}

export function specRuleProblems(spec: Spec): RuleProblem[] {
  return [
    ...namespaceProblems(spec),
    ...userNamespaceProblems(spec),
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
 * config-linux.md#sysctl sets kernel parameters "for the container". Only parameters that
 * belong to a namespace the container has can be that; anything else would change the host.
 * The classification is runc's (libcontainer/configs/validate: sysctl()).
 */
function sysctlProblems(spec: Spec): RuleProblem[] {
  const problems: RuleProblem[] = [];
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const path = ['linux', 'sysctl', key];
    const name = key.replaceAll('/', '.');
    let needs: NamespaceType | undefined;
    if (IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.')) needs = 'ipc';
    else if (name.startsWith('net.')) needs = 'network';
    else if (name === 'kernel.hostname' || name === 'kernel.domainname') needs = 'uts';
    if (needs === undefined) {
      problems.push({ path, message: 'is not a namespaced sysctl, so setting it would change the host' });
    } else if (!hasNamespace(spec, needs)) {
      problems.push({ path, message: `needs a "${needs}" entry in linux.namespaces, or it would change the host` });
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
