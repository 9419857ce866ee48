/** `ts-runc volume ls [-q] [--filter dangling=true|name=…|label=…] [--format table|json|TEMPLATE]` */
import { parseFilterFlags, queryVolumes } from '../../engine/volumes/list.js';
import { bool, list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { renderTable, renderTemplate } from './format.js';

const FLAGS: FlagSpec[] = [
  { name: 'quiet', short: 'q', type: 'bool', help: 'only the names' },
  { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', help: 'dangling=true|false, name=TEXT, label=KEY[=VALUE], label!=KEY[=VALUE], driver=local' },
  { name: 'format', type: 'string', help: 'table (default), json, or a Go template ({{.Name}}, {{.Driver}}, {{.Mountpoint}}, {{.Labels}})' },
];

const DEFAULT = 'table {{.Driver}}\t{{.Name}}';
const HEADERS = { Name: 'VOLUME NAME', Driver: 'DRIVER', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Scope: 'SCOPE', CreatedAt: 'CREATED' };

export const command: Command = {
  synopsis: '[options]',
  summary: 'list volumes',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume ls');
    checkArgs(parsed, 'volume ls', command.synopsis);
    const volumes = queryVolumes(globals.storage, parseFilterFlags(list(parsed, 'filter')));
    if (bool(parsed, 'quiet')) {
      process.stdout.write(volumes.map((v) => `${v.Name}\n`).join(''));
      return 0;
    }
    const format = str(parsed, 'format') ?? 'table';
    // docker's ls shows Labels as "k=v,k2=v2"
    const rows = volumes.map((v) => ({ ...v, Labels: Object.entries(v.Labels).map(([k, x]) => `${k}=${x}`).join(',') }));
    if (format === 'json') process.stdout.write(volumes.map((v) => `${JSON.stringify(v)}\n`).join(''));
    else if (format === 'table' || format.startsWith('table ')) process.stdout.write(renderTable(format === 'table' ? DEFAULT : format, rows, HEADERS));
    else process.stdout.write(rows.map((r) => `${renderTemplate(format, r)}\n`).join(''));
    return 0;
  },
};
