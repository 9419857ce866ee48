/** `ts-runc state <id>`: the OCI state as JSON (runtime.md#state). */
import { ociState } from '../../container/status.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'print the state of a container',
  flags: [],
  async run({ store }, argv) {
    const [id] = checkArgs(parseFlags(argv, [], 'state'), 'state', command.synopsis);
    writeOut(JSON.stringify(ociState(store, store.read(id!)), null, 2) + '\n');
    return 0;
  },
};
