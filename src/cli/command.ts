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
