/**
 * `ts-runc system df [-v] [--format F]`: space used by images, containers, local volumes
 * and build cache, and how much of it is reclaimable, as docker system df prints it
 * (docker/cli formatter/disk_usage.go); -v lists each image, container and volume.
 */
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';
import type { Value } from '../../engine/format/go-print.js';

const FLAGS: FlagSpec[] = [
  { name: 'verbose', short: 'v', type: 'bool', help: 'show detailed information on space usage' },
  { name: 'format', type: 'string', help: "'table', 'table TEMPLATE', 'json' or a Go template ({{.Type}} {{.Size}} ...)" },
];

const TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const HEADER = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

export const command: Command = {
  synopsis: '[options]',
  summary: 'show docker-style disk usage',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'system df');
    checkArgs(parsed, 'system df', command.synopsis);
    const { diskUsage } = await import('../../engine/system/df.js');
    const { humanSize, ago, ellipsis } = await import('../../engine/format/humanize.js');
    const { asStruct } = await import('../../engine/format/go-print.js');
    const { listFormat, renderList } = await import('../../engine/format/list-format.js');
    const { goQuote } = await import('../../engine/format/go-print.js');
    const du = await diskUsage(globals.storage);
    const reclaim = (reclaimable: number, total: number) =>
      total > 0 ? `${humanSize(reclaimable)} (${Math.floor((reclaimable * 100) / total)}%)` : humanSize(reclaimable);
    const usedByImages = du.Images.filter((i) => i.Containers > 0).reduce((s, i) => s + i.Size - i.SharedSize, 0);
    const containersSize = du.Containers.reduce((s, c) => s + (c.SizeRw ?? 0), 0);
    const containersIdle = du.Containers.filter((c) => c.State !== 'running' && c.State !== 'paused' && c.State !== 'restarting').reduce((s, c) => s + (c.SizeRw ?? 0), 0);
    const volumesSize = du.Volumes.reduce((s, v) => s + (v.UsageData?.Size ?? 0), 0);
    const volumesIdle = du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((s, v) => s + (v.UsageData?.Size ?? 0), 0);
    const row = (type: string, total: number, active: number, size: number, reclaimable: string): Value =>
      asStruct({ Type: type, TotalCount: String(total), Active: String(active), Size: humanSize(size), Reclaimable: reclaimable }, '*formatter.diskUsageContext', { marshalJson: true });
    if (!bool(parsed, 'verbose')) {
      const rows = [
        row('Images', du.Images.length, du.Images.filter((i) => i.Containers > 0).length, du.LayersSize, reclaim(du.LayersSize - usedByImages, du.LayersSize)),
        row('Containers', du.Containers.length, du.Containers.filter((c) => c.State === 'running' || c.State === 'paused').length, containersSize, reclaim(containersIdle, containersSize)),
        row('Local Volumes', du.Volumes.length, du.Volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, volumesSize, reclaim(volumesIdle, volumesSize)),
        row('Build Cache', 0, 0, 0, humanSize(0)),
      ];
      writeOut(renderList(listFormat(str(parsed, 'format'), TABLE), rows, HEADER));
      return 0;
    }
    let out = 'Images space usage:\n\n';
    const imageRows = du.Images.flatMap((i) => (i.RepoTags.length > 0 ? i.RepoTags : ['<none>:<none>']).map((name) => {
      const colon = name.lastIndexOf(':');
      return `${name.slice(0, colon)}\t${name.slice(colon + 1)}\t${i.Id.replace(/^sha256:/, '').slice(0, 12)}\t${ago(i.Created)}\t${humanSize(i.Size)}\t${humanSize(i.SharedSize)}\t${humanSize(i.Size - i.SharedSize)}\t${i.Containers}\n`;
    }));
    const { tabwrite } = await import('../../engine/format/tabwriter.js');
    out += tabwrite(`REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE\tSHARED SIZE\tUNIQUE SIZE\tCONTAINERS\n${imageRows.join('')}`);
    out += '\nContainers space usage:\n\n';
    const containerRows = du.Containers.map((c) => `${c.Id.slice(0, 12)}\t${c.Image}\t${goQuote(ellipsis(c.Command, 20))}\t${c.Mounts.filter((m) => m.Driver === 'local').length}\t${humanSize(c.SizeRw ?? 0)}\t${ago(c.Created)}\t${c.Status}\t${c.Names.map((n) => n.slice(1)).join(',')}\n`);
    out += tabwrite(`CONTAINER ID\tIMAGE\tCOMMAND\tLOCAL VOLUMES\tSIZE\tCREATED\tSTATUS\tNAMES\n${containerRows.join('')}`);
    out += '\nLocal Volumes space usage:\n\n';
    const volumeRows = du.Volumes.map((v) => `${v.Name}\t${v.UsageData?.RefCount ?? 0}\t${humanSize(v.UsageData?.Size ?? 0)}\n`);
    out += tabwrite(`VOLUME NAME\tLINKS\tSIZE\n${volumeRows.join('')}`);
    out += '\nBuild cache usage: 0B\n\n';
    out += tabwrite('CACHE ID\tCACHE TYPE\tSIZE\tCREATED\tLAST USED\tUSAGE\tSHARED\n');
    writeOut(out);
    return 0;
  },
};
