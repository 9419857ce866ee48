/**
 * OCI hooks run by the runtime itself (config.md#posix-platform-hooks): prestart,
 * createRuntime, poststart and poststop run here, in the runtime's namespaces, with the
 * container's state JSON on stdin. createContainer and startContainer must run inside the
 * container, so the plan carries them as `run-hook` steps for the init.
 *
 * As runc runs them (libcontainer/configs/config.go Command.Run, Go's os/exec): `path` is
 * executed as given, never looked up in PATH; the environment is exactly `env`, or, when
 * the hook has no `env` at all, the runtime's own (os/exec: "If Env is nil, the new
 * process uses the current process's environment"); no PATH is added; the working
 * directory is the bundle for the create-time hooks (see runHook); stdout and
 * stderr are collected and shown if the hook fails; after `timeout` seconds it is killed.
 */
import { spawn } from 'node:child_process';
import { RuntimeError } from '../errors.js';

export interface Hook {
  path: string;
  args?: string[];
  env?: string[];
  /** seconds; the hook is killed and counts as failed after it */
  timeout?: number;
}

/** `cwd`: the bundle for prestart and createRuntime (runc's create chdirs there); the
 *  caller's own for poststart and poststop (`runc start` and `runc delete` do not). */
export async function runHook(kind: string, hook: Hook, state: string, cwd?: string): Promise<void> {
  const [argv0, ...rest] = hook.args && hook.args.length > 0 ? hook.args : [hook.path];
  const child = spawn(hook.path, rest, {
    argv0,
    cwd,
    env: hook.env === undefined ? process.env : Object.fromEntries(hook.env.map((kv) => {
      const at = kv.indexOf('=');
      return at < 0 ? [kv, ''] : [kv.slice(0, at), kv.slice(at + 1)];
    })),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.stdin.on('error', () => {}); // a hook that doesn't read its stdin is fine
  child.stdin.end(state);
  const timer = hook.timeout && hook.timeout > 0
    ? setTimeout(() => child.kill('SIGKILL'), hook.timeout * 1000)
    : undefined;
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on('error', (error) => reject(new RuntimeError(`${kind} hook ${hook.path}: ${error.message}`, { cause: error })));
    child.on('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) {
    const why = signal === 'SIGKILL' && hook.timeout ? `ran past specified timeout of ${hook.timeout.toFixed(1)}s` /* runc's words */ : signal ? `killed by ${signal}` : `exit status ${code}`;
    const output = [stdout.trim() && `stdout: ${stdout.trim()}`, stderr.trim() && `stderr: ${stderr.trim()}`].filter(Boolean).join(', ');
    throw new RuntimeError(`${kind} hook ${hook.path} failed: ${why}${output ? `, ${output}` : ''}`);
  }
}

/** Run a list of hooks in order; the first failure stops the list. */
export async function runHooks(kind: string, hooks: Hook[] | undefined, state: string, bundle: string): Promise<void> {
  for (const hook of hooks ?? []) await runHook(kind, hook, state, bundle);
}
