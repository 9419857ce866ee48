/**
 * Settings ts-runc parses but does not apply yet.
 *
 * config.md#valid-values lets a runtime support a subset of values, but a user who asked
 * for an AppArmor profile or an SELinux label should be told it is not there. The CLI
 * logs these as warnings; `ts-runc plan` can show them next to the steps.
 */
import type { Spec, SpecProcess } from '../spec/schema.js';

/** JSON paths of process settings that are set but not applied. */
export function ignoredProcessSettings(process: SpecProcess, prefix = 'process'): string[] {
  const ignored: string[] = [];
  if (process.apparmorProfile) ignored.push(`${prefix}.apparmorProfile`);
  if (process.selinuxLabel) ignored.push(`${prefix}.selinuxLabel`);
  if (process.ioPriority) ignored.push(`${prefix}.ioPriority`);
  if (process.scheduler) ignored.push(`${prefix}.scheduler`);
  return ignored;
}

/** JSON paths of config.json settings that are set but not applied by the plan or cgroups. */
export function ignoredSettings(spec: Spec): string[] {
  const ignored = spec.process ? ignoredProcessSettings(spec.process) : [];
  const linux = spec.linux;
  // src/cgroups/resources.ts applies memory, cpu, pids, blockIO, hugepageLimits and unified
  // (and warns itself about the few settings one cgroup version lacks), src/cgroups/devices.ts
  // applies devices; net_cls/net_prio and rdma are not applied.
  const resources = linux?.resources;
  if (resources) {
    for (const key of ['network', 'rdma'] as const) {
      if (resources[key] !== undefined) ignored.push(`linux.resources.${key}`);
    }
  }
  if (linux?.personality) ignored.push('linux.personality');
  if (linux?.intelRdt) ignored.push('linux.intelRdt');
  if (linux?.mountLabel) ignored.push('linux.mountLabel');
  if (linux?.timeOffsets && Object.keys(linux.timeOffsets).length > 0) ignored.push('linux.timeOffsets');
  return ignored;
}
