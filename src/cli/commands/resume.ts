/** `ts-runc resume <id>`: thaw a paused container. */
import { resumeContainer } from '../../container/resume.js';
import { parseFlags } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'resume all processes of a paused container',
  flags: [],
  async run({ store }, argv) {
    await resumeContainer(store, requireId(parseFlags(argv, [], 'resume'), 'resume'));
    return 0;
  },
};
