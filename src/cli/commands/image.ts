/** `ts-runc image load|import|ls|inspect|tag|rm|save|pull|push|build`: one file per sub-verb in src/cli/image/, loaded when called. */
import type { Command } from '../command.js';
import { commandGroup } from '../group.js';

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  load: () => import('../image/load.js'),
  import: () => import('../image/import.js'),
  ls: () => import('../image/ls.js'),
  inspect: () => import('../image/inspect.js'),
  tag: () => import('../image/tag.js'),
  rm: () => import('../image/rm.js'),
  save: () => import('../image/save.js'),
  pull: () => import('../image/pull.js'),
  push: () => import('../image/push.js'),
  prune: () => import('../image/prune.js'),
  history: () => import('../image/history.js'),
  build: () => import('../image/build.js'),
};

export const command: Command = commandGroup('image', 'manage images (load, import, list, inspect, tag, remove, save, pull, push, prune, history, build)', {
  names: Object.keys(LOADERS),
  aliases: { list: 'ls', remove: 'rm', rmi: 'rm' },
  async load(name) {
    return (await LOADERS[name]!()).command;
  },
});
