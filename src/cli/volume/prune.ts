/** `ts-runc volume prune [-f] [-a] [--filter label=…]`: unused anonymous volumes (all unused ones with -a), as docker ≥ 23. */
import { RuntimeError } from '../../errors.js';
import { parseFilterFlags } from '../../engine/volumes/list.js';
import { pruneVolumes } from '../../engine/volumes/remove.js';
import { bool, list, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'all', short: 'a', type: 'bool', help: 'named volumes too, not only anonymous ones' },
  { name: 'force', short: 'f', type: 'bool', help: 'do not ask (ts-runc never asks: without -f on a terminal it refuses)' },
  { name: 'filter', type: 'list', value: 'KEY=VALUE', help: 'label=KEY[=VALUE], label!=KEY[=VALUE]' },
];

function human(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(3).replace(/\.?0+$/, '')}${units[unit]}`;
}

export const command: Command = {
  synopsis: '[options]',
  summary: 'remove unused volumes',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume prune');
    checkArgs(parsed, 'volume prune', command.synopsis);
    // docker asks "Are you sure?" on a terminal; a prompt here would hang scripts, so -f is required there
    if (!bool(parsed, 'force') && process.stdin.isTTY) throw new RuntimeError('volume prune: this removes volumes for good; give -f to confirm');
    const report = pruneVolumes(globals.storage, { all: bool(parsed, 'all'), filters: parseFilterFlags(list(parsed, 'filter'), ['label', 'label!']) });
    if (report.VolumesDeleted.length > 0) process.stdout.write(`Deleted Volumes:\n${report.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`);
    process.stdout.write(`Total reclaimed space: ${human(report.SpaceReclaimed)}\n`);
    return 0;
  },
};
