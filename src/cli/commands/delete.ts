/**
 * `ts-runc delete [--force] <id>...`: remove containers; --force kills a running one first
 * and succeeds for one that does not exist.
 *
 * runc 1.1.5 takes exactly one id; docker's rm takes several, and `delete -f a b` used to
 * delete only `a`. Every id is deleted, each on its own: one that fails does not stop the
 * others, and the status is 1 if any failed, with each failure named.
 */
import { deleteContainer } from '../../container/delete.js';
import { RuntimeError, errorMessage } from '../../errors.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'force', short: 'f', type: 'bool', help: 'kill a running container, and succeed if it does not exist' }];

export const command: Command = {
  synopsis: '[options] <container-id>...',
  summary: 'delete containers',
  flags: FLAGS,
  async run({ store, globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'delete');
    const ids = checkArgs(parsed, 'delete', command.synopsis);
    const failures: string[] = [];
    for (const id of ids) {
      try {
        await deleteContainer(store, id, bool(parsed, 'force'), { storage: globals.storage });
      } catch (error) {
        if (ids.length === 1) throw error; // one id: its error as it is (containerd reads it)
        failures.push(errorMessage(error));
      }
    }
    if (failures.length > 0) throw new RuntimeError(`delete: ${failures.join('; ')}`);
    return 0;
  },
};
