/** Signal names and numbers, as `kill` accepts them: "TERM", "SIGTERM" or "15". */
import { constants } from 'node:os';
import { RuntimeError } from '../errors.js';

const byName = constants.signals as Record<string, number>;

export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = byName[name];
    if (n !== undefined) return n;
  }
  throw new RuntimeError(`invalid signal ${JSON.stringify(text)}`);
}

export function signalNumber(name: string): number {
  return byName[name] ?? 0;
}
