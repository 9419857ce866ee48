/**
 * The exec group (Engine API "Exec"): POST /containers/{id}/exec makes an exec instance
 * (kept in this service's memory, as dockerd keeps its own), POST /exec/{id}/start runs
 * it on the hijacked connection, GET /exec/{id}/json tells its state and exit code.
 *
 * The process is run by `ts-runc system _exec` (src/cli/system/exec-helper.ts: the
 * engine's execInContainer, which `container exec` calls too) as a child of this service
 * with pipes for stdio; with a tty, the container's pty master is copied to and from those
 * pipes. A resize sets the size of the exec'd process's pty (TIOCSWINSZ on its stdin,
 * opened through /proc), which signals SIGWINCH to it as a terminal's resize does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { crypto } from '../../crypto.js';
import { closeSync, constants, openSync, readFileSync, readlinkSync } from 'node:fs';
import { containerView } from '../../engine/containers/status.js';
import { tsRuncCommand } from '../../engine/paths.js';
import { setWindowSize } from '../../sys/libc.js';
import { errorMessage } from '../../errors.js';
import { outputChunk } from '../frames.js';
import { ApiError, badRequest, notFound, readJson, sendJson } from '../http.js';
import { hijack } from '../hijack.js';
import type { Call, Router } from '../router.js';
import type { ApiContext } from '../context.js';
import { containerStore, findContainer } from './container-ref.js';
import { DetachScanner, detachKeyBytes } from './attach.js';

interface ExecInstance {
  ID: string;
  ContainerID: string;
  Cmd: string[];
  Env: string[];
  User: string;
  WorkingDir: string;
  Tty: boolean;
  Privileged: boolean;
  AttachStdin: boolean;
  AttachStdout: boolean;
  AttachStderr: boolean;
  DetachKeys: string;
  ConsoleSize?: [number, number];
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  started: boolean;
  child?: ChildProcess;
}

const execs = new Map<string, ExecInstance>();

export function execRoutes(router: Router): void {
  router
    .add('POST', '/containers/:id/exec', create)
    .add('POST', '/exec/:id/start', start)
    .add('POST', '/exec/:id/resize', resize)
    .add('GET', '/exec/:id/json', inspect);
}

function field<T>(body: Record<string, unknown>, name: string, type: 'string' | 'boolean', fallback: T): T {
  const value = body[name];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== type) throw badRequest(`${name}: expected a ${type}, got ${JSON.stringify(value)}`);
  return value as T;
}

function stringList(body: Record<string, unknown>, name: string): string[] {
  const value = body[name];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw badRequest(`${name}: expected a list of strings`);
  return value as string[];
}

function consoleSize(body: Record<string, unknown>): [number, number] | undefined {
  const value = body.ConsoleSize;
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.length !== 2 || value.some((v) => !Number.isInteger(v) || (v as number) < 0)) throw badRequest('ConsoleSize: expected [height, width]');
  const [h, w] = value as [number, number];
  return h > 0 && w > 0 ? [h, w] : undefined;
}

async function create({ req, res, params, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const body = await readJson(req);
  // Detach is sent here by the docker CLI too (POST /exec/{id}/start's decides), Container by docker-py (the path's decides)
  const known = ['AttachStdin', 'AttachStdout', 'AttachStderr', 'ConsoleSize', 'DetachKeys', 'Tty', 'Env', 'Cmd', 'Privileged', 'User', 'WorkingDir', 'Detach', 'Container'];
  for (const key of Object.keys(body)) if (!known.includes(key)) throw badRequest(`exec create: unknown field ${key}`);
  const cmd = stringList(body, 'Cmd');
  if (cmd.length === 0) throw badRequest('exec create: Cmd is required');
  const view = containerView(containerStore(ctx), record);
  if (view.state.Paused) throw new ApiError(409, `Container ${record.Id} is paused, unpause the container before exec`);
  if (!view.state.Running) throw new ApiError(409, `Container ${record.Id} is not running`);
  const detachKeys = field(body, 'DetachKeys', 'string', '');
  detachKeyBytes(detachKeys || 'ctrl-p,ctrl-q');
  const id = crypto().randomBytes(32).toString('hex');
  execs.set(id, {
    ID: id, ContainerID: record.Id, Cmd: cmd, Env: stringList(body, 'Env'),
    User: field(body, 'User', 'string', ''), WorkingDir: field(body, 'WorkingDir', 'string', ''),
    Tty: field(body, 'Tty', 'boolean', false), Privileged: field(body, 'Privileged', 'boolean', false),
    AttachStdin: field(body, 'AttachStdin', 'boolean', false), AttachStdout: field(body, 'AttachStdout', 'boolean', false),
    AttachStderr: field(body, 'AttachStderr', 'boolean', false), DetachKeys: detachKeys, ConsoleSize: consoleSize(body),
    Running: false, ExitCode: null, Pid: 0, started: false,
  });
  sendJson(res, 201, { Id: id });
}

function findExec(id: string): ExecInstance {
  const exec = execs.get(id);
  if (!exec) throw notFound(`No such exec instance: ${id}`);
  return exec;
}

/**
 * `ts-runc system _exec REQUEST CONTAINER`: the engine's execInContainer in a child of this
 * service, whose stdio are our pipes (exec-helper.ts).
 */
