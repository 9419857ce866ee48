/** `ts-runc image load -i FILE|DIR` (or the archive on stdin): images from an OCI layout or a docker save archive. */
import { RuntimeError } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'input', short: 'i', type: 'string', help: 'the archive (.tar, .tar.gz, .tar.zst) or OCI layout directory to load' },
  { name: 'platform', type: 'string', help: 'os/arch[/variant] to take from a multi-platform image (default: this machine\'s)' },
];

export const command: Command = {
  synopsis: '[options] [FILE|DIR]',
  description: 'The archive or directory is named by -i or as the argument; without either, the archive is read from stdin.',
  summary: 'load images from an OCI image layout or a docker save archive',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image load');
    const [given] = checkArgs(parsed, 'image load', command.synopsis);
    if (given !== undefined && str(parsed, 'input') !== undefined) throw new RuntimeError(`image load: both -i ${str(parsed, 'input')} and ${given} name an input; give one`);
    const input = str(parsed, 'input') ?? given ?? '-';
    if (input === '-' && process.stdin.isTTY) throw new RuntimeError('image load: name the archive or directory with -i FILE, or pipe the archive to stdin');
    const [{ ImageStore }, { loadImages, loadFromStdin }, { parsePlatform }] = await Promise.all([
      import('../../image/store.js'), import('../../image/load.js'), import('../../image/registry/platform.js'),
    ]);
    const platform = str(parsed, 'platform');
    const store = new ImageStore(globals.storage);
    const options = { platform: platform ? parsePlatform(platform) : undefined };
    const images = input === '-' ? await loadFromStdin(store, options) : await loadImages(store, input, options);
    for (const image of images) {
      if (image.names.length === 0) process.stdout.write(`Loaded image ID: ${image.id}\n`);
      for (const name of image.names) process.stdout.write(`Loaded image: ${name}\n`);
    }
    return 0;
  },
};
