/**
 * The checks of config.json that need to look at the host, run by `create` before anything
 * is made (rules.ts holds the ones a spec decides alone, and runs wherever a spec is read).
 *
 * A namespace joined by path is only the container's own if it is not the namespace the
 * runtime itself runs in: a config may name /proc/1/ns/net (or /proc/self/ns/net, or a
 * bind mount of either) as its "network namespace", and then every net.* sysctl it sets is
 * written into the host's network stack. runc refuses that for the network namespace
 * (libcontainer/configs/validate/validator.go sysctl(), isHostNetNS: same st_dev and st_ino
 * as /proc/self/ns/net, "sysctl %q not allowed in host network namespace"). ts-runc asks the
 * same of every namespace it writes settings into: IPC and user (sysctls) and UTS (sysctls,
 * hostname, domainname), so a joined host namespace is never changed through the config.
 *
 * `--network` edits the spec after it was read (host mode drops the network namespace), so
 * the spec-only rules run again here on the spec as it will be used.
 */
import { statSync } from 'node:fs';
import { jsonPath, SpecError, formatLine } from './errors.js';
import { specRuleProblems, sysctlNamespace, type RuleProblem } from './rules.js';
import { PROC_NS_NAMES, type NamespaceType } from './namespaces.js';
import type { Spec } from './schema.js';

/** Throws a SpecError naming every problem, or returns. */
export function checkSpecOnHost(spec: Spec, file = 'config.json'): void {
  const problems = [...specRuleProblems(spec), ...hostNamespaceProblems(spec)];
  const [first, ...rest] = problems;
  if (first === undefined) return;
  throw new SpecError(file, jsonPath(first.path), first.message,
    rest.map((p) => formatLine(file, jsonPath(p.path), p.message)));
}

/** Settings written into a namespace, by the namespace type they need, with their JSON paths. */
function settingsByNamespace(spec: Spec): Map<NamespaceType, (string | number)[][]> {
  const wanted = new Map<NamespaceType, (string | number)[][]>();
  const add = (type: NamespaceType, path: (string | number)[]) => wanted.set(type, [...(wanted.get(type) ?? []), path]);
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    const where = sysctlNamespace(key);
    if (where.kind === 'namespaced') add(where.namespace, ['linux', 'sysctl', key]);
  }
  if (spec.hostname) add('uts', ['hostname']);
  if (spec.domainname) add('uts', ['domainname']);
  return wanted;
}

/**
 * For each namespace joined by path that the config writes settings into: the path must
 * exist and must not be the namespace this process is in ("host" meaning "current", as in
 * runc). Only those namespaces are looked at, so an unrelated path is left to the init.
 */
export function hostNamespaceProblems(spec: Spec): RuleProblem[] {
  const wanted = settingsByNamespace(spec);
  const problems: RuleProblem[] = [];
  (spec.linux?.namespaces ?? []).forEach((ns, i) => {
    const settings = wanted.get(ns.type);
    if (!ns.path || settings === undefined) return;
    const identity = namespaceIdentity(ns.path);
    if (typeof identity !== 'string') {
      problems.push({ path: ['linux', 'namespaces', i, 'path'], message: `invalid ${PROC_NS_NAMES[ns.type]}ns path: stat ${ns.path}: ${identity.code}` });
      return;
    }
    if (identity !== namespaceIdentity(`/proc/self/ns/${PROC_NS_NAMES[ns.type]}`)) return;
    for (const path of settings) {
      problems.push({
        path,
        message: `is not allowed in the host's ${ns.type} namespace (linux.namespaces[${i}].path ${ns.path} is the namespace ts-runc runs in)`,
      });
    }
  });
  return problems;
}

/** A namespace is its nsfs inode: two paths name the same one when st_dev and st_ino agree (namespaces(7)). */
function namespaceIdentity(path: string): string | { code: string } {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.dev}:${st.ino}`;
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}
