/** `ts-runc network create [--subnet CIDR] [--gateway IP] [--bridge NAME] NAME` */
import { createNetwork } from '../../network/networks.js';
import { hostIpv4Routes } from '../../network/routes.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'subnet', type: 'string', help: 'IPv4 subnet, e.g. 10.89.0.0/24 (default: the next free /24 of 10.78.0.0/16)' },
  { name: 'gateway', type: 'string', help: 'the bridge\'s address (default: the subnet\'s first)' },
  { name: 'bridge', type: 'string', help: 'bridge device name (default: tsbr-<hash of the name>)' },
];

export const command: Command = {
  synopsis: '[options] NAME',
  summary: 'create a network',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'network create');
    const [name] = checkArgs(parsed, 'network create', command.synopsis) as [string];
    const def = createNetwork(globals.storage, { name, subnet: str(parsed, 'subnet'), gateway: str(parsed, 'gateway'), bridge: str(parsed, 'bridge') }, hostIpv4Routes);
    process.stdout.write(`${def.name}\n`);
    return 0;
  },
};
