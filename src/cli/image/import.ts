/** `ts-runc image import FILE|- [NAME[:TAG]]`: a root filesystem tarball as a one-layer image. */
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'message', short: 'm', type: 'string', help: 'a comment for the image\'s history' }];

export const command: Command = {
  synopsis: '[options] FILE|- [NAME[:TAG]]',
  summary: 'make a one-layer image from a root filesystem tarball',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image import');
    const [file, name] = checkArgs(parsed, 'image import', command.synopsis) as [string, string | undefined];
    const [{ ImageStore }, { importRootfs }] = await Promise.all([import('../../image/store.js'), import('../../image/import.js')]);
    const image = await importRootfs(new ImageStore(globals.storage), file, name ? [name] : [], { message: str(parsed, 'message') });
    process.stdout.write(`${image.id}\n`);
    return 0;
  },
};
