/**
 * `ts-runc bundle --image REF [flags] DIR [-- command...]`: make an OCI bundle from an
 * image (DIR/config.json and the overlay mounted on DIR/rootfs) and print its
 * config.json; `ts-runc run -b DIR ID` then runs it like any bundle.
 * `ts-runc bundle --remove DIR`: unmount and remove what the first made, release the image.
 */
import { basename, resolve } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { IMAGE_FLAGS, parseImageInvocation } from '../image-flags.js';

const FLAGS: FlagSpec[] = [
  ...IMAGE_FLAGS.filter((flag) => flag.name !== 'name'),
  { name: 'remove', type: 'bool', help: 'unmount and remove the bundle DIR that --image made' },
];

export const command: Command = {
  synopsis: '--image REF [options] <dir> [-- command...]  |  --remove <dir>',
  summary: 'make an OCI bundle from an image (or remove one)',
  flags: FLAGS,
  async run({ globals }, argv) {
    const { makeImageBundle, removeImageBundle } = await import('../../image/bundle.js');
    if (argv.some((arg) => arg === '--remove' || arg === '-remove')) {
      const parsed = parseFlags(argv, FLAGS, 'bundle');
      const dir = parsed.positionals[0];
      if (!bool(parsed, 'remove') || !dir || parsed.positionals.length > 1) throw new RuntimeError('bundle: usage: bundle --remove <dir>');
      removeImageBundle(dir); // nothing to do is fine: removing twice is not an error
      return 0;
    }
    const invocation = parseImageInvocation(argv, FLAGS, 'bundle');
    const dir = resolve(invocation.id);
    const { spec } = makeImageBundle({
      storage: globals.storage,
      image: invocation.image,
      dir,
      run: { ...invocation.run, id: basename(dir) },
      volumes: invocation.volumes,
    });
    process.stdout.write(`${JSON.stringify(spec, null, 2)}\n`);
    return 0;
  },
};
