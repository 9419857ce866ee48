/**
 * `container exec` (POST /containers/{id}/exec + /exec/{id}/start): a process in a running
 * container, through the runtime's exec (src/container/exec.ts: joins its namespaces,
 * cgroup, seccomp filter). The process starts from the container's own (config.json):
 * its env, user, cwd, capabilities; the request changes what docker exec's flags change.
 *
 *   Cmd             the command (required)
 *   Env             -e / --env-file, over the container's env by key
 *   WorkingDir      -w
 *   User            -u user[:group], resolved in the container's /etc/passwd and /etc/group
 *   Tty             -t (TERM=xterm, as docker exec -t)
 *   Privileged      --privileged: every capability
 *   Detach          -d: returns at once (0)
 *
 * The exit status is the process's; 126/127 when the command cannot be run or is not found,
 * as Docker's.
 */
import { readFileSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../../errors.js';
import { processEnv } from '../../image/image-spec.js';
import { readEtcFiles, resolveUser } from '../../image/users.js';
import type { InitStdio } from '../../process/init-process.js';
import type { Spec, SpecProcess } from '../../spec/schema.js';
import { StateStore } from '../../state/container-state.js';
import { containerView } from '../containers/status.js';
import { ContainerStore } from '../containers/store.js';
import { startExitCode } from './exit-codes.js';
import { tweakCapabilities } from './spec.js';

export interface ExecRequest {
  Cmd: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
  Tty?: boolean;
  Privileged?: boolean;
  Detach?: boolean;
  /** stdin of the process: ours (inherit) or none */
  AttachStdin?: boolean;
}

export interface ExecIo {
  stdio?: InitStdio;
  /** the exec'd process's host pid is written here (the health hook's timeout kills it) */
  pidFile?: string;
}

export async function execInContainer(storage: string, reference: string, request: ExecRequest, io: ExecIo = {}): Promise<number> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const name = record.Name.slice(1);
  if (request.Cmd.length === 0) throw new RuntimeError('exec: a command is required', { exitCode: 125 });
  const view = containerView(store, record);
  if (view.state.Status === 'paused') throw new RuntimeError(`container ${name} is paused: unpause it first`, { exitCode: 125 });
  if (!view.state.Running || view.state.Restarting) throw new RuntimeError(`container ${name} is not running`, { exitCode: 125 });
  const paths = store.paths(record.Id);
  const spec = JSON.parse(readFileSync(paths.config, 'utf8')) as Spec;
  const process = execProcess(spec.process!, request, paths.rootfs);
  const runtime = new StateStore(record.Root);
  const { execInContainer: runtimeExec } = await import('../../container/exec.js');
  try {
    return await runtimeExec(runtime, record.Id, {
      process,
      detach: request.Detach === true,
      ...(io.pidFile ? { pidFile: io.pidFile } : {}),
      stdio: io.stdio ?? { stdin: request.AttachStdin ? 'inherit' : 'ignore', stdout: 'inherit', stderr: 'inherit' },
    });
  } catch (error) {
    throw new RuntimeError(`exec in ${name}: ${errorMessage(error)}`, { exitCode: startExitCode(error), cause: error });
  }
}

/** The container's process, changed as the request asks. Exported for the unit tests. */
export function execProcess(base: SpecProcess, request: ExecRequest, rootfs: string): SpecProcess {
  const process: SpecProcess = structuredClone(base);
  process.args = request.Cmd;
  process.terminal = request.Tty === true;
  delete process.consoleSize;
  const defaults: Record<string, string> = request.Tty ? { TERM: 'xterm' } : {};
  process.env = processEnv(process.env ?? [], request.Env ?? [], defaults, {});
  if (request.WorkingDir) {
    if (!request.WorkingDir.startsWith('/')) throw new RuntimeError(`exec -w ${request.WorkingDir}: the path must be absolute`, { exitCode: 125 });
    process.cwd = request.WorkingDir;
  }
  if (request.User) {
    const user = resolveUser(request.User, readEtcFiles(rootfs));
    process.user = { uid: user.uid, gid: user.gid, ...(user.additionalGids.length > 0 ? { additionalGids: user.additionalGids } : {}) };
    process.env = processEnv(process.env, [`HOME=${user.home}`], {}, {});
  }
  if (request.Privileged) {
    const caps = tweakCapabilities([], ['ALL'], []);
    process.capabilities = { bounding: caps, effective: caps, permitted: caps };
  }
  return process;
}
