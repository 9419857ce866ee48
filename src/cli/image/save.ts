/** `ts-runc image save [-o FILE] IMAGE...`: images as an OCI archive (skopeo's oci-archive, podman/docker load). */
import { RuntimeError } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'output', short: 'o', type: 'string', help: 'write to this file instead of stdout' }];

export const command: Command = {
  synopsis: '[options] IMAGE...',
  summary: 'write images to an OCI archive (tar)',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image save');
    checkArgs(parsed, 'image save', command.synopsis);
    const output = str(parsed, 'output');
    if (output === undefined && process.stdout.isTTY) throw new RuntimeError('image save: refusing to write a tar to a terminal; use -o FILE or redirect stdout');
    const [{ ImageStore }, { saveImages }] = await Promise.all([import('../../image/store.js'), import('../../image/save.js')]);
    await saveImages(new ImageStore(globals.storage), parsed.positionals, output ?? process.stdout);
    return 0;
  },
};
