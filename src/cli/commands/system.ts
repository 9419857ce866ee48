/** `ts-runc system service|…`: one file per sub-verb in src/cli/system/, loaded when called. */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  service: () => import('../system/service.js'),
};

const group: Command = commandGroup('system', 'the engine as a whole (service: the Docker Engine API)', {
  names: Object.keys(LOADERS),
  aliases: {},
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});

/** `_exec` is hidden: the API service runs `ts-runc system _exec REQUEST CONTAINER` for an exec. */
export const command: Command = {
  ...group,
  async run(context, argv) {
    if (argv[0] === '_exec') return (await import('../system/exec-helper.js')).command.run(context, argv.slice(1));
    return group.run(context, argv);
  },
};
