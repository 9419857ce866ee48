/**
 * Handing a seccomp notify fd to the agent at linux.seccomp.listenerPath
 * (config-linux.md#seccomp), as runc does (libcontainer/process_linux.go,
 * sendContainerProcessState).
 *
 * A filter with SCMP_ACT_NOTIFY rules suspends the calls they match and queues a
 * notification on a file descriptor (seccomp_unotify(2)); an agent reads it and decides the
 * call's result. The container's init loads the filter, so the fd is born in the container
 * process; the init tells us its number (protocol.ts, SECCOMP), we copy it out with
 * pidfd_getfd(2) (Node reads the sync socket as a stream, which would drop an SCM_RIGHTS
 * fd), connect to the agent's unix socket and send it there with SCM_RIGHTS, along with the
 * "container process state" (runtime.md#container-process-state):
 *
 *   {"ociVersion": …, "fds": ["seccompFd"], "pid": <the process the filter is on>,
 *    "metadata": <listenerMetadata>, "state": <the container's state (runtime.md#state)>}
 *
 * Once both copies are closed (ours here, the init's after SECCOMP_DONE) the agent holds
 * the only one: if it dies, every notified call fails with ENOSYS, as under runc.
 */
import { RuntimeError } from '../errors.js';
import type { SpecSeccomp } from '../spec/schema.js';
import { closeFd, copyFdOfProcess, sendFdToUnixSocket } from '../sys/libc.js';

/** runtime.md#container-process-state */
export interface ContainerProcessState {
  ociVersion: string;
  fds: string[];
  pid: number;
  metadata?: string;
  state: object;
}

/**
 * The callback for InitProcess.finished(): send the notify fd `fd` of process `pid` to the
 * agent, with `state` (the container's OCI state as the agent should see it).
 */
export function seccompAgentHandoff(seccomp: SpecSeccomp | undefined, pid: () => number, state: () => { ociVersion: string }): (fd: number) => void {
  return (fd: number) => {
    const listenerPath = seccomp?.listenerPath;
    // compile.ts refuses this before anything runs; kept for a plan made elsewhere.
    if (!listenerPath) throw new RuntimeError('seccomp listenerPath is not set');
    const ociState = state();
    const processState: ContainerProcessState = {
      ociVersion: ociState.ociVersion,
      fds: ['seccompFd'],
      pid: pid(),
      ...(seccomp.listenerMetadata ? { metadata: seccomp.listenerMetadata } : {}),
      state: ociState,
    };
    sendNotifyFd(listenerPath, processState, fd);
  };
}

function sendNotifyFd(listenerPath: string, processState: ContainerProcessState, fd: number): void {
  const copy = copyFdOfProcess(processState.pid, fd, 'the seccomp notify fd');
  try {
    sendFdToUnixSocket(listenerPath, Buffer.from(JSON.stringify(processState)), copy);
  } catch (error) {
    if (!(error instanceof RuntimeError)) throw error;
    // runc's words: "failed to connect with seccomp agent specified in the seccomp
    // profile: dial unix PATH: connect: ..." and "cannot send seccomp fd to PATH: ...".
    const message = error.message.startsWith('connect ')
      ? `failed to connect with seccomp agent specified in the seccomp profile: ${error.message}`
      : `cannot send seccomp fd to ${listenerPath}: ${error.message}`;
    throw new RuntimeError(message, { code: error.code, cause: error });
  } finally {
    closeFd(copy);
  }
}
