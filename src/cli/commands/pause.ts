/** `ts-runc pause <id>`: freeze every process of a container (cgroup freezer). */
import { pauseContainer } from '../../container/pause.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'suspend all processes of a container',
  flags: [],
  async run({ store }, argv) {
    const [id] = checkArgs(parseFlags(argv, [], 'pause'), 'pause', command.synopsis);
    await pauseContainer(store, id!);
    return 0;
  },
};
