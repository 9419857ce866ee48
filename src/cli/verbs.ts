/**
 * The verbs, each imported only when called. Apart from command.ts, so that the verb files,
 * which import command.ts for its types, are not also imported by it (no module cycle).
 */
import type { Command } from './command.js';

type Loader = () => Promise<{ command: Command }>;

/**
 * Which verbs exist, in the order help lists them; each is imported only when called, to
 * keep start-up lean. Written out one by one (not a computed path) so every tool sees them.
 */
const LOADERS = {
  create: () => import('./commands/create.js'),
  start: () => import('./commands/start.js'),
  run: () => import('./commands/run.js'),
  exec: () => import('./commands/exec.js'),
  state: () => import('./commands/state.js'),
  kill: () => import('./commands/kill.js'),
  delete: () => import('./commands/delete.js'),
  list: () => import('./commands/list.js'),
  ps: () => import('./commands/ps.js'),
  pause: () => import('./commands/pause.js'),
  resume: () => import('./commands/resume.js'),
  update: () => import('./commands/update.js'),
  events: () => import('./commands/events.js'),
  spec: () => import('./commands/spec.js'),
  features: () => import('./commands/features.js'),
  plan: () => import('./commands/plan.js'),
  // Beyond runc, what the Docker engine does for a person:
  image: () => import('./commands/image.js'),
  bundle: () => import('./commands/bundle.js'),
  export: () => import('./commands/export.js'),
  commit: () => import('./commands/commit.js'),
  network: () => import('./commands/network.js'),
  volume: () => import('./commands/volume.js'),
  port: () => import('./commands/port.js'),
  system: () => import('./commands/system.js'),
  container: () => import('./commands/container.js'),
} satisfies Record<string, Loader>;

export type Verb = keyof typeof LOADERS;
export const VERBS = Object.keys(LOADERS) as Verb[];

export async function loadVerb(verb: Verb): Promise<Command> {
  return (await LOADERS[verb]()).command;
}
