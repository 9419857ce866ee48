/** `ts-runc container pause CONTAINER...`: freeze every process of each container (src/engine/containers/pause.ts). */
import { errorMessage } from '../../errors.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

export const command: Command = {
  synopsis: 'CONTAINER...',
  summary: 'pause all processes within one or more containers',
  flags: [],
  async run({ globals }, argv) {
    const refs = checkArgs(parseFlags(argv, [], 'container pause'), 'container pause', command.synopsis);
    const { pauseContainer } = await import('../../engine/containers/pause.js');
    let status = 0;
    for (const ref of refs) {
      try {
        await pauseContainer(globals.storage, ref);
        writeOut(`${ref}\n`);
      } catch (error) {
        process.stderr.write(`Error response from daemon: ${errorMessage(error)}\n`);
        status = 1;
      }
    }
    return status;
  },
};
