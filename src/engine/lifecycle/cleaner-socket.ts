/**
 * Which cleaner socket this process serves, if any (cleaner.ts serves it; start.ts gives
 * it to the monitors it spawns). Apart from cleaner.ts so that start.ts does not import the
 * cleanup itself, which imports start.ts back through remove.ts and stop.ts.
 */
import { relative } from 'node:path';

let serving: { storage: string; path: string } | undefined;

export function setServedCleaner(value: { storage: string; path: string } | undefined): void {
  serving = value;
}

/** The --cleaner argument for a monitor running in `dir` (relative: sockaddr_un's 108 bytes), if this process serves `storage`. */
export function cleanerFor(storage: string, dir: string): string | undefined {
  return serving?.storage === storage ? relative(dir, serving.path) : undefined;
}
