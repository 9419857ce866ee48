/** `ts-runc volume rm [-f] VOLUME...`: refused while a container (running or stopped) uses it; -f: a missing one is no error. */
import { errorMessage } from '../../errors.js';
import { removeVolume } from '../../engine/volumes/remove.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'force', short: 'f', type: 'bool', help: 'no error for a volume that does not exist (one in use is still refused, as docker)' }];

export const command: Command = {
  synopsis: '[options] VOLUME...',
  summary: 'remove volumes',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume rm');
    const names = checkArgs(parsed, 'volume rm', command.synopsis);
    let status = 0;
    for (const name of names) {
      try {
        removeVolume(globals.storage, name, { force: bool(parsed, 'force') });
        process.stdout.write(`${name}\n`);
      } catch (error) {
        process.stderr.write(`ts-runc: ${errorMessage(error)}\n`);
        status = 1;
      }
    }
    return status;
  },
};
