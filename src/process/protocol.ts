/**
 * The sync protocol between ts-runc (Node) and the C init (native/init/), over the socketpair that Node
 * hands the init as its fd `TSRUNC_SYNC_FD` (libuv makes a stdio 'pipe' a socketpair).
 *
 *   message := type:u32 len:u32 payload[len]      (little-endian)
 *
 *   1 CONFIG  Node -> init   key/value fields (encodeFields): what to join, what to create
 *   2 PID     init -> Node   [pid]  the container process's pid, as the host sees it
 *   3 PLAN    Node -> init   the encoded plan (encode.ts); sent once uid/gid maps are written
 *                            and the pid is in its cgroup, so nothing runs unlimited or unmapped
 *   4 READY   init -> Node   the plan ran up to `wait-for-start` (create)
 *   5 ERROR   init -> Node   [step index, op, errno, message]
 *   6 SECCOMP init -> Node   [fd]  the `seccomp` step loaded a filter with SCMP_ACT_NOTIFY
 *                            rules; fd is its notify fd, in the init. Node copies it with
 *                            pidfd_getfd(2) and sends it to linux.seccomp.listenerPath
 *                            (src/seccomp/agent.ts), as runc does (procSeccomp)
 *   7 SECCOMP_DONE Node -> init   the agent has it; the init closes its copy and goes on
 *   8 HOOKS   init -> Node   (empty) the plan reached `run-runtime-hooks`: the mounts are made,
 *                            the root not switched; Node runs prestart and createRuntime hooks
 *   9 RESUME  Node -> init   (empty) they succeeded; the plan goes on (on failure Node kills it)
 *
 * With --debug the init also gets a log pipe, fd `TSRUNC_LOG_FD`, of text lines
 * (native/init/debug-log.c); it is not part of this protocol.
 *
 * For `exec`, and after `wait-for-start`, success is EOF (on this socket, or for `start` on
 * report.fifo): the init's fds are close-on-exec, so a successful execve(2) closes them; a
 * failure sends ERROR first.
 *
 * CONFIG keys:
 *   clone-flags     decimal CLONE_NEW* bits of the namespaces to create
 *   join            "<type>:<path>", repeated; type is user|mnt|pid|net|ipc|uts|cgroup|time.
 *                   The init joins user first (it grants the rights to join the rest).
 *   foreground      "1": the init's first process stays, forwards signals to the container
 *                   and exits with its status (128+N for death by signal N); "0": it exits
 *                   as soon as PID is sent, leaving the container to the caller's subreaper.
 *   console-socket  path of the unix socket to send the pty master to ("" for none)
 *   start-fifo      path of the FIFO to make for `wait-for-start` ("" for none): the init
 *                   waits for a byte on it (container/start.ts)
 *   report-fifo     path of the FIFO to make with it, for the init's report after it
 *   preserve-fds    how many fds above stdio (3..3+N-1) reach the container
 *   pid-ns-child    "1" when joining a pid namespace: setns(2) affects only children, so the
 *                   init forks once more after joining (exec into a running container)
 *   netlink-fd      with a NEW network namespace: the init's fd of a unix socketpair. The
 *                   container process, right after clone(2), opens a NETLINK_ROUTE socket
 *                   inside the new namespace and sends it on this fd with SCM_RIGHTS (not
 *                   on the sync socket: Node reads that as a stream, which drops fds).
 *                   Node sets the namespace up through it (InitProcess.netlink()).
 *   cgroup-join     a v1 `tasks` file, repeated: stage 0 writes "0" to each (moving itself)
 *                   before setns(2) and clone(2), so the container process starts in them
 *   cgroup-return   a v1 `tasks` file of the caller's own cgroups, repeated: stage 0 goes
 *                   back to them right after clone(2)
 *   cgroup-into     a cgroup2 directory: clone3(2) CLONE_INTO_CGROUP; PID's second field
 *                   says whether that worked ("1") or Node must move the pid itself ("0").
 *                   native/init/cgroups.c says why (the lock a cgroup.procs write takes).
 *   loopback-up     "1": with a NEW network namespace that Node does not set up (no
 *                   netlink-fd), the container process brings lo up itself, with the
 *                   SIOCSIFFLAGS ioctl, right after clone(2) (native/init/stage1.c)
 *   mount-source    a bind mount source (host path), repeated; with a new user and mount
 *                   namespace. Stage 0, still the host's root, opens each with O_PATH inside
 *                   the new mount namespace and passes it to the container process, which
 *                   mounts it by fd: the namespace's root may not be allowed to reach it
 *                   (native/init/mount-sources.c, runc's mount sources).
 */
