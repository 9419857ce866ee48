import { RuntimeError } from '../errors.js';
import type { Parsed } from './args.js';

/** The first positional argument, which every per-container verb requires. */
export function requireId(parsed: Parsed, verb: string): string {
  const id = parsed.positionals[0];
  if (!id) throw new RuntimeError(`${verb}: a container id is required`);
  return id;
}
