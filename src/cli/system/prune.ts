/**
 * `ts-runc system prune [-a] [--volumes] [-f] [--filter …]`: stopped containers, then
 * dangling images (with -a every image no container uses), and with --volumes the
 * anonymous volumes no container uses, each through its own prune. Networks are not
 * pruned here (ts-runc network rm removes them by name).
 */
import { bool, list, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';
import { confirm } from '../container/confirm.js';
import { imagePruneText } from '../image/prune.js';

const FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', help: 'remove all unused images not just dangling ones' },
  { name: 'volumes', type: 'bool', help: 'prune anonymous volumes' },
  { name: 'force', short: 'f', type: 'bool', help: 'do not prompt for confirmation' },
  { name: 'filter', type: 'list', value: 'KEY=VALUE', help: 'provide filter values (e.g. "label=<key>=<value>", "until=<timestamp>")' },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'remove unused data',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'system prune');
    checkArgs(parsed, 'system prune', command.synopsis);
    const all = bool(parsed, 'all');
    const volumes = bool(parsed, 'volumes');
    const { parseFilterArgs } = await import('../../engine/list/filters.js');
    const filters = parseFilterArgs(list(parsed, 'filter'));
    const warning = ['WARNING! This will remove:', '  - all stopped containers'];
    if (volumes) warning.push('  - all anonymous volumes not used by at least one container');
    warning.push(all ? '  - all images without at least one container associated to them' : '  - all dangling images');
    if (!bool(parsed, 'force') && !confirm(warning.join('\n'))) return 0;
    const { pruneContainers } = await import('../../engine/containers/prune.js');
    const { pruneImages } = await import('../../engine/system/images.js');
    const { humanSize } = await import('../../engine/format/humanize.js');
    let reclaimed = 0;
    let out = '';
    // a builder killed mid-RUN: its RUN container, mounts and holds on images go first
    const { cleanDeadBuilds } = await import('../../build/workdir.js');
    await cleanDeadBuilds(globals.storage);
    const containers = await pruneContainers(globals.storage, filters);
    reclaimed += containers.SpaceReclaimed;
    if (containers.ContainersDeleted.length > 0) out += `Deleted Containers:\n${containers.ContainersDeleted.map((id) => `${id}\n`).join('')}\n`;
    if (volumes) {
      const { pruneVolumes } = await import('../../engine/volumes/remove.js');
      const { until: _until, ...volumeFilters } = filters;
      const report = pruneVolumes(globals.storage, { filters: volumeFilters });
      reclaimed += report.SpaceReclaimed;
      if (report.VolumesDeleted.length > 0) out += `Deleted Volumes:\n${report.VolumesDeleted.map((v) => `${v}\n`).join('')}\n`;
    }
    const images = pruneImages(globals.storage, { all, filters });
    reclaimed += images.SpaceReclaimed;
    out += imagePruneText(images.ImagesDeleted);
    out += `Total reclaimed space: ${humanSize(reclaimed)}\n`;
    writeOut(out);
    return 0;
  },
};
