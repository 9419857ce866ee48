/**
 * `ts-runc exec [options] <id> <command> [args…]` or `exec --process process.json <id>`.
 * Without --process the container's own config.json process is the base (as runc does):
 * its env, cwd, user and capabilities, with the flags applied on top.
 */
import { readFileSync } from 'node:fs';
import { execInContainer } from '../../container/exec.js';
import { RuntimeError, errorMessage } from '../../errors.js';
import { parseJson } from '../../spec/json.js';
import { checkProcess, loadProcess, loadSpec } from '../../spec/load.js';
import type { SpecProcess } from '../../spec/schema.js';
import { bool, flagLabel, int, list, parseFlags, str, type FlagSpec, type Parsed } from '../args.js';
import type { Command, Context } from '../command.js';

/** runc's status for an exec the runtime could not carry out (exec.go fatalWithCode(err, 255)). */
export const EXIT_EXEC_FAILED = 255;

const FLAGS: FlagSpec[] = [
  { name: 'process', short: 'p', type: 'string', help: 'path to a process.json (runtime-spec process object)' },
  { name: 'detach', short: 'd', type: 'bool', help: 'do not wait for the process to exit' },
  { name: 'pid-file', type: 'string', help: 'file to write the process id to' },
  { name: 'console-socket', type: 'string', help: 'unix socket that receives the pty master' },
  { name: 'tty', short: 't', type: 'bool', help: 'allocate a pseudo-TTY' },
  { name: 'console-size', type: 'string', help: 'the pty\'s initial size, WIDTH,HEIGHT in columns and rows (with --tty; beyond runc)' },
  { name: 'env', short: 'e', type: 'list', help: 'set an environment variable (NAME=value)' },
  { name: 'cwd', type: 'string', help: 'working directory in the container' },
  { name: 'user', short: 'u', type: 'string', help: 'uid[:gid]' },
  { name: 'additional-gids', short: 'g', type: 'list', help: 'additional gid' },
  { name: 'cap', short: 'c', type: 'list', help: 'add a capability (CAP_…)' },
  { name: 'no-new-privs', type: 'bool', help: 'set no_new_privs' },
  { name: 'preserve-fds', type: 'string', help: 'pass N more fds to the process' },
  { name: 'process-label', type: 'string', help: 'accepted for compatibility (SELinux)' },
  { name: 'apparmor', type: 'string', help: 'accepted for compatibility' },
  { name: 'ignore-paused', type: 'bool', help: 'exec into a paused container (the process is frozen until resume)' },
  { name: 'cgroup', type: 'list', help: 'join a sub-cgroup of the container\'s: [controller[,controller]:]path (repeatable)' },
];

/**
 * --cgroup values as runc's getSubCgroupPaths reads them: `ctrl[,ctrl]:path` per controller,
 * or a single bare `path` for every hierarchy (the only form on cgroup v2).
 */
export function parseSubCgroups(values: string[]): Record<string, string> {
  const paths: Record<string, string> = {};
  for (const value of values) {
    const colon = value.indexOf(':');
    if (colon < 0) {
      if (values.length !== 1) throw new RuntimeError(`exec: invalid --cgroup argument: ${value} (missing <controller>: prefix)`);
      paths[''] = value;
      continue;
    }
    for (const controller of value.slice(0, colon).split(',')) {
      if (controller === '') throw new RuntimeError(`exec: invalid --cgroup argument: ${value} (empty <controller> prefix)`);
      if (controller in paths) throw new RuntimeError(`exec: invalid --cgroup argument(s): controller ${controller} specified multiple times`);
      paths[controller] = value.slice(colon + 1);
    }
  }
  return paths;
}

/**
 * process.json as runc reads it: a process without "user" runs as root (runc's newProcess
 * takes the zero uid and gid), though config.json's process must name one.
 */
async function loadExecProcess(file: string): Promise<SpecProcess> {
  let raw: unknown;
  try {
    raw = parseJson(readFileSync(file, 'utf8'));
  } catch {
    return loadProcess(file); // unreadable or not JSON: its error says which
  }
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !('user' in raw)) {
    return checkProcess({ ...raw, user: { uid: 0, gid: 0 } }, 'process.json');
  }
  return checkProcess(raw, 'process.json');
}

/** The flags that shape the process; process.json replaces them all, so they do not mix with --process. */
const PROCESS_FLAGS = ['env', 'cwd', 'user', 'additional-gids', 'cap', 'no-new-privs', 'console-size'];

/**
 * --console-size WIDTH,HEIGHT as process.consoleSize (config.md#process: "the console size
 * in characters of the terminal"). runc 1.1.5 has no such flag: it reads only
 * process.json's consoleSize, or config.json's when exec builds the process from flags.
 * Columns first, as in xterm's -geometry WIDTHxHEIGHT (`stty size` prints rows first).
 */
function consoleSize(text: string): { width: number; height: number } {
  const match = /^(\d+),(\d+)$/.exec(text);
  const [width, height] = [Number(match?.[1]), Number(match?.[2])];
  // struct winsize holds unsigned shorts (ioctl_tty(2) TIOCSWINSZ)
  if (!match || width < 1 || height < 1 || width > 65535 || height > 65535) {
    throw new RuntimeError(`exec: --console-size ${text}: use WIDTH,HEIGHT (columns,rows), each 1-65535`);
  }
  return { width, height };
}

