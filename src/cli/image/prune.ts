/**
 * `ts-runc image prune [-a] [-f] [--filter until=…|label=…]`: removes dangling images (no
 * name), or with -a every image no container uses (src/engine/system/images.ts).
 */
import { bool, list, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';
import { confirm } from '../container/confirm.js';

const FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', help: 'remove all unused images, not just dangling ones' },
  { name: 'force', short: 'f', type: 'bool', help: 'do not prompt for confirmation' },
  { name: 'filter', type: 'list', value: 'KEY=VALUE', help: 'provide filter values (e.g. "until=<timestamp>", "label=k=v")' },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'remove unused images',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'image prune');
    checkArgs(parsed, 'image prune', command.synopsis);
    const all = bool(parsed, 'all');
    const { parseFilterArgs } = await import('../../engine/list/filters.js');
    const filters = parseFilterArgs(list(parsed, 'filter'));
    const warning = all ? 'WARNING! This will remove all images without at least one container associated to them.' : 'WARNING! This will remove all dangling images.';
    if (!bool(parsed, 'force') && !confirm(warning)) return 0;
    const { pruneImages } = await import('../../engine/system/images.js');
    const { humanSize } = await import('../../engine/format/humanize.js');
    // a builder killed mid-RUN holds the image through its RUN container until undone
    const { cleanDeadBuilds } = await import('../../build/workdir.js');
    await cleanDeadBuilds(globals.storage);
    const result = pruneImages(globals.storage, { all, filters });
    writeOut(imagePruneText(result.ImagesDeleted) + `Total reclaimed space: ${humanSize(result.SpaceReclaimed)}\n`);
    return 0;
  },
};

/** "Deleted Images:" and a line per untag/delete, as docker prints them. */
export function imagePruneText(deleted: { Untagged?: string; Deleted?: string }[]): string {
  if (deleted.length === 0) return '';
  const lines = deleted.map((d) => (d.Untagged !== undefined ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`));
  return `Deleted Images:\n${lines.join('')}\n`;
}
