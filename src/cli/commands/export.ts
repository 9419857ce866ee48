/** `ts-runc export [-o file] <id>`: the container's merged root filesystem as a tar (stdout by default). */
import { RuntimeError } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'output', short: 'o', type: 'string', help: 'write the tar to this file instead of stdout' }];

export const command: Command = {
  synopsis: '[options] <container-id>',
  summary: 'write a container\'s root filesystem as a tar',
  flags: FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'export');
    const [id] = checkArgs(parsed, 'export', command.synopsis) as [string];
    const output = str(parsed, 'output');
    if (output === undefined && process.stdout.isTTY) throw new RuntimeError('export: refusing to write a tar to a terminal; use -o file or a redirect');
    const { rootfs } = store.read(id);
    const [{ exportRootfs }, { whilePaused }] = await Promise.all([import('../../image/export.js'), import('../../container/pause.js')]);
    await whilePaused(store, id, () => exportRootfs(rootfs, output, process.stdout));
    return 0;
  },
};
