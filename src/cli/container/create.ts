/** `ts-runc container create [OPTIONS] IMAGE [COMMAND] [ARG...]`: prints the new container's id. */
import type { Command } from '../command.js';
import { CREATE_FLAGS, parseRunFlags } from './run-flags.js';

export const command: Command = {
  synopsis: '[options] IMAGE [COMMAND] [ARG...]',
  summary: 'create a container (docker create)',
  flags: CREATE_FLAGS,
  async run({ globals }, argv) {
    const { request } = parseRunFlags(argv, 'create');
    const { createContainer } = await import('../../engine/lifecycle/create.js');
    const { Id } = await createContainer(globals.storage, globals.root, request);
    process.stdout.write(`${Id}\n`);
    return 0;
  },
};
