/** `ts-runc image inspect IMAGE...`: the store's record, manifest, config and unpacked layers, as JSON. */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: 'IMAGE...',
  summary: 'show images as JSON',
  flags: [],
  async run({ globals }, argv) {
    const refs = checkArgs(parseFlags(argv, [], 'image inspect'), 'image inspect', command.synopsis);
    const { ImageStore } = await import('../../image/store.js');
    const store = new ImageStore(globals.storage);
    const images = refs.map((ref) => store.resolve(ref));
    process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    return 0;
  },
};
