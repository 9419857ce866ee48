/**
 * `ts-runc container exec [OPTIONS] CONTAINER COMMAND [ARG...]`: a process in a running
 * container; its exit code is ours (126/127 when it cannot be run / is not found).
 * Flags end at CONTAINER, so the command keeps its own.
 */
import { readFileSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../../errors.js';
import { bool, list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { splitShortFlags } from './run-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'detach', short: 'd', type: 'bool', help: 'run it in the background' },
  { name: 'interactive', short: 'i', type: 'bool', help: 'keep stdin open' },
  { name: 'tty', short: 't', type: 'bool', help: 'give it a terminal' },
  { name: 'env', short: 'e', type: 'list', help: 'set an environment variable: KEY=VALUE, or KEY to pass ours on' },
  { name: 'env-file', type: 'list', help: 'read environment variables from a file' },
  { name: 'workdir', short: 'w', type: 'string', help: 'working directory' },
  { name: 'user', short: 'u', type: 'string', help: 'user[:group], by name or number' },
  { name: 'privileged', type: 'bool', help: 'every capability' },
  { name: 'detach-keys', type: 'string', help: 'not supported for exec (docker\'s flag is refused rather than ignored)' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER COMMAND [ARG...]',
  summary: 'run a command in a running container',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container exec', 'before-args');
    if (str(parsed, 'detach-keys') !== undefined) throw new RuntimeError('container exec: --detach-keys is not supported (exec processes end with their command)', { exitCode: 125 });
    const [ref, ...cmd] = parsed.positionals;
    if (!ref || cmd.length === 0) throw new RuntimeError('container exec: CONTAINER and COMMAND are required', { exitCode: 125 });
    const tty = bool(parsed, 'tty');
    if (tty && bool(parsed, 'interactive') && !process.stdin.isTTY) throw new RuntimeError('the input device is not a TTY (drop -t, or run from a terminal)');
    const env = [...list(parsed, 'env-file').flatMap((file) => envFile(file)), ...list(parsed, 'env')]
      .flatMap((entry) => entry.includes('=') ? [entry] : process.env[entry] !== undefined ? [`${entry}=${process.env[entry]}`] : []);
    const { execInContainer } = await import('../../engine/lifecycle/exec.js');
    return execInContainer(globals.storage, ref, {
      Cmd: cmd,
      Env: env,
      ...(str(parsed, 'workdir') ? { WorkingDir: str(parsed, 'workdir') } : {}),
      ...(str(parsed, 'user') ? { User: str(parsed, 'user') } : {}),
      Tty: tty,
      Privileged: bool(parsed, 'privileged'),
      Detach: bool(parsed, 'detach'),
      AttachStdin: bool(parsed, 'interactive'),
    });
  },
};

function envFile(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l.trim() && !l.trimStart().startsWith('#'));
  } catch (error) {
    throw new RuntimeError(`--env-file ${file}: ${errorMessage(error)}`, { exitCode: 125 });
  }
}
