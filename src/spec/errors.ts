/**
 * The one error type for a config.json (or exec process.json) that ts-runc cannot use.
 *
 * OCI runtime-spec config.md#valid-values: "Runtimes ... MUST generate an error when invalid
 * or unsupported values are encountered". The message names the file and the JSON path of
 * the offending value, so a user can find it without reading ts-runc's source:
 *
 *   config.json: linux.namespaces[2].type: "foo" is not a namespace type (mount, uts, ...)
 *
 * It is a RuntimeError (src/errors.ts), so the CLI reports it like any other failure.
 */
import { RuntimeError } from '../errors.js';

export class SpecError extends RuntimeError {
  /**
   * @param file  the file the value came from ("config.json", "process.json")
   * @param path  JSON path of the value ("process.args", "mounts[3].options[1]"); "" for the
   *              file as a whole (unreadable, not JSON)
   * @param problem  why the value is rejected
   * @param more  further problems found in the same file, already formatted as lines
   */
  constructor(
    readonly file: string,
    readonly path: string,
    readonly problem: string,
    readonly more: string[] = [],
  ) {
    super([formatLine(file, path, problem), ...more].join('\n'));
    this.name = 'SpecError';
  }
}

/** "config.json: process.args: must have at least one element" */
export function formatLine(file: string, path: string, problem: string): string {
  return path ? `${file}: ${path}: ${problem}` : `${file}: ${problem}`;
}

/**
 * A JSON path from its keys: ["linux", "namespaces", 2, "type"] -> "linux.namespaces[2].type".
 * Keys that are not identifiers (sysctl names, annotations) are quoted:
 * ["linux", "sysctl", "net.ipv4.ip_forward"] -> 'linux.sysctl["net.ipv4.ip_forward"]'.
 */
export function jsonPath(keys: readonly PropertyKey[]): string {
  let out = '';
  for (const key of keys) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** One problem a check found: the JSON path to blame (keys, relative to the value checked) and why. */
export interface RuleProblem {
  path: (string | number)[];
  message: string;
}
