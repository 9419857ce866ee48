/** `ts-runc volume ls [-q] [--filter dangling=true|name=…|label=…] [--format table|json|TEMPLATE]` */
import { parseFilterFlags, queryVolumes } from '../../engine/volumes/list.js';
import { bool, list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

const FLAGS: FlagSpec[] = [
  { name: 'quiet', short: 'q', type: 'bool', help: 'only the names' },
  { name: 'filter', short: 'f', type: 'list', value: 'KEY=VALUE', help: 'dangling=true|false, name=TEXT, label=KEY[=VALUE], label!=KEY[=VALUE], driver=local' },
  { name: 'format', type: 'string', help: 'table (default), json, or a Go template ({{.Name}}, {{.Driver}}, {{.Mountpoint}}, {{.Labels}}, {{.Label "k"}})' },
];

/** docker's volume ls default, and its column titles (cli/command/formatter/volume.go) */
const TABLE = 'table {{.Driver}}\t{{.Name}}';
const HEADER = { Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE', CreatedAt: 'CREATED', Label: 'LABEL' };

export const command: Command = {
  synopsis: '[options]',
  summary: 'list volumes',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume ls');
    checkArgs(parsed, 'volume ls', command.synopsis);
    const format = str(parsed, 'format');
    const quiet = bool(parsed, 'quiet');
    const { listFormat, renderList } = await import('../../engine/format/list-format.js');
    const chosen = listFormat(quiet ? '{{.Name}}' : format, TABLE); // a bad template fails before the listing
    const withSize = !quiet && format !== undefined && /\.(Size|Links)\b/.test(format);
    const volumes = queryVolumes(globals.storage, parseFilterFlags(list(parsed, 'filter')), { usage: withSize });
    const { asStruct } = await import('../../engine/format/go-print.js');
    const { humanSize } = await import('../../engine/format/humanize.js');
    // docker's volumeContext: Labels as "k=v,k2=v2", Label "k" for one; Size and Links only when asked for
    const rows = volumes.map((v) => asStruct({
      Name: v.Name, Driver: v.Driver, Scope: v.Scope, Mountpoint: v.Mountpoint, CreatedAt: v.CreatedAt,
      Labels: Object.entries(v.Labels).map(([k, x]) => `${k}=${x}`).join(','),
      Label: (key: unknown) => v.Labels[String(key)] ?? '',
      Links: v.UsageData ? String(v.UsageData.RefCount) : 'N/A',
      Size: v.UsageData ? humanSize(v.UsageData.Size) : 'N/A',
    }, '*formatter.volumeContext'));
    if (format === 'json' && !quiet) writeOut(volumes.map((v) => `${JSON.stringify(v)}\n`).join(''));
    else writeOut(renderList(chosen, rows, HEADER));
    return 0;
  },
};
