/**
 * A container handle for library callers (src/index.ts): exec, logs, ports, stop, remove,
 * and `await using` (Symbol.asyncDispose). Built on the same functions the CLI verbs call
 * (src/container/*); nothing here talks to the kernel directly.
 *
 * The container runs under a stage 0 that stays as our child (create's `foreground`), so
 * its exit status is known without polling; the handle does not keep Node alive.
 */
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { deleteContainer } from '../container/delete.js';
import { execInContainer } from '../container/exec.js';
import { killContainer } from '../container/kill.js';
import { ociState } from '../container/status.js';
import { RuntimeError } from '../errors.js';
import type { InitProcess } from '../process/init-process.js';
import { signalNumber } from '../process/signals.js';
import { checkProcess, loadSpec } from '../spec/load.js';
import type { SpecProcess } from '../spec/schema.js';
import type { OciState, StateStore } from '../state/container-state.js';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface ExecOptions {
  /** more KEY=VALUE entries, after the container's own */
  env?: Record<string, string>;
  cwd?: string;
  /** numeric uid (and gid); default: the container's user */
  user?: { uid: number; gid: number };
}

export interface StopOptions {
  /** default: the image's StopSignal, else SIGTERM */
  signal?: NodeJS.Signals;
  /** then SIGKILL; default 10 s */
  timeoutMs?: number;
}

/** What the handle needs from the runtime that made it. */
export interface ContainerContext {
  store: StateStore;
  storage: string;
  /** a directory of the handle's own: the log file, exec's output files */
  scratch: string;
  /** forget the container (exit cleanup) once it is removed */
  forget(id: string): void;
}

export class Container {
  private removed = false;

  constructor(
    readonly id: string,
    private readonly init: InitProcess,
    private readonly context: ContainerContext,
  ) {}

  /** the container process's pid on the host */
  get pid(): number {
    return this.context.store.read(this.id).pid;
  }

  /** its address on its bridge network, if it is on one */
  get ip(): string | undefined {
    return this.context.store.read(this.id).network?.ip;
  }

  /** the runtime-spec state: status, pid, bundle, annotations */
  state(): OciState {
    return ociState(this.context.store, this.context.store.read(this.id));
  }

  /** The host port a container port is published on (`ports: { 80: 0 }` picks a free one). */
  port(containerPort: number, protocol: 'tcp' | 'udp' = 'tcp'): number {
    const found = this.context.store.read(this.id).network?.ports.find((p) => p.containerPort === containerPort && p.protocol === protocol);
    if (!found) throw new RuntimeError(`container ${this.id} publishes no ${containerPort}/${protocol}`);
    return found.hostPort;
  }

  /** What the program wrote to stdout and stderr so far, interleaved as written. */
  logs(): string {
    return readFileSync(join(this.context.scratch, 'output.log'), 'utf8');
  }

  /** The program's exit status (128+N for signal N), once it exits. */
  wait(): Promise<number> {
    return this.init.exited;
  }

  /** Run a process in the running container and collect its output. */
  async exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new RuntimeError('exec: a command is required');
    const process = await this.processFor(argv, options);
    const n = `${Date.now()}-${Math.random().toString(16).slice(2, 8)}`;
    const files = [join(this.context.scratch, `exec-${n}.out`), join(this.context.scratch, `exec-${n}.err`)];
    const fds = files.map((f) => openSync(f, 'w'));
    let exitCode: number;
    try {
      exitCode = await execInContainer(this.context.store, this.id, { process, detach: false, stdio: { stdin: 'ignore', stdout: fds[0]!, stderr: fds[1]! } });
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
    const [stdout, stderr] = files.map((f) => readFileSync(f, 'utf8'));
    files.forEach((f) => rmSync(f, { force: true }));
    return { stdout: stdout!, stderr: stderr!, exitCode };
  }

  /** The container's own process (config.json), with these args: what `ts-runc exec ID cmd` runs. */
  private async processFor(argv: readonly string[], options: ExecOptions): Promise<SpecProcess> {
    const base = (await loadSpec(this.context.store.read(this.id).bundle)).process;
    const process: SpecProcess = structuredClone(base ?? { args: [...argv], cwd: '/', user: { uid: 0, gid: 0 } });
    process.args = [...argv];
    process.terminal = false;
    process.env = [...(process.env ?? []), ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)];
    if (options.cwd) process.cwd = options.cwd;
    if (options.user) process.user = { ...process.user, ...options.user };
    return checkProcess(process, 'exec options');
  }

  /** Signal the program, wait for it to exit (SIGKILL after the timeout); its exit status. */
  async stop(options: StopOptions = {}): Promise<number> {
    const exited = this.init.exited;
    if (!(await settled(exited, 0))) {
      try {
        killContainer(this.context.store, this.id, options.signal ? signalNumber(options.signal) : undefined, false);
      } catch (error) {
        if (!(error instanceof RuntimeError && error.message === 'container not running')) throw error;
      }
      if (!(await settled(exited, options.timeoutMs ?? 10_000))) killContainer(this.context.store, this.id, signalNumber('SIGKILL'), true);
    }
    return exited;
  }

  /** The handle's own directory (its log, exec's output files): exit cleanup removes it too. */
  get scratchDir(): string {
    return this.context.scratch;
  }

  /** Stop it if it runs, then delete it: its cgroup, network, overlay and state. Idempotent. */
  async remove(): Promise<void> {
    if (this.removed) return;
    await deleteContainer(this.context.store, this.id, true, { storage: this.context.storage });
    rmSync(this.context.scratch, { recursive: true, force: true });
    this.removed = true;
    this.context.forget(this.id);
  }

  /** `await using c = await rt.run(…)`: removed when the block ends, whatever happened in it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.remove();
  }
}

/** Whether `promise` settles within `ms`. */
async function settled(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true, () => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
