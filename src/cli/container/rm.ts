/** `ts-runc container rm [-f] [-v] CONTAINER...`: remove containers (a running one only with -f). */
import { RuntimeError, errorMessage } from '../../errors.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';

const FLAGS: FlagSpec[] = [
  { name: 'force', short: 'f', type: 'bool', help: 'kill a running container first' },
  { name: 'volumes', short: 'v', type: 'bool', help: 'remove its anonymous volumes too' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'remove containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'container rm');
    if (parsed.positionals.length === 0) throw new RuntimeError('container rm: at least one CONTAINER is required');
    const { removeContainer } = await import('../../engine/lifecycle/remove.js');
    const failures: string[] = [];
    for (const ref of parsed.positionals) {
      try {
        await removeContainer(globals.storage, ref, { force: bool(parsed, 'force'), volumes: bool(parsed, 'volumes') });
        process.stdout.write(`${ref}\n`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    if (failures.length > 0) throw new RuntimeError(failures.join('; '));
    return 0;
  },
};
