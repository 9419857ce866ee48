/** `ts-runc container export [-o FILE] CONTAINER`: the container's filesystem as a tar (src/engine/containers/export.ts). */
import { RuntimeError } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { splitShortFlags } from '../short-flags.js';

const FLAGS: FlagSpec[] = [{ name: 'output', short: 'o', type: 'string', value: 'FILE', help: 'write to a file, instead of STDOUT' }];

export const command: Command = {
  synopsis: '[options] CONTAINER',
  summary: "export a container's filesystem as a tar archive",
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container export');
    const [ref] = checkArgs(parsed, 'container export', command.synopsis) as [string];
    const file = str(parsed, 'output');
    // docker: "cowardly refusing to save to a terminal. Use the -o flag or redirect"
    if (file === undefined && process.stdout.isTTY) throw new RuntimeError('container export: cowardly refusing to write a tar to a terminal: use -o FILE or redirect');
    const { exportContainer } = await import('../../engine/containers/export.js');
    await exportContainer(globals.storage, ref, file, process.stdout);
    return 0;
  },
};
