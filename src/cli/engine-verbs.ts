/**
 * verbs.ts for dist/bundle/engine.cjs (route.ts): `container`, the engine's verb, with every
 * sub-verb in the one file. Its `run` starts three Node processes (the CLI, and the
 * monitor's init and cleanup hooks, `container _hook`), each of which loaded 20-40 chunks of
 * the split bundle before this. scripts/bundle.mjs puts this module in verbs.ts's place.
 */
import type { Command } from './command.js';

const LOADERS = {
  container: () => import('./commands/container.js'),
};

export type Verb = keyof typeof LOADERS;
export const VERBS = Object.keys(LOADERS) as Verb[];

export async function loadVerb(verb: Verb): Promise<Command> {
  return (await LOADERS[verb]()).command;
}