async function buildProcess(context: Context, id: string, parsed: Parsed): Promise<SpecProcess> {
  const file = str(parsed, 'process');
  const args = parsed.positionals.slice(1);
  if (file) {
    if (args.length > 0) throw new RuntimeError(`exec: --process ${file} gives the command; the words ${JSON.stringify(args.join(' '))} would be ignored`);
    const mixed = PROCESS_FLAGS.filter((name) => parsed.flags.has(name)).map(flagLabel);
    if (mixed.length > 0) throw new RuntimeError(`exec: ${mixed.join(', ')} cannot be combined with --process (put it in ${file})`);
    const fromFile = await loadExecProcess(file);
    // --tty beside --process is accepted when it says what the file says (a caller may pass both)
    if (parsed.flags.has('tty') && bool(parsed, 'tty') !== (fromFile.terminal ?? false)) {
      throw new RuntimeError(`exec: --tty=${bool(parsed, 'tty')} contradicts "terminal": ${fromFile.terminal ?? false} in ${file}`);
    }
    return fromFile;
  }
  if (args.length === 0) throw new RuntimeError('exec: a command is required (or --process)');
  const base = (await loadSpec(context.store.read(id).bundle)).process;
  const process: SpecProcess = structuredClone(base ?? { args, cwd: '/', user: { uid: 0, gid: 0 } });
  process.args = args;
  process.terminal = bool(parsed, 'tty');
  process.env = [...(process.env ?? []), ...list(parsed, 'env')];
  // A terminal with no TERM leaves programs (vi, less, top) guessing; `run --image -t` sets
  // TERM=xterm (image/image-spec.ts), as docker run -t and docker exec -t do, so exec -t does too.
  if (process.terminal && !process.env.some((entry) => entry.startsWith('TERM='))) process.env.push('TERM=xterm');
  const size = str(parsed, 'console-size');
  if (size !== undefined) {
    if (!process.terminal) throw new RuntimeError(`exec: --console-size ${size} needs --tty (a size is for a terminal)`);
    process.consoleSize = consoleSize(size);
  }
  const cwd = str(parsed, 'cwd');
  if (cwd) process.cwd = cwd;
  const user = str(parsed, 'user');
  if (user) {
    const [uid, gid] = user.split(':');
    if (!/^\d+$/.test(uid ?? '') || (gid !== undefined && !/^\d+$/.test(gid))) {
      throw new RuntimeError(`exec: --user ${user}: use numeric uid[:gid]`);
    }
    // runc's getProcess: a uid alone keeps the process's gid (config.json's), as -g adds to
    // its additionalGids rather than replacing them.
    process.user = { ...process.user, uid: Number(uid), gid: gid === undefined ? process.user.gid : Number(gid) };
  }
  const gids = list(parsed, 'additional-gids').map(Number);
  if (gids.length) process.user = { ...process.user, additionalGids: [...(process.user.additionalGids ?? []), ...gids] };
  const caps = list(parsed, 'cap');
  if (caps.length) {
    const c = process.capabilities ?? {};
    const add = (set: string[] | undefined) => [...new Set([...(set ?? []), ...caps])];
    process.capabilities = { ...c, bounding: add(c.bounding), effective: add(c.effective), permitted: add(c.permitted) };
  }
  if (bool(parsed, 'no-new-privs')) process.noNewPrivileges = true;
  return checkProcess(process, 'exec flags');
}

export const command: Command = {
  synopsis: '[options] <container-id> <command> [args...]  |  --process FILE [options] <container-id>',
  summary: 'run a process in a running container',
  flags: FLAGS,
  async run(context, argv) {
    // runc's exec stops at the id (SkipArgReorder): `exec web sh -c 'ls -l'` keeps -c for sh
    const parsed = parseFlags(argv, FLAGS, 'exec', 'before-args');
    const id = parsed.positionals[0];
    if (id === undefined) throw new RuntimeError(`exec: <container-id> is required (usage: ts-runc exec ${command.synopsis})`);
    try {
      return await execInContainer(context.store, id, {
        process: await buildProcess(context, id, parsed),
        detach: bool(parsed, 'detach'),
        pidFile: str(parsed, 'pid-file'),
        consoleSocket: str(parsed, 'console-socket'),
        preserveFds: int(parsed, 'preserve-fds', 0),
        ignorePaused: bool(parsed, 'ignore-paused'),
        subCgroups: parseSubCgroups(list(parsed, 'cgroup')),
      });
    } catch (error) {
      // runc exec.go: the process's own status when it ran, 255 ("exec failed: …") when
      // the runtime failed, so a caller can tell "sh exited 1" from "no such container".
      // Flag and argument errors above stay 1, as runc's (urfave/cli) do.
      throw new RuntimeError(`exec failed: ${errorMessage(error)}`, {
        exitCode: EXIT_EXEC_FAILED, cause: error, code: error instanceof RuntimeError ? error.code : undefined,
      });
    }
  },
};
