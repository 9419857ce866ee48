/** `ts-runc volume create|ls|inspect|rm|prune`: one file per sub-verb in src/cli/volume/, loaded when called. */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  create: () => import('../volume/create.js'),
  inspect: () => import('../volume/inspect.js'),
  ls: () => import('../volume/ls.js'),
  prune: () => import('../volume/prune.js'),
  rm: () => import('../volume/rm.js'),
};

export const command: Command = commandGroup('volume', 'manage volumes (directories outside containers, Docker\'s local driver)', {
  names: Object.keys(LOADERS),
  aliases: { list: 'ls', remove: 'rm' },
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});
