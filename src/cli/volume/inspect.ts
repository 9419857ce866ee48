/** `ts-runc volume inspect [--format TEMPLATE] VOLUME...`: Docker's Volume objects as a JSON array. */
import { errorMessage } from '../../errors.js';
import { getVolume, type Volume } from '../../engine/volumes/store.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { renderTemplate } from './format.js';

const FLAGS: FlagSpec[] = [{ name: 'format', short: 'f', type: 'string', help: 'a Go template ({{.Mountpoint}}, {{json .Labels}}) or json' }];

export const command: Command = {
  synopsis: '[options] VOLUME...',
  summary: 'show volumes as JSON',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume inspect');
    const names = checkArgs(parsed, 'volume inspect', command.synopsis);
    const format = str(parsed, 'format');
    const found: Volume[] = [];
    let status = 0;
    for (const name of names) {
      try {
        found.push(getVolume(globals.storage, name));
      } catch (error) {
        // docker prints what it found and names what it did not, exit 1
        process.stderr.write(`ts-runc: ${errorMessage(error)}\n`);
        status = 1;
      }
    }
    if (format === undefined || format === 'json') process.stdout.write(`${JSON.stringify(found, null, 4)}\n`);
    else process.stdout.write(found.map((v) => `${renderTemplate(format, { ...v })}\n`).join(''));
    return status;
  },
};
