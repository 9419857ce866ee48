/**
 * `ts-runc system df|prune`: the engine as a whole (disk usage, cleaning up), one file per
 * sub-verb in src/cli/system/. (`system service`, the Engine API, joins this group.)
 */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  df: () => import('../system/df.js'),
  prune: () => import('../system/prune.js'),
};

export const command: Command = commandGroup('system', 'manage the engine (df: disk usage; prune: remove unused data)', {
  names: Object.keys(LOADERS),
  aliases: {},
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});
