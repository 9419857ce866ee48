/** `ts-runc delete [--force] <id>`: remove a container; --force kills it first and ignores a missing one. */
import { deleteContainer } from '../../container/delete.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';

const FLAGS: FlagSpec[] = [{ name: 'force', short: 'f', type: 'bool', help: 'kill a running container, and succeed if it does not exist' }];

export const command: Command = {
  synopsis: '[options] <container-id>',
  summary: 'delete a container',
  flags: FLAGS,
  async run({ store, globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'delete');
    await deleteContainer(store, requireId(parsed, 'delete'), bool(parsed, 'force'), { storage: globals.storage });
    return 0;
  },
};