import { encodeFields } from '../plan/encode.js';

export const MSG = { CONFIG: 1, PID: 2, PLAN: 3, READY: 4, ERROR: 5, SECCOMP: 6, SECCOMP_DONE: 7, HOOKS: 8, RESUME: 9 } as const;

export interface Message {
  type: number;
  payload: Buffer;
}

export interface InitConfig {
  cloneFlags: number;
  join: { type: string; path: string }[];
  foreground: boolean;
  consoleSocket: string;
  /** the create/start barrier's FIFOs (start-fifo, report-fifo above), for create only */
  barrier?: { startFifo: string; reportFifo: string };
  preserveFds: number;
  /** see mount-source above */
  mountSources?: string[];
  /** see cgroup-join, cgroup-return and cgroup-into above (cgroups/cgroup.ts initCgroups) */
  cgroups?: { join: string[]; leave: string[]; into: string };
  /** ask for the new network namespace's netlink socket (InitProcess.netlink(), netlink-fd above) */
  netlink?: boolean;
  /** see loopback-up above */
  loopbackUp?: boolean;
  /** set by InitProcess, not by callers: see netlink-fd above */
  netlinkFd?: number;
}

export function encodeConfig(config: InitConfig): Buffer {
  const fields: string[] = [
    'clone-flags', String(config.cloneFlags),
    'foreground', config.foreground ? '1' : '0',
    'console-socket', config.consoleSocket,
    'start-fifo', config.barrier?.startFifo ?? '',
    'report-fifo', config.barrier?.reportFifo ?? '',
    'preserve-fds', String(config.preserveFds),
  ];
  for (const j of config.join) fields.push('join', `${j.type}:${j.path}`);
  if (config.netlinkFd !== undefined) fields.push('netlink-fd', String(config.netlinkFd));
  if (config.loopbackUp) fields.push('loopback-up', '1');
  for (const source of config.mountSources ?? []) fields.push('mount-source', source);
  for (const file of config.cgroups?.join ?? []) fields.push('cgroup-join', file);
  for (const file of config.cgroups?.leave ?? []) fields.push('cgroup-return', file);
  if (config.cgroups?.into) fields.push('cgroup-into', config.cgroups.into);
  return encodeFields(fields);
}

export function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(type, 0);
  header.writeUInt32LE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

/** Split a payload of `encodeFields` back into strings. */
export function decodeFields(payload: Buffer): string[] {
  const count = payload.readUInt32LE(0);
  const out: string[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const len = payload.readUInt32LE(at);
    at += 4;
    out.push(payload.subarray(at, at + len).toString('utf8'));
    at += len;
  }
  return out;
}

/** Accumulates bytes from a stream and yields whole messages. */
export class MessageReader {
  private buffered = Buffer.alloc(0);

  push(chunk: Buffer): Message[] {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    const messages: Message[] = [];
    while (this.buffered.length >= 8) {
      const len = this.buffered.readUInt32LE(4);
      if (this.buffered.length < 8 + len) break;
      messages.push({ type: this.buffered.readUInt32LE(0), payload: this.buffered.subarray(8, 8 + len) });
      this.buffered = this.buffered.subarray(8 + len);
    }
    return messages;
  }
}

/** An ERROR message, decoded. */
export interface StepFailure {
  index: number;
  op: string;
  errno: number;
  message: string;
}

export function decodeError(payload: Buffer): StepFailure {
  const [index, op, errno, message] = decodeFields(payload);
  return { index: Number(index), op: op ?? '', errno: Number(errno), message: message ?? '' };
}
