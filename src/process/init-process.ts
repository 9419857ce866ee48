/**
 * Starting the C init (native/init/) and talking to it (protocol.ts says what goes over the socket).
 *
 * Node itself never calls unshare(2), setns(2) or fork(2): it runs several threads before
 * our first line, and those calls either split the namespaces between threads or are
 * refused. The single-threaded init does them; Node decides everything else.
 *
 *   Node                                 init (stage 0)          container process
 *   spawn(init, fd N = socketpair) ───►  read CONFIG
 *   send CONFIG                          setns(joined), clone ──► (new namespaces)
 *   ◄── PID                              send PID; exit or wait   wait for PLAN
 *   uid/gid maps, cgroup.procs
 *   send PLAN ──────────────────────────────────────────────────► run steps… (mounts)
 *   ◄── HOOKS ◄───────────────────────────────────────────────── run-runtime-hooks
 *   prestart, createRuntime hooks; RESUME ──────────────────────► run steps… (pivot_root)
 *   ◄── READY | ERROR ◄───────────────────────────────────────── wait-for-start / exec
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { RuntimeError, StepError, errnoName } from '../errors.js';
import { debugEnabled, log } from '../log.js';
import { encodePlan } from '../plan/encode.js';
import { describeStep, type Plan } from '../plan/steps.js';
import { Netlink } from '../network/netlink/socket.js';
import { closeFd, receiveFd, unixSocketPair } from '../sys/libc.js';
import { signalNumber } from './signals.js';
import { MSG, MessageReader, decodeError, decodeFields, encodeConfig, frame, type InitConfig, type Message, type StepFailure } from './protocol.js';

/** clone(2)'s flag for a new network namespace (linux/sched.h) */
const CLONE_NEWNET = 0x40000000;

/** build/ts-runc-init, next to dist/ and src/; TSRUNC_INIT overrides it for development. */
export function initBinary(): string {
  return process.env.TSRUNC_INIT || fileURLToPath(new URL('../../build/ts-runc-init', import.meta.url));
}

/** How the container's stdio is wired: inherited from the CLI, or given fds. */
export interface InitStdio {
  stdin: 'inherit' | 'ignore' | number;
  stdout: 'inherit' | 'ignore' | number;
  stderr: 'inherit' | 'ignore' | number;
}

/** Turn a failed step into the sentence the user reads: "step 7/23 mount proc on /proc: EPERM (...)". */
export function stepError(plan: Plan, failure: StepFailure): RuntimeError {
  const step = plan.steps[failure.index];
  const where = step ? `step ${failure.index + 1}/${plan.steps.length} ${describeStep(step)}` : `init (${failure.op})`;
  const code = failure.errno > 0 ? errnoName(failure.errno) : undefined;
  const detail = [code, failure.message].filter(Boolean).join(': ');
  return new StepError(`${where}: ${detail}`, failure.index, step?.op ?? failure.op, failure.errno, { code });
}

/** One step's outcome as the init reports it on its log pipe (`explain --trace`). */
export interface StepTrace {
  /** the step's index in the plan */
  index: number;
  result: 'done' | 'failed';
  /** how long the step took, measured by the init with CLOCK_MONOTONIC */
  ns: number;
  /** the reason, for a failed step */
  message?: string;
}

/** "done in <ns> ns" or "failed after <ns> ns: <why>" (native/init/steps.c run_plan). */
export function parseStepTrace(index: number, text: string): StepTrace | undefined {
  const match = /^(done in|failed after) (\d+) ns(?:: (.*))?$/.exec(text);
  if (!match) return undefined;
  return { index, result: match[1] === 'done in' ? 'done' : 'failed', ns: Number(match[2]), ...(match[3] !== undefined ? { message: match[3] } : {}) };
}

/** What the init may ask of Node while it runs its plan. */
export interface PlanCallbacks {
  /**
   * Called with the notify fd's number in the container process when its `seccomp` step
   * loaded a filter with SCMP_ACT_NOTIFY rules; once it returns, the init goes on. If it
   * throws, so does finished().
   */
  onSeccompFd?: (fd: number) => void;
  /** prestart and createRuntime hooks, run at the plan's `run-runtime-hooks` step */
  runtimeHooks?: () => Promise<void>;
}

