/**
 * The container process's own settings (config.md#process) as plan steps: the tail of both
 * the create plan and the exec plan.
 *
 * Order matters, and follows runc (libcontainer/init_linux.go: finalizeNamespace):
 *   1. setrlimit while still privileged: raising a hard limit needs CAP_SYS_RESOURCE.
 *      (process.oomScoreAdj is not a step: ts-runc writes it from the host's side,
 *      src/container/oom-score-adj.ts, as the container's own /proc/self file may not be
 *      its to write.)
 *   2. umask.
 *   3. chdir as root ("First, attempt the chdir before setting up the user"), so a cwd
 *      only root may enter works, as in runc; a refusal is tried again as the user in 5.
 *   4. drop the bounding set: PR_CAPBSET_DROP needs CAP_SETPCAP, which step 5 may lose.
 *   5. look up HOME in the container's /etc/passwd when process.env has none (still as
 *      root, as runc's setupUser reads it before setuid), then switch uid/gid (keeping the
 *      permitted set across it, see the switch-user step), then chdir again if root was
 *      refused in 3 (a directory the user may enter and root may not), before step 6 can
 *      give the user CAP_DAC_OVERRIDE.
 *   6. set effective/permitted/inheritable to exactly what the spec lists, and the ambient
 *      set to those of its ambient list that are also permitted and inheritable.
 *   7. no_new_privs last before exec: it only affects later execve(2)s.
 */
import { RuntimeError } from '../errors.js';
import type { SpecProcess } from '../spec/schema.js';
import { CAPABILITY_NAMES, capabilityNumbers } from '../spec/capabilities.js';
import { rlimitResource, rlimitValue } from '../spec/rlimits.js';
import type { Step } from './steps.js';

/** runc's umask when process.user.umask is unset. */
export const DEFAULT_UMASK = 0o022;

/**
 * process.terminal (config.md#process): the init makes a pty and sends its master to the
 * console socket. Without a socket the master would have nowhere to go once ts-runc exits,
 * so this is refused up front, as runc does ("cannot allocate tty if runc will detach
 * without setting console socket"). consoleSize is ignored unless terminal is true; 0x0
 * means "leave the size alone".
 */
export function terminalSteps(process: SpecProcess, hasConsoleSocket: boolean): Step[] {
  if (!process.terminal) return [];
  if (!hasConsoleSocket) {
    throw new RuntimeError('process.terminal is true but no --console-socket was given to receive the pty master ' +
      '(use --console-socket, or set "terminal": false)');
  }
  return [{ op: 'terminal', width: process.consoleSize?.width ?? 0, height: process.consoleSize?.height ?? 0 }];
}

/** Steps 1-7 above. What is left out (see raisableAmbient) is added to `warnings`. */
export function processSteps(process: SpecProcess, warnings: string[]): Step[] {
  const steps: Step[] = [];
  for (const rlimit of process.rlimits ?? []) {
    steps.push({ op: 'setrlimit', resource: rlimitResource(rlimit.type), soft: rlimitValue(rlimit.soft), hard: rlimitValue(rlimit.hard) });
  }
  steps.push({ op: 'umask', mask: process.user.umask ?? DEFAULT_UMASK });
  steps.push({ op: 'chdir', path: process.cwd });

  // Without a capabilities object the process keeps the capabilities it has (as in runc);
  // with one, each set is exactly what it lists (a missing set is empty).
  const caps = process.capabilities;
  if (caps) steps.push({ op: 'drop-bounding-caps', keep: capabilityNumbers(caps.bounding) });
  if (!hasHome(process.env)) steps.push({ op: 'lookup-home', uid: process.user.uid });
  steps.push({ op: 'switch-user', uid: process.user.uid, gid: process.user.gid, additionalGids: process.user.additionalGids ?? [] });
  steps.push({ op: 'chdir-as-user', path: process.cwd });
  if (caps) {
    const permitted = capabilityNumbers(caps.permitted);
    const inheritable = capabilityNumbers(caps.inheritable);
    steps.push({
      op: 'set-capabilities',
      effective: capabilityNumbers(caps.effective),
      permitted,
      inheritable,
      ambient: raisableAmbient(capabilityNumbers(caps.ambient), permitted, inheritable, warnings),
    });
  }
  if (process.noNewPrivileges) steps.push({ op: 'no-new-privileges' });
  return steps;
}

/**
 * runc's check (libcontainer/init_linux.go setupUser): a HOME that is unset or empty is
 * filled in from the user's /etc/passwd entry.
 */
function hasHome(env: readonly string[] | undefined): boolean {
  return (env ?? []).some((entry) => entry.startsWith('HOME=') && entry.length > 'HOME='.length);
}

/**
 * prctl(2) PR_CAP_AMBIENT_RAISE: "EPERM: the capability is not in both the permitted and
 * the inheritable sets" (capabilities(7): the ambient set is always a subset of both). The
 * config `runc spec` writes lists ambient capabilities but no inheritable set; runc raises
 * each ambient capability on its own and only warns when the kernel refuses one
 * (libcontainer/capabilities ApplyCaps: "can't raise ambient capability"), and crun does
 * the same, so such a config starts with an empty ambient set. The refusal is predictable,
 * so it is decided here, with the same warning, and the init never sees an ambient
 * capability the kernel would refuse.
 */
export function raisableAmbient(ambient: number[], permitted: number[], inheritable: number[], warnings: string[]): number[] {
  const raisable = ambient.filter((cap) => permitted.includes(cap) && inheritable.includes(cap));
  for (const cap of ambient.filter((c) => !raisable.includes(c))) {
    warnings.push(`can't raise ambient capability ${CAPABILITY_NAMES[cap] ?? String(cap)}: ` +
      `it is not in both process.capabilities.permitted and .inheritable (prctl(2) PR_CAP_AMBIENT_RAISE)`);
  }
  return raisable;
}

/** config.md#process: args[0] is used "with the same semantics as execvp's file". */
export function execStep(process: SpecProcess): Step {
  const [path = ''] = process.args;
  return { op: 'exec', path, args: [...process.args], env: [...(process.env ?? [])] };
}
