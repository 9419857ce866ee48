/** `ts-runc network ls [--format table|json]` */
import { RuntimeError } from '../../errors.js';
import { describeNetwork } from '../../network/inspect.js';
import { listNetworks } from '../../network/networks.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'format', short: 'f', type: 'string', help: 'table or json' }];

export const command: Command = {
  synopsis: '[options]',
  summary: 'list networks',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'network ls');
    checkArgs(parsed, 'network ls', command.synopsis);
    const format = str(parsed, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new RuntimeError(`invalid format option ${JSON.stringify(format)}`);
    const views = listNetworks(globals.storage).map((def) => describeNetwork(globals.storage, def));
    if (format === 'json') {
      process.stdout.write(JSON.stringify(views) + '\n');
      return 0;
    }
    const rows = [['NAME', 'SUBNET', 'GATEWAY', 'BRIDGE', 'CONTAINERS'],
      ...views.map((v) => [v.name, v.subnet, v.gateway, v.bridge, String(v.containers.length)])];
    const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
    process.stdout.write(rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col]! + 2)).join('').trimEnd() + '\n').join(''));
    return 0;
  },
};
