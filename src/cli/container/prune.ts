/**
 * `ts-runc container prune [-f] [--filter until=…|label=…]`: removes all stopped containers
 * (src/engine/containers/prune.ts), after docker's question unless -f.
 */
import { bool, list, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';
import { confirm } from './confirm.js';

const FLAGS: FlagSpec[] = [
  { name: 'force', short: 'f', type: 'bool', help: 'do not prompt for confirmation' },
  { name: 'filter', type: 'list', value: 'KEY=VALUE', help: 'provide filter values (e.g. "until=<timestamp>", "label=k=v", "label!=k")' },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'remove all stopped containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container prune');
    checkArgs(parsed, 'container prune', command.synopsis);
    const { parseFilterArgs } = await import('../../engine/list/filters.js');
    // "label!=k" is key "label!" with value "k"
    const filters = parseFilterArgs(list(parsed, 'filter'));
    if (!bool(parsed, 'force') && !confirm('WARNING! This will remove all stopped containers.')) return 0;
    const { pruneContainers } = await import('../../engine/containers/prune.js');
    const { humanSize } = await import('../../engine/format/humanize.js');
    const result = await pruneContainers(globals.storage, filters);
    let out = '';
    if (result.ContainersDeleted.length > 0) out += `Deleted Containers:\n${result.ContainersDeleted.map((id) => `${id}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(result.SpaceReclaimed)}\n`;
    writeOut(out);
    return 0;
  },
};
