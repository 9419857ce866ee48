/** `ts-runc container diff CONTAINER`: "A /path", "C /path", "D /path" for each change to the image's files (src/engine/inspect/diff.ts). */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

const KIND = ['C', 'A', 'D'];

export const command: Command = {
  synopsis: 'CONTAINER',
  summary: "inspect changes to files or directories on a container's filesystem",
  flags: [],
  async run({ globals }, argv) {
    const [ref] = checkArgs(parseFlags(argv, [], 'container diff'), 'container diff', command.synopsis) as [string];
    const { containerChanges } = await import('../../engine/inspect/diff.js');
    const changes = await containerChanges(globals.storage, ref);
    writeOut(changes.map((c) => `${KIND[c.Kind]} ${c.Path}\n`).join(''));
    return 0;
  },
};
