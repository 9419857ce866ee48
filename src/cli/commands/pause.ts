/** `ts-runc pause <id>`: freeze every process of a container (cgroup freezer). */
import { pauseContainer } from '../../container/pause.js';
import { parseFlags } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'suspend all processes of a container',
  flags: [],
  async run({ store }, argv) {
    await pauseContainer(store, requireId(parseFlags(argv, [], 'pause'), 'pause'));
    return 0;
  },
};
