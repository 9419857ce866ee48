/** `ts-runc start <id>`: run the process of a created container. */
import { startContainer } from '../../container/start.js';
import { parseFlags } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'start a created container',
  flags: [],
  async run({ store }, argv) {
    await startContainer(store, requireId(parseFlags(argv, [], 'start'), 'start'));
    return 0;
  },
};
