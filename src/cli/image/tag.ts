/** `ts-runc image tag SOURCE TARGET`: give an image another name. */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: 'SOURCE_IMAGE TARGET_NAME[:TAG]',
  summary: 'give an image another name',
  flags: [],
  async run({ globals }, argv) {
    const [source, target] = checkArgs(parseFlags(argv, [], 'image tag'), 'image tag', command.synopsis) as [string, string];
    const { ImageStore } = await import('../../image/store.js');
    new ImageStore(globals.storage).tag(source, target);
    return 0;
  },
};