export class InitProcess {
  readonly child: ChildProcess;
  /** stage 0's exit: in the foreground it carries the container's exit status. */
  readonly exited: Promise<number>;
  private readonly socket: Socket;
  private readonly reader = new MessageReader();
  private readonly queue: Message[] = [];
  private waiting?: (message: Message | undefined) => void;
  private closed = false;
  /** our end of the socketpair the container process sends its netns's netlink socket on */
  private netlinkChannel = -1;
  private netlinkHandle?: Netlink;
  /** with --debug: the init's log pipe (native/init/debug-log.c), and the plan its
   *  "step N" lines refer to */
  private logStream?: Readable;
  private plan?: Plan;
  private readonly trace?: (event: StepTrace) => void;
  /** resolves when the init's log pipe closed (every process holding it exited or exec'd) */
  readonly logClosed: Promise<void>;
  private closeLog: () => void = () => {};

  /** `trace` gets each step's outcome and duration, from the init's log pipe (opened for it even without --debug). */
  constructor(config: InitConfig, stdio: InitStdio, trace?: (event: StepTrace) => void) {
    this.trace = trace;
    this.logClosed = new Promise((resolve) => { this.closeLog = resolve; });
    // fds 3..3+N-1 are the caller's preserved fds, passed through at the same numbers;
    // the sync socket comes right after them.
    const preserved = Array.from({ length: config.preserveFds }, (_, i) => 3 + i);
    const syncFd = 3 + config.preserveFds;
    const stdioOption: StdioOptions = [stdio.stdin, stdio.stdout, stdio.stderr, ...preserved, 'pipe'];
    // A new network namespace Node sets up: one more fd, right after the sync socket, for
    // its netlink socket (protocol.ts, netlink-fd).
    let initEnd = -1;
    if (config.netlink) {
      if (!(config.cloneFlags & CLONE_NEWNET)) throw new RuntimeError('a netlink socket is only for a new network namespace');
      [this.netlinkChannel, initEnd] = unixSocketPair();
      stdioOption.push(initEnd);
      config = { ...config, netlinkFd: syncFd + 1 };
    }
    // --debug: one more fd for the init's own debug lines (runc's _LIBCONTAINER_LOGPIPE).
    const env: Record<string, string> = { TSRUNC_SYNC_FD: String(syncFd) };
    const logFd = debugEnabled() || trace ? stdioOption.length : -1;
    if (logFd >= 0) {
      stdioOption.push('pipe');
      env.TSRUNC_LOG_FD = String(logFd);
    }
    try {
      this.child = spawn(initBinary(), [], {
        stdio: stdioOption,
        env,
        // The init gets its own session: the container must not die with the caller's
        // terminal, and keyboard signals reach it once, relayed by us (exec.ts), not twice.
        detached: true,
      });
    } finally {
      // The init has its copy now; ours must go, or EOF would never come if it died.
      if (initEnd >= 0) closeFd(initEnd);
    }
    this.exited = new Promise((resolve, reject) => {
      this.child.on('error', (error) => reject(new RuntimeError(`start ${initBinary()}: ${error.message}`, { cause: error })));
      this.child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 0)));
    });
    this.exited.catch(() => this.deliver(undefined));
    this.socket = this.child.stdio[syncFd] as Socket;
    this.socket.on('data', (chunk: Buffer) => {
      for (const message of this.reader.push(chunk)) this.deliver(message);
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.deliver(undefined);
    });
    this.socket.on('error', () => {});
    if (logFd >= 0) this.readLog(this.child.stdio[logFd] as Readable);
    else this.closeLog();
    this.socket.write(frame(MSG.CONFIG, encodeConfig(config)));
  }

  /** Each line of the init's log pipe becomes a debug line; "step N …" names the step. */
  private readLog(stream: Readable): void {
    this.logStream = stream;
    let pending = '';
    stream.on('error', () => {});
    stream.on('close', () => this.closeLog());
    stream.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        // "step <index> <pid> <what>" (native/init/steps.c run_plan); the pid is the one
        // the init has in its own pid namespace, as runc's "nsexec-2[1]: …" lines show it.
        const match = /^step (\d+) (\d+) (.*)$/.exec(line);
        const step = match ? this.plan?.steps[Number(match[1])] : undefined;
        const event = match && this.trace ? parseStepTrace(Number(match[1]), match[3]!) : undefined;
        if (event) this.trace!(event);
        if (!debugEnabled()) continue;
        log().debug(match && step && this.plan
          ? `ts-runc-init[${match[2]}]: step ${Number(match[1]) + 1}/${this.plan.steps.length} ${describeStep(step)}: ${match[3]}`
          : line);
      }
    });
  }

  private deliver(message: Message | undefined): void {
    if (message) this.queue.push(message);
    const waiter = this.waiting;
    if (waiter && (this.queue.length > 0 || this.closed || message === undefined)) {
      this.waiting = undefined;
      waiter(this.queue.shift());
    }
  }

  /** The next message, or undefined at EOF. */
  private next(): Promise<Message | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  /** Whether the container process started in the cgroup2 directory of config.cgroups.into (known once pid() returned). */
  startedInCgroup2 = false;

  /** The container process's host pid, once the init has cloned it. */
  async pid(): Promise<number> {
    const message = await this.next();
    if (message?.type === MSG.PID) {
      const [pid, into] = decodeFields(message.payload);
      this.startedInCgroup2 = into === '1';
      return Number(pid);
    }
    if (message?.type === MSG.ERROR) {
      const failure = decodeError(message.payload);
      throw new RuntimeError(`init: ${failure.message}${failure.errno ? ` (${errnoName(failure.errno)})` : ''}`);
    }
    const status = await this.exited.catch(() => -1);
    throw new RuntimeError(`init exited (status ${status}) before creating the container`);
  }

  /**
   * A NETLINK_ROUTE socket inside the container's new network namespace, or undefined
   * when it has none (it shares or joins one). Call it after pid(); the container process
   * sends it first thing after clone(2), so this waits (blocking) only for that. The
   * caller owns the handle and closes it.
   */
  netlink(): Netlink | undefined {
    if (this.netlinkHandle) return this.netlinkHandle;
    if (this.netlinkChannel < 0) return undefined;
    let fd: number;
    try {
      fd = receiveFd(this.netlinkChannel, 'the container\'s netlink socket (from the init)');
    } finally {
      closeFd(this.netlinkChannel);
      this.netlinkChannel = -1;
    }
    try {
      this.netlinkHandle = Netlink.fromFd(fd);
    } catch (error) {
      closeFd(fd);
      throw error;
    }
    return this.netlinkHandle;
  }

  sendPlan(plan: Plan): void {
    this.plan = plan;
    this.socket.write(frame(MSG.PLAN, encodePlan(plan)));
  }

  /**
   * Wait until the plan reached `wait-for-start` (READY), or, for a plan without it, until
   * the socket closes on a successful execve. A failed step rejects with its sentence.
   * `during` answers the init's requests on the way (protocol.ts, SECCOMP and HOOKS).
   */
  async finished(plan: Plan, during: PlanCallbacks = {}): Promise<void> {
    let message = await this.next();
    while (message?.type === MSG.SECCOMP || message?.type === MSG.HOOKS) {
      if (message.type === MSG.SECCOMP) {
        if (!during.onSeccompFd) throw new RuntimeError('init sent a seccomp notify fd, and nobody asked for one');
        during.onSeccompFd(Number(decodeFields(message.payload)[0]));
        this.socket.write(frame(MSG.SECCOMP_DONE, Buffer.alloc(0)));
      } else {
        // run-runtime-hooks: the init waits while we run them; a failure rejects, and the
        // caller kills the init.
        if (during.runtimeHooks) await during.runtimeHooks();
        this.socket.write(frame(MSG.RESUME, Buffer.alloc(0)));
      }
      message = await this.next();
    }
    if (message === undefined || message.type === MSG.READY) {
      if (message === undefined && plan.steps.some((s) => s.op === 'wait-for-start')) {
        throw new RuntimeError('the container process exited before it was ready');
      }
      return;
    }
    if (message.type === MSG.ERROR) throw stepError(plan, decodeError(message.payload));
    throw new RuntimeError(`init sent unexpected message type ${message.type}`);
  }

  /**
   * A library caller (src/library/) keeps the handle to learn the exit status (`exited`),
   * but must not be kept alive by it: a test runner exits even if a container is left.
   */
  unref(): void {
    this.child.unref();
    this.socket.unref();
    (this.logStream as { unref?: () => void } | undefined)?.unref?.();
  }

  /** Let the CLI exit while the container (and, in the background, stage 0) lives on. */
  release(): void {
    if (this.netlinkChannel >= 0) closeFd(this.netlinkChannel);
    this.netlinkChannel = -1;
    this.socket.destroy();
    this.logStream?.destroy();
    this.closeLog();
    this.child.unref();
  }
}
