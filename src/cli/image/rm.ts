/** `ts-runc image rm [-f] IMAGE...`: untag or delete images; layers and blobs no other image uses are freed. */
import { RuntimeError, errorMessage } from '../../errors.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'force', short: 'f', type: 'bool', help: 'delete an image by id even if it has several names' }];

export const command: Command = {
  synopsis: '[options] IMAGE...',
  summary: 'remove images',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image rm');
    checkArgs(parsed, 'image rm', command.synopsis);
    const { ImageStore } = await import('../../image/store.js');
    const store = new ImageStore(globals.storage);
    const failures: string[] = [];
    for (const ref of parsed.positionals) {
      try {
        for (const line of store.remove(ref, { force: bool(parsed, 'force') })) process.stdout.write(`${line}\n`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    if (failures.length > 0) throw new RuntimeError(`image rm: ${failures.join('; ')}`);
    return 0;
  },
};
