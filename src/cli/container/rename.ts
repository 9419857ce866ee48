/** `ts-runc container rename CONTAINER NEW_NAME` (src/engine/containers/rename.ts). */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: 'CONTAINER NEW_NAME',
  summary: 'rename a container',
  flags: [],
  async run({ globals }, argv) {
    const [ref, name] = checkArgs(parseFlags(argv, [], 'container rename'), 'container rename', command.synopsis) as [string, string];
    const { renameContainer } = await import('../../engine/containers/rename.js');
    renameContainer(globals.storage, ref, name);
    return 0;
  },
};
