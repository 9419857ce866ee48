/** `ts-runc volume inspect [--format TEMPLATE] VOLUME...`: Docker's Volume objects as a JSON array. */
import { errorMessage } from '../../errors.js';
import { getVolume, type Volume } from '../../engine/volumes/store.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

const FLAGS: FlagSpec[] = [{ name: 'format', short: 'f', type: 'string', help: 'a Go template ({{.Mountpoint}}, {{json .Labels}}, {{index .Labels "k"}}) or json' }];

export const command: Command = {
  synopsis: '[options] VOLUME...',
  summary: 'show volumes as JSON',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume inspect');
    const names = checkArgs(parsed, 'volume inspect', command.synopsis);
    const format = str(parsed, 'format');
    // the template is parsed first: a typo costs no lookup
    const template = format !== undefined && format !== 'json' ? (await import('../../engine/format/template.js')).compileTemplate(format) : undefined;
    const found: Volume[] = [];
    let status = 0;
    let out = '';
    for (const name of names) {
      try {
        const volume = getVolume(globals.storage, name);
        found.push(volume);
        // as docker's inspect: the template sees the JSON object (maps print as map[k:v])
        if (template) out += `${template.execute(JSON.parse(JSON.stringify(volume)))}\n`;
        else if (format === 'json') out += `${JSON.stringify(volume)}\n`;
      } catch (error) {
        // docker prints what it found and names what it did not, exit 1
        process.stderr.write(`Error: ${errorMessage(error)}\n`);
        status = 1;
      }
    }
    if (format === undefined) out = `${JSON.stringify(found, null, 4)}\n`;
    writeOut(out);
    return status;
  },
};
