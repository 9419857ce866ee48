/**
 * The checks of config.json values that zod has no built-in for, as plain functions.
 *
 * schema.ts attaches them to its schemas (z.refine for a yes/no answer, problemsCheck for
 * a list of problems with their JSON paths); the generated spec-check.ts calls the very
 * same functions, so the fast check and zod's parse apply one rule, written once.
 */
import type { RuleProblem } from './errors.js';

/** config.md: the paths that "MUST be absolute" (process.cwd, mount destinations, hooks...). */
export function isAbsolutePath(path: string): boolean {
  return path.startsWith('/');
}

/**
 * config-linux.md#namespaces: "This value MUST be an absolute path in the runtime mount
 * namespace." An empty string (Go's zero value) means no path, as in runc.
 */
export function isNamespacePath(path: string): boolean {
  return path === '' || path.startsWith('/');
}

interface RlimitShape {
  type: string;
  soft: number | bigint;
  hard: number | bigint;
}

/**
 * config.md#posix-process: "If rlimits contains duplicated entries with same type, the
 * runtime MUST generate an error." A soft limit above the hard one would make setrlimit(2)
 * fail with EINVAL inside the container; saying so here is clearer. Paths are relative to
 * the process object.
 */
export function rlimitProblems(process: { rlimits?: readonly RlimitShape[] | undefined }): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const seen = new Set<string>();
  (process.rlimits ?? []).forEach((rlimit, i) => {
    if (seen.has(rlimit.type)) problems.push({ path: ['rlimits', i, 'type'], message: `${rlimit.type} appears more than once` });
    seen.add(rlimit.type);
    if (BigInt(rlimit.soft) > BigInt(rlimit.hard)) {
      problems.push({ path: ['rlimits', i, 'soft'], message: `soft limit ${rlimit.soft} is above the hard limit ${rlimit.hard}` });
    }
  });
  return problems;
}

/** config-linux.md#devices: "major, minor (int64, REQUIRED unless type is p)". Paths are relative to the device. */
export function deviceNumberProblems(device: { type: string; major?: number | undefined; minor?: number | undefined }): RuleProblem[] {
  if (device.type === 'p') return [];
  const problems: RuleProblem[] = [];
  if (device.major === undefined) problems.push({ path: ['major'], message: `is required for a "${device.type}" device` });
  if (device.minor === undefined) problems.push({ path: ['minor'], message: `is required for a "${device.type}" device` });
  return problems;
}
