/** `ts-runc network rm NAME…`: refuses a network containers are attached to. */
import { removeNetwork } from '../../network/remove.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: 'NAME...',
  summary: 'remove a network, its bridge and its rules',
  flags: [],
  async run({ globals }, argv) {
    const names = checkArgs(parseFlags(argv, [], 'network rm'), 'network rm', command.synopsis);
    for (const name of names) {
      removeNetwork(globals.storage, name);
      process.stdout.write(`${name}\n`);
    }
    return 0;
  },
};
