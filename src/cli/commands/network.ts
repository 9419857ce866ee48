/** `ts-runc network connect|create|disconnect|ls|inspect|rm`: one file per sub-verb in src/cli/network/, loaded when called. */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  connect: () => import('../network/connect.js'),
  create: () => import('../network/create.js'),
  disconnect: () => import('../network/disconnect.js'),
  ls: () => import('../network/ls.js'),
  inspect: () => import('../network/inspect.js'),
  rm: () => import('../network/rm.js'),
};

export const command: Command = commandGroup('network', 'manage networks (bridges with a subnet, NAT and name resolution)', {
  names: Object.keys(LOADERS),
  aliases: { list: 'ls', remove: 'rm' },
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});
