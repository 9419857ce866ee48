/** `ts-runc network inspect NAME…`: JSON, one object per network, with its containers and their addresses. */
import { RuntimeError } from '../../errors.js';
import { describeNetwork } from '../../network/inspect.js';
import { findNetwork } from '../../network/networks.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: 'NAME...',
  summary: 'show a network as JSON',
  flags: [],
  async run({ globals }, argv) {
    const names = checkArgs(parseFlags(argv, [], 'network inspect'), 'network inspect', command.synopsis);
    const views = names.map((name) => {
      const def = findNetwork(globals.storage, name);
      if (!def) throw new RuntimeError(`network ${name} not found`, { code: 'ENOENT' });
      return describeNetwork(globals.storage, def);
    });
    process.stdout.write(JSON.stringify(views, null, 2) + '\n');
    return 0;
  },
};
