/** `ts-runc start <id>`: run the process of a created container. */
import { startContainer } from '../../container/start.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'start a created container',
  flags: [],
  async run({ store }, argv) {
    const [id] = checkArgs(parseFlags(argv, [], 'start'), 'start', command.synopsis);
    await startContainer(store, id!);
    return 0;
  },
};