function spawnExec(ctx: ApiContext, exec: ExecInstance): ChildProcess {
  const [node, ...script] = tsRuncCommand();
  const request = {
    Cmd: exec.Cmd, Env: exec.Env, Tty: exec.Tty, Privileged: exec.Privileged, AttachStdin: exec.AttachStdin,
    ...(exec.WorkingDir ? { WorkingDir: exec.WorkingDir } : {}), ...(exec.User ? { User: exec.User } : {}),
  };
  const argv = [...script, '--root', ctx.root, '--storage', ctx.storage, 'system', '_exec', JSON.stringify(request), exec.ContainerID];
  return spawn(node!, argv, { stdio: [exec.AttachStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
}

/** The exec'd process's pty: the deepest descendant of our child whose stdin is a pty (read through /proc). */
function execPty(exec: ExecInstance): string | undefined {
  const walk = (pid: number, depth: number): string | undefined => {
    if (depth > 6) return undefined;
    let children: string[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      return undefined;
    }
    for (const child of children) {
      const deeper = walk(Number(child), depth + 1);
      if (deeper) return deeper;
      try {
        // a pty of the container's devpts: opened through the magic link, not by its name
        if (readlinkSync(`/proc/${child}/fd/0`).startsWith('/dev/pts/')) return `/proc/${child}/fd/0`;
      } catch {
        // gone, or not ours to read
      }
    }
    return undefined;
  };
  return exec.child?.pid ? walk(exec.child.pid, 0) : undefined;
}

function applySize(exec: ExecInstance, rows: number, cols: number): boolean {
  const pty = execPty(exec);
  if (!pty) return false;
  // O_NOCTTY: the service must never take a container's pty as its controlling terminal
  const fd = openSync(pty, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
  try {
    setWindowSize(fd, rows, cols);
  } finally {
    closeSync(fd);
  }
  return true;
}

async function start({ req, res, params, ctx }: Call): Promise<void> {
  const exec = findExec(params.id!);
  const body = await readJson(req);
  if (body.Detach !== undefined && typeof body.Detach !== 'boolean') throw badRequest('Detach: expected a boolean');
  if (body.Tty !== undefined && typeof body.Tty !== 'boolean') throw badRequest('Tty: expected a boolean');
  if (exec.started) throw new ApiError(409, `exec ${exec.ID} has already been started`);
  const record = findContainer(ctx, exec.ContainerID);
  if (!containerView(containerStore(ctx), record).state.Running) throw new ApiError(409, `Container ${record.Id} is not running`);
  const size = consoleSize(body) ?? exec.ConsoleSize;
  exec.started = true;
  exec.Running = true;
  const child = spawnExec(ctx, exec);
  exec.child = child;
  exec.Pid = child.pid ?? 0;
  // 'exit', not 'close': 'close' waits for every stdio stream to end, and one that never
  // does (held by a process that outlives the exec) must not hold the client forever
  const exited = new Promise<number>((resolve) => {
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 126)));
    child.on('error', (error) => {
      ctx.log.warn(`exec ${exec.ID}: ${errorMessage(error)}`);
      resolve(126);
    });
  }).then((code) => {
    exec.Running = false;
    exec.ExitCode = code;
    // kept a while for GET /exec/{id}/json, then forgotten
    setTimeout(() => execs.delete(exec.ID), 5 * 60_000).unref();
    return code;
  });
  if (body.Detach === true) {
    child.stdout?.resume();
    child.stderr?.resume();
    child.stdin?.end();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end();
    return;
  }
  const stream = hijack(req, res, !exec.Tty);
  if (size && exec.Tty) {
    // the pty appears once the exec'd process runs
    const trySize = (left: number) => {
      if (!applySize(exec, size[0], size[1]) && left > 0 && exec.Running) setTimeout(() => trySize(left - 1), 50);
    };
    trySize(40);
  }
  const outputs: Promise<void>[] = [];
  for (const kind of ['stdout', 'stderr'] as const) {
    const source = child[kind];
    if (!source) continue;
    const wanted = kind === 'stdout' ? exec.AttachStdout || exec.Tty : exec.AttachStderr;
    outputs.push(new Promise((resolve) => {
      source.on('data', (chunk: Buffer) => {
        if (wanted) stream.output.write(outputChunk(exec.Tty, kind, chunk));
      });
      source.on('end', () => resolve());
      source.on('close', () => resolve());
      source.on('error', () => resolve());
    }));
  }
  let detached = false;
  if (child.stdin) {
    child.stdin.on('error', () => undefined);
    if (exec.AttachStdin && stream.upgraded) {
      const scanner = new DetachScanner(detachKeyBytes(exec.DetachKeys || 'ctrl-p,ctrl-q'), (bytes) => child.stdin!.write(bytes), () => {
        detached = true;
        stream.end();
      });
      stream.input.on('data', (chunk: Buffer) => scanner.push(chunk));
      // the client's half-close is the process's EOF (a tty's: ^D, which the line discipline reads as EOF)
      stream.input.on('end', () => {
        if (exec.Tty) child.stdin!.write('\x04');
        else child.stdin!.end();
      });
    } else if (!exec.Tty) {
      child.stdin.end();
    }
  }
  stream.onClose(() => {
    if (!detached && exec.Running && child.stdin && !exec.Tty) child.stdin.end();
  });
  await exited;
  // what the process wrote before it exited is still in the pipes: a moment to drain them
  await Promise.race([Promise.all(outputs), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  if (!detached) stream.end();
}

async function resize({ res, params, query }: Call): Promise<void> {
  const exec = findExec(params.id!);
  const h = query.int('h', 0);
  const w = query.int('w', 0);
  if (h <= 0 || w <= 0 || h > 65535 || w > 65535) throw badRequest('resize: h and w must be 1-65535');
  if (!exec.Tty) throw badRequest(`exec ${exec.ID} has no tty`);
  if (!exec.Running) throw new ApiError(409, `exec ${exec.ID} is not running`);
  applySize(exec, h, w);
  res.writeHead(200);
  res.end();
}

function inspect({ res, params }: Call): void {
  const exec = findExec(params.id!);
  sendJson(res, 200, {
    CanRemove: false,
    ContainerID: exec.ContainerID,
    DetachKeys: exec.DetachKeys,
    ExitCode: exec.ExitCode,
    ID: exec.ID,
    OpenStderr: exec.AttachStderr,
    OpenStdin: exec.AttachStdin,
    OpenStdout: exec.AttachStdout,
    ProcessConfig: { arguments: exec.Cmd.slice(1), entrypoint: exec.Cmd[0], privileged: exec.Privileged, tty: exec.Tty, user: exec.User },
    Running: exec.Running,
    Pid: exec.Pid,
  });
}
