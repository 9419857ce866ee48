/**
 * `exec`: one more process in a running container. The init joins every namespace the
 * container's init is in (setns(2) on /proc/<pid>/ns/*, user namespace first), forks once
 * so the pid namespace takes effect, and the new process is put in the container's cgroup
 * (every v1 hierarchy and the cgroup2 one, or the sub-cgroups `--cgroup` names) before its
 * plan (user, capabilities, cwd, execve) runs.
 */
import { statSync } from 'node:fs';
import { RuntimeError } from '../errors.js';
import { log } from '../log.js';
import { cgroupsLeftToJoin, crowdedForStage0, initCgroups, joinCgroups, subCgroupPaths } from '../cgroups/cgroup.js';
import { compileExecPlan } from '../plan/compile.js';
import { createsNamespace } from '../plan/namespaces.js';
import { seccompAgentHandoff } from '../seccomp/agent.js';
import { ConsoleListener } from '../process/console.js';
import { InitProcess, type InitStdio } from '../process/init-process.js';
import { signalProcess } from '../process/signals.js';
import { loadSpec } from '../spec/load.js';
import { PROC_NS_NAMES } from '../spec/namespaces.js';
import type { SpecProcess } from '../spec/schema.js';
import type { StateStore } from '../state/container-state.js';
import { writePidFile } from './create.js';
import { writeOomScoreAdj } from './oom-score-adj.js';
import { waitInForeground } from './foreground.js';
import { liveInitPid, ociState, statusOf } from './status.js';

export interface ExecOptions {
  process: SpecProcess;
  detach: boolean;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds?: number;
  stdio?: InitStdio;
  /** --ignore-paused: exec into a paused container; the process stays frozen until `resume` */
  ignorePaused?: boolean;
  /** --cgroup: sub-cgroups to join instead, by controller ("" for every hierarchy) */
  subCgroups?: Record<string, string>;
}

/** The container's namespaces that differ from ours: joining one we're already in is EINVAL. */
function namespacesToJoin(pid: number): { type: string; path: string }[] {
  const join: { type: string; path: string }[] = [];
  for (const name of Object.values(PROC_NS_NAMES)) {
    const theirs = `/proc/${pid}/ns/${name}`;
    try {
      if (statSync(theirs).ino !== statSync(`/proc/self/ns/${name}`).ino) join.push({ type: name, path: theirs });
    } catch {
      // a namespace type this kernel doesn't have
    }
  }
  return join;
}

/** Returns the process's exit status in the foreground, or its pid with --detach. */
export async function execInContainer(store: StateStore, id: string, options: ExecOptions): Promise<number> {
  const state = store.read(id);
  const current = statusOf(store, state);
  if (current === 'stopped') throw new RuntimeError(`cannot exec in a stopped container`);
  // runc exec.go: a process joining a frozen cgroup is frozen at once, so the exec would
  // wait for a `resume`; runc refuses unless asked, with the same words.
  if (current === 'paused' && options.ignorePaused !== true) {
    throw new RuntimeError('cannot exec in a paused container (use --ignore-paused to override)');
  }
  // Without a live init there are no namespaces to join: /proc/0/ns/* does not exist, and
  // an exec that joined nothing would run in the host's namespaces.
  const target = liveInitPid(state);
  if (current === 'creating' || target === undefined) throw new RuntimeError(`cannot exec in container ${id}: it has no running init (${current})`);
  // Checked before the process exists: a sub-cgroup that is missing or climbs out is refused.
  const cgroupPaths = subCgroupPaths(state.cgroupPaths, options.subCgroups ?? {});
  // exec -t in the foreground: the pty is attached to our own terminal (process/console.ts).
  const attach = options.process.terminal === true && !options.consoleSocket;
  if (attach && options.detach) throw new RuntimeError('cannot allocate a tty for a detached exec without --console-socket');
  const listener = attach ? new ConsoleListener() : undefined;
  const consoleSocket = listener?.path ?? options.consoleSocket;

  // Both come from the state, as create decided them: config.json may have been edited or
  // deleted since (runc keeps its config in its state too). Only a state written before
  // they were recorded sends us back to the bundle's config.json.
  const legacy = state.seccomp === undefined || state.chroot === undefined ? await loadSpec(state.bundle) : undefined;
  // runc applies the container's seccomp filter to exec'd processes too.
  const seccomp = (state.seccomp === undefined ? legacy?.linux?.seccomp : state.seccomp) ?? undefined;
  // Without a mount namespace of its own the container was chroot'ed (compile.ts
  // chrootSteps); joining its namespaces does not give us its root, so chroot as it did:
  // an exec that skipped the chroot would run at the root of the host's mount namespace.
  const chroot = (state.chroot ?? (legacy !== undefined && !createsNamespace(legacy, 'mount'))) ? state.rootfs : undefined;
  const plan = compileExecPlan(options.process, {
    hasConsoleSocket: Boolean(consoleSocket),
    ...(seccomp ? { seccomp } : {}),
    ...(chroot !== undefined ? { chroot } : {}),
  });
  for (const warning of plan.warnings ?? []) log().warn(warning);
  // As create: the init's stage 0 joins what it can before it clones (initCgroups); not the
  // freezer of a paused container (--ignore-paused), which would stop stage 0 itself, nor a
  // pids cgroup without room for stage 0 too.
  const cgroups = initCgroups(cgroupPaths, { byPid: [...(current === 'paused' ? ['freezer'] : []), ...crowdedForStage0(cgroupPaths)] });
  const init = new InitProcess(
    {
      cloneFlags: 0,
      cgroups,
      join: namespacesToJoin(target),
      foreground: !options.detach,
      consoleSocket: consoleSocket ?? '',
      preserveFds: options.preserveFds ?? 0,
    },
    options.stdio ?? { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' },
  );
  let master: number | undefined;
  let pid = 0;
  try {
    pid = await init.pid();
    joinCgroups(cgroupsLeftToJoin(cgroups, init.startedInCgroup2), pid);
    // runc sets the exec'd process's oom_score_adj from process.oomScoreAdj too; from here,
    // as for the container's init (oom-score-adj.ts).
    writeOomScoreAdj(pid, options.process.oomScoreAdj);
    init.sendPlan(plan);
    // runc (setnsProcess): the exec'd process's pid, and the container's state as "running".
    await init.finished(plan, { onSeccompFd: seccompAgentHandoff(seccomp, () => pid, () => ociState(store, state, 'running')) });
    master = listener?.receiveMaster();
  } catch (error) {
    if (pid > 0) signalProcess(pid, 'SIGKILL');
    init.release();
    throw error instanceof RuntimeError ? new RuntimeError(`exec ${id}: ${error.message}`, { code: error.code, cause: error }) : error;
  } finally {
    listener?.close();
  }
  if (options.pidFile) writePidFile(options.pidFile, pid);
  if (options.detach) {
    init.release();
    return 0;
  }
  return waitInForeground(init, master);
}
