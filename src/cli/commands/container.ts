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
  attach: () => import('../container/attach.js'),
  commit: () => import('../container/commit.js'),
  cp: () => import('../container/cp.js'),
  create: () => import('../container/create.js'),
  diff: () => import('../container/diff.js'),
  exec: () => import('../container/exec.js'),
  export: () => import('../container/export.js'),
  inspect: () => import('../container/inspect.js'),
  kill: () => import('../container/kill.js'),
  logs: () => import('../container/logs.js'),
  ls: () => import('../container/ls.js'),
  pause: () => import('../container/pause.js'),
  port: () => import('../container/port.js'),
  prune: () => import('../container/prune.js'),
  rename: () => import('../container/rename.js'),
  restart: () => import('../container/restart.js'),
  rm: () => import('../container/rm.js'),
  run: () => import('../container/run.js'),
  start: () => import('../container/start.js'),
  stats: () => import('../container/stats.js'),
  stop: () => import('../container/stop.js'),
  top: () => import('../container/top.js'),
  unpause: () => import('../container/unpause.js'),
  update: () => import('../container/update.js'),
  wait: () => import('../container/wait.js'),
};

const group: Command = commandGroup('container', 'manage containers as docker does (run, ls, logs, exec, stop, start, rm...)', {
  names: Object.keys(LOADERS),
  aliases: { list: 'ls', ps: 'ls', remove: 'rm' },
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});

export const command: Command = {
  ...group,
  async run(context, argv) {
    if (argv[0] === '_hook') return (await import('../container/hook.js')).command.run(context, argv.slice(1));
    return group.run(context, argv);
  },
};
