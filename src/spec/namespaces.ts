/**
 * The namespace types of config-linux.md#namespaces and their names under /proc/<pid>/ns/.
 *
 * Kept apart from schema.ts so that the code that only needs these tables (the plan, exec,
 * the host rules) does not load zod with them.
 */

/** config-linux.md#namespaces: the types a runtime SHOULD support. */
export const NAMESPACE_TYPES = ['mount', 'uts', 'ipc', 'pid', 'network', 'user', 'cgroup', 'time'] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

/**
 * Each type's name under /proc/<pid>/ns/ (namespaces(7)): the paths setns(2) opens, and the
 * init's CONFIG "join" key. User first: exec joins in this order, and setns(2) into the
 * others needs the capabilities joining the user namespace grants (user_namespaces(7)).
 */
export const PROC_NS_NAMES = {
  user: 'user', mount: 'mnt', pid: 'pid', network: 'net', ipc: 'ipc', uts: 'uts', cgroup: 'cgroup', time: 'time',
} as const satisfies Record<NamespaceType, string>;
export type ProcNamespaceName = (typeof PROC_NS_NAMES)[NamespaceType];
