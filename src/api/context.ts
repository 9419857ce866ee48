/** What every handler of the service can reach: where things are and who the service is. */
import type { Log } from '../log.js';

export interface ApiContext {
  /** --storage: images, containers' records, networks, volumes */
  storage: string;
  /** --root: the runtime state of running containers */
  root: string;
  /** a stable id for this engine (Docker's /info ID): kept in <storage>/engine/engine-id */
  engineId: string;
  /** when the service started (ISO 8601) */
  startedAt: string;
  log: Log;
}
