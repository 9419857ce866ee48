/** `ts-runc network connect [--alias A] [--ip IP] NETWORK CONTAINER`: another interface, on another network. */
import { connectNetwork } from '../../engine/network/connect.js';
import { list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'alias', type: 'list', help: 'another name the container answers to on this network' },
  { name: 'ip', type: 'string', value: 'IP', help: 'the IPv4 address to take on this network' },
];

export const command: Command = {
  synopsis: '[options] NETWORK CONTAINER',
  summary: 'connect a container to a network (a running one gets an interface at once)',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'network connect');
    const [network, container] = checkArgs(parsed, 'network connect', command.synopsis) as [string, string];
    connectNetwork(globals.storage, container, network, { aliases: list(parsed, 'alias'), ...(str(parsed, 'ip') ? { ip: str(parsed, 'ip') } : {}) });
    return 0;
  },
};
