/**
 * `ts-runc image history [-H=false] [--no-trunc] [-q] [--format F] IMAGE`: the steps that
 * made the image, newest first, as docker prints them (src/engine/system/images.ts).
 */
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'human', short: 'H', type: 'bool', help: 'print sizes and dates in human readable format (default true)' },
  { name: 'no-trunc', type: 'bool', help: "don't truncate output" },
  { name: 'quiet', short: 'q', type: 'bool', help: 'only show image IDs' },
  { name: 'format', type: 'string', help: "'table', 'table TEMPLATE', 'json' or a Go template ({{.ID}} {{.CreatedBy}} {{.Size}} ...)" },
];

const TABLE = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
const HEADER = { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' };

export const command: Command = {
  synopsis: '[options] IMAGE',
  summary: 'show the history of an image',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'image history');
    const [ref] = checkArgs(parsed, 'image history', command.synopsis) as [string];
    const human = parsed.flags.has('human') ? bool(parsed, 'human') : true;
    const trunc = !bool(parsed, 'no-trunc');
    const { imageHistory } = await import('../../engine/system/images.js');
    const { ago, ellipsis, humanSize } = await import('../../engine/format/humanize.js');
    const { asStruct } = await import('../../engine/format/go-print.js');
    const entries = imageHistory(globals.storage, ref);
    const id = (value: string) => (value === '<missing>' || !trunc ? value : value.replace(/^sha256:/, '').slice(0, 12));
    if (bool(parsed, 'quiet')) {
      writeOut(entries.map((e) => `${id(e.Id)}\n`).join(''));
      return 0;
    }
    const rows = entries.map((e) => {
      const createdBy = e.CreatedBy.replaceAll('\t', ' ');
      return asStruct({
        ID: id(e.Id),
        CreatedSince: human ? ago(e.Created) : new Date(e.Created * 1000).toISOString().replace('.000Z', 'Z'),
        CreatedAt: new Date(e.Created * 1000).toISOString().replace('.000Z', 'Z'),
        CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
        Size: human ? humanSize(e.Size, 3) : String(e.Size),
        Comment: e.Comment,
      }, '*formatter.historyContext', { marshalJson: true });
    });
    const { listFormat, renderList } = await import('../../engine/format/list-format.js');
    writeOut(renderList(listFormat(str(parsed, 'format'), TABLE), rows, HEADER));
    return 0;
  },
};
