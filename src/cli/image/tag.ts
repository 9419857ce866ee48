/** `ts-runc image tag SOURCE TARGET`: give an image another name. */
import { RuntimeError } from '../../errors.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: 'tag SOURCE_IMAGE TARGET_NAME[:TAG]',
  summary: 'give an image another name',
  flags: [],
  async run({ globals }, argv) {
    const [source, target, ...extra] = parseFlags(argv, [], 'image tag').positionals;
    if (!source || !target || extra.length > 0) throw new RuntimeError('image tag: expected SOURCE_IMAGE and TARGET_NAME[:TAG]');
    const { ImageStore } = await import('../../image/store.js');
    new ImageStore(globals.storage).tag(source, target);
    return 0;
  },
};
