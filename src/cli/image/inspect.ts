/** `ts-runc image inspect IMAGE...`: the store's record, manifest, config and unpacked layers, as JSON. */
import { RuntimeError } from '../../errors.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: 'inspect IMAGE...',
  summary: 'show images as JSON',
  flags: [],
  async run({ globals }, argv) {
    const refs = parseFlags(argv, [], 'image inspect', false).positionals;
    if (refs.length === 0) throw new RuntimeError('image inspect: name at least one image');
    const { ImageStore } = await import('../../image/store.js');
    const store = new ImageStore(globals.storage);
    const images = refs.map((ref) => store.resolve(ref));
    process.stdout.write(`${JSON.stringify(images, null, 2)}\n`);
    return 0;
  },
};
