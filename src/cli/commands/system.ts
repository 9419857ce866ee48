/** `ts-runc system service|…`: one file per sub-verb in src/cli/system/, loaded when called. */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  service: () => import('../system/service.js'),
};

export const command: Command = commandGroup('system', 'the engine as a whole (service: the Docker Engine API)', {
  names: Object.keys(LOADERS),
  aliases: {},
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});
