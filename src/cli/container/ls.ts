/**
 * `ts-runc container ls [-a] [-q] [-l] [-n N] [--no-trunc] [-s] [--filter k=v]... [--format F]`
 * (also `container ps`, `container list`): the containers as docker ps shows them. The
 * rows come from listContainers (src/engine/list/summary.ts), the same function the API's
 * GET /containers/json returns.
 */
import { RuntimeError } from '../../errors.js';
import { bool, list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { splitShortFlags } from '../short-flags.js';
import { writeOut } from '../output.js';

const FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', help: 'show all containers (default shows just running)' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'only display container IDs' },
  { name: 'latest', short: 'l', type: 'bool', help: 'show the latest created container (includes all states)' },
  { name: 'last', short: 'n', type: 'string', value: 'N', help: 'show the N last created containers (includes all states)' },
  { name: 'no-trunc', type: 'bool', help: 'do not truncate output' },
  { name: 'size', short: 's', type: 'bool', help: 'display total file sizes' },
  { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', help: 'filter: id, name, label, status, exited, ancestor, health, before, since, network, volume' },
  { name: 'format', type: 'string', help: "'table', 'table TEMPLATE', 'json' or a Go template ({{.ID}} {{.Names}} {{.Status}} ...)" },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'list containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container ls');
    checkArgs(parsed, 'container ls', command.synopsis);
    const lastText = str(parsed, 'last');
    if (lastText !== undefined && !/^-?\d+$/.test(lastText)) throw new RuntimeError(`container ls: invalid -n ${JSON.stringify(lastText)}: not a number`);
    let limit = lastText === undefined ? undefined : Number(lastText);
    if (bool(parsed, 'latest')) limit = 1;
    const { parseFilterArgs } = await import('../../engine/list/filters.js');
    const { listContainers } = await import('../../engine/list/summary.js');
    const size = bool(parsed, 'size');
    const summaries = await listContainers(globals.storage, { all: bool(parsed, 'all'), limit, size, filters: parseFilterArgs(list(parsed, 'filter')) });
    const trunc = !bool(parsed, 'no-trunc');
    const format = str(parsed, 'format');
    if (bool(parsed, 'quiet')) {
      if (format !== undefined && format !== 'table') process.stderr.write('WARNING: Ignoring custom format, because both --format and --quiet are set.\n');
      writeOut(summaries.map((s) => `${trunc ? s.Id.slice(0, 12) : s.Id}\n`).join(''));
      return 0;
    }
    const { listFormat, renderList } = await import('../../engine/format/list-format.js');
    const { containerRow, DEFAULT_TABLE, HEADER } = await import('../../engine/list/row.js');
    const shape = listFormat(format, size ? `${DEFAULT_TABLE}\t{{.Size}}` : DEFAULT_TABLE);
    const rows = summaries.map((s) => containerRow(s, { trunc }));
    writeOut(renderList(shape, rows, HEADER));
    return 0;
  },
};
