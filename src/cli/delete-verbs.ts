/**
 * verbs.ts for dist/bundle/delete.cjs (route.ts): `delete` alone, with the network and image
 * code it imports lazily inlined into the one file. scripts/bundle.mjs puts this module in
 * verbs.ts's place.
 */
import type { Command } from './command.js';

const LOADERS = {
  delete: () => import('./commands/delete.js'),
};

export type Verb = keyof typeof LOADERS;
export const VERBS = Object.keys(LOADERS) as Verb[];

export async function loadVerb(verb: Verb): Promise<Command> {
  return (await LOADERS[verb]()).command;
}
