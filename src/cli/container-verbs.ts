/**
 * verbs.ts for dist/bundle/container.cjs (route.ts): the verbs that start a container's
 * process, with everything they import in the one file. scripts/bundle.mjs puts this module
 * in verbs.ts's place.
 */
import type { Command } from './command.js';

const LOADERS = {
  create: () => import('./commands/create.js'),
  run: () => import('./commands/run.js'),
  exec: () => import('./commands/exec.js'),
};

export type Verb = keyof typeof LOADERS;
export const VERBS = Object.keys(LOADERS) as Verb[];

export async function loadVerb(verb: Verb): Promise<Command> {
  return (await LOADERS[verb]()).command;
}
