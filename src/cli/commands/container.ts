/**
 * `ts-runc container VERB`: Docker's container verbs (issue 11), one file per verb in
 * src/cli/container/, loaded when called. Each file only parses docker's flags and prints;
 * the work is a library function in src/engine/ that the Engine API service calls too.
 *
 * LOADERS is in `docker container --help`'s order (alphabetical). `_hook` is hidden: the
 * per-container monitor runs `ts-runc container _hook <id> init|cleanup|health`.
 */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  inspect: () => import('../container/inspect.js'),
  ls: () => import('../container/ls.js'),
};

const group: Command = commandGroup('container', 'manage containers as docker does (run, ls, logs, exec, stop, start, rm...)', {
  names: Object.keys(LOADERS),
  aliases: { list: 'ls', ps: 'ls', remove: 'rm' },
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});

export const command: Command = group;
