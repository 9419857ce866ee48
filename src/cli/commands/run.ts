/** `ts-runc run [options] <id>`: create, start, wait, delete; exits with the container's status. */
import { runContainer } from '../../container/run.js';
import { bool, int, parseFlags, str, type FlagSpec } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';
import { CREATE_FLAGS } from './create.js';

const RUN_FLAGS: FlagSpec[] = [
  ...CREATE_FLAGS,
  { name: 'detach', short: 'd', type: 'bool', help: 'do not wait for the container to exit' },
  { name: 'keep', type: 'bool', help: 'do not delete the container after it exits' },
];

export const command: Command = {
  synopsis: '[options] <container-id>',
  summary: 'create and run a container',
  flags: RUN_FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, RUN_FLAGS, 'run');
    return runContainer(store, {
      id: requireId(parsed, 'run'),
      bundle: str(parsed, 'bundle') ?? '.',
      pidFile: str(parsed, 'pid-file'),
      consoleSocket: str(parsed, 'console-socket'),
      noPivot: bool(parsed, 'no-pivot'),
      noNewKeyring: bool(parsed, 'no-new-keyring'),
      preserveFds: int(parsed, 'preserve-fds', 0),
      detach: bool(parsed, 'detach'),
      keep: bool(parsed, 'keep'),
    });
  },
};
