/** What every verb file in commands/ exports. */
import type { FlagSpec } from './args.js';
import type { StateStore } from '../state/container-state.js';

export interface GlobalOptions {
  root: string;
  /** images, container layers, networks (src/storage.ts) */
  storage: string;
  log?: string;
  logFormat: 'text' | 'json';
  debug: boolean;
  systemdCgroup: boolean;
}

export interface Context {
  globals: GlobalOptions;
  store: StateStore;
}

export interface Command {
  /**
   * The words after the verb, as help prints them: `[options] <container-id> [signal]`.
   * `<x>` and bare words (`IMAGE`) are required, `[x]` optional, `...` repeats; for most
   * verbs checkArgs (help.ts) counts the positional arguments from this same text.
   */
  synopsis: string;
  summary: string;
  /** more about the verb, printed by --help under DESCRIPTION */
  description?: string;
  /** the flags the verb's parser takes; --help lists these same declarations */
  flags: FlagSpec[];
  /** for a verb with sub-verbs (image, network): their names and how to load one */
  subcommands?: Subcommands;
  /** Returns the exit status. */
  run(context: Context, argv: string[]): Promise<number>;
}

export interface Subcommands {
  names: readonly string[];
  aliases: Readonly<Record<string, string>>;
  load(name: string): Promise<Command>;
}

/**
 * The exit status after the reader of stdout went away (`ts-runc plan | head -1`): 128 +
 * SIGPIPE, what a shell reports for any tool the kernel stops with SIGPIPE (main.ts).
 */
export const EXIT_PIPE_CLOSED = 141;

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
  port: () => import('./commands/port.js'),
} satisfies Record<string, Loader>;

export type Verb = keyof typeof LOADERS;
export const VERBS = Object.keys(LOADERS) as Verb[];

export async function loadVerb(verb: Verb): Promise<Command> {
  return (await LOADERS[verb]()).command;
}
