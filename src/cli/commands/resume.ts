/** `ts-runc resume <id>`: thaw a paused container. */
import { resumeContainer } from '../../container/resume.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'resume all processes of a paused container',
  flags: [],
  async run({ store }, argv) {
    const [id] = checkArgs(parseFlags(argv, [], 'resume'), 'resume', command.synopsis);
    await resumeContainer(store, id!);
    return 0;
  },
};
