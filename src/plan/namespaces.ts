/**
 * linux.namespaces → what the init creates (clone(2) flags) and what it joins (setns(2)).
 *
 * config-linux.md#namespaces: an entry without `path` means "create a new namespace of this
 * type"; with `path` the runtime "MUST place the container process in the namespace
 * associated with that path"; a type not listed is inherited from the runtime.
 */
import { PROC_NS_NAMES, type NamespaceType, type ProcNamespaceName } from '../spec/namespaces.js';
import type { Spec } from '../spec/schema.js';

/** CLONE_NEW* from <linux/sched.h>; see namespaces(7). */
export const CLONE_FLAGS: Record<NamespaceType, number> = {
  mount: 0x0002_0000, // CLONE_NEWNS (the first namespace, hence the generic name)
  uts: 0x0400_0000, // CLONE_NEWUTS
  ipc: 0x0800_0000, // CLONE_NEWIPC
  user: 0x1000_0000, // CLONE_NEWUSER
  pid: 0x2000_0000, // CLONE_NEWPID
  network: 0x4000_0000, // CLONE_NEWNET
  cgroup: 0x0200_0000, // CLONE_NEWCGROUP
  time: 0x0000_0080, // CLONE_NEWTIME
};

export interface NamespaceJoin {
  type: ProcNamespaceName;
  /** A host path such as /proc/1234/ns/net or /var/run/netns/blue. */
  path: string;
}

export interface NamespaceSetup {
  /** OR of CLONE_NEW* for the namespaces to create. */
  cloneFlags: number;
  /**
   * Namespaces to join, user first: joining the user namespace first grants the
   * capabilities that setns(2) into the others requires (user_namespaces(7)).
   */
  join: NamespaceJoin[];
}

export function namespaceCloneFlags(spec: Spec): NamespaceSetup {
  let cloneFlags = 0;
  const join: NamespaceJoin[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (!ns.path) cloneFlags |= CLONE_FLAGS[ns.type];
    else join.push({ type: PROC_NS_NAMES[ns.type], path: ns.path });
  }
  join.sort((a, b) => Number(b.type === 'user') - Number(a.type === 'user'));
  return { cloneFlags, join };
}

/** Does the container get a namespace of this type of its own (created, not joined)? */
export function createsNamespace(spec: Spec, type: NamespaceType): boolean {
  return (spec.linux?.namespaces ?? []).some((ns) => ns.type === type && !ns.path);
}

/** Is the container in a namespace of this type other than the runtime's (new or joined)? */
export function hasNamespace(spec: Spec, type: NamespaceType): boolean {
  return (spec.linux?.namespaces ?? []).some((ns) => ns.type === type);
}
