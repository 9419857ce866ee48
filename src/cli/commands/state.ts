/** `ts-runc state <id>`: the OCI state as JSON (runtime.md#state). */
import { ociState } from '../../container/status.js';
import { parseFlags } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '<container-id>',
  summary: 'print the state of a container',
  flags: [],
  async run({ store }, argv) {
    const id = requireId(parseFlags(argv, [], 'state'), 'state');
    process.stdout.write(JSON.stringify(ociState(store, store.read(id)), null, 2) + '\n');
    return 0;
  },
};
