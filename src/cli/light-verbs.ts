/**
 * verbs.ts for dist/bundle/light.cjs (route.ts): only the light verbs, so that bundle holds
 * main and these four and nothing else (delete is not one: it imports the network and image
 * code, which without code splitting would be inlined, 183 KB instead of 36).
 * scripts/bundle.mjs puts this module in verbs.ts's place; route.ts sends every other command line, help included, to the full bundle.
 */
import type { Command } from './command.js';

const LOADERS = {
  start: () => import('./commands/start.js'),
  state: () => import('./commands/state.js'),
  kill: () => import('./commands/kill.js'),
  list: () => import('./commands/list.js'),
};

export type Verb = keyof typeof LOADERS;
export const VERBS = Object.keys(LOADERS) as Verb[];

export async function loadVerb(verb: Verb): Promise<Command> {
  return (await LOADERS[verb]()).command;
}
