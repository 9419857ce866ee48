/** `ts-runc network rm NAME…`: refuses a network containers are attached to. */
import { RuntimeError } from '../../errors.js';
import { removeNetwork } from '../../network/remove.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: 'NAME…',
  summary: 'remove a network, its bridge and its rules',
  flags: [],
  async run({ globals }, argv) {
    const names = parseFlags(argv, [], 'network rm').positionals;
    if (names.length === 0) throw new RuntimeError('network rm: give a network name');
    for (const name of names) {
      removeNetwork(globals.storage, name);
      process.stdout.write(`${name}\n`);
    }
    return 0;
  },
};
