/**
 * `ts-runc container top CONTAINER [ps OPTIONS]`: the container's processes as ps(1) shows
 * them (default -ef), in columns as docker prints them (src/engine/inspect/top.ts).
 */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

export const command: Command = {
  synopsis: 'CONTAINER [ps-options]...',
  summary: 'display the running processes of a container',
  flags: [],
  async run({ globals }, argv) {
    // the words after the container are ps(1)'s, flags included
    const parsed = parseFlags(argv, [], 'container top', 'before-args');
    const [ref, ...psArgs] = checkArgs(parsed, 'container top', command.synopsis) as [string, ...string[]];
    const { topContainer } = await import('../../engine/inspect/top.js');
    const { tabwrite } = await import('../../engine/format/tabwriter.js');
    const top = topContainer(globals.storage, ref, psArgs);
    // docker: tabwriter.NewWriter(out, 20, 1, 3, ' ', 0), cells joined by tabs
    const text = [top.Titles, ...top.Processes].map((row) => `${row.join('\t')}\n`).join('');
    writeOut(tabwrite(text, { minWidth: 20, padding: 3 }));
    return 0;
  },
};
