/**
 * `ts-runc system df|prune|service`: the engine as a whole (disk usage, cleaning up, the
 * Docker Engine API), one file per sub-verb in src/cli/system/, loaded when called.
 */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  df: () => import('../system/df.js'),
  prune: () => import('../system/prune.js'),
  service: () => import('../system/service.js'),
};

const group: Command = commandGroup('system', 'manage the engine (df: disk usage; prune: remove unused data; service: the Docker Engine API)', {
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
