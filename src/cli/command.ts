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
  synopsis: string;
  summary: string;
  flags: FlagSpec[];
  /** Returns the exit status. */
  run(context: Context, argv: string[]): Promise<number>;
}

/** Which verbs exist; each is imported only when called, to keep start-up lean. */
export const VERBS = [
  'create', 'start', 'run', 'exec', 'state', 'kill', 'delete', 'list', 'ps', 'pause', 'resume', 'update',
  'events', 'spec', 'features', 'plan',
  // Beyond runc, what the Docker engine does for a person:
  'image', 'bundle', 'export', 'commit', 'network', 'port',
] as const;
export type Verb = (typeof VERBS)[number];
