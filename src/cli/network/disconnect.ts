/** `ts-runc network disconnect [-f] NETWORK CONTAINER` */
import { disconnectNetwork } from '../../engine/network/connect.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'force', short: 'f', type: 'bool', help: 'no error if the container is not connected' }];

export const command: Command = {
  synopsis: '[options] NETWORK CONTAINER',
  summary: 'disconnect a container from a network',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'network disconnect');
    const [network, container] = checkArgs(parsed, 'network disconnect', command.synopsis) as [string, string];
    disconnectNetwork(globals.storage, container, network, { force: bool(parsed, 'force') });
    return 0;
  },
};
