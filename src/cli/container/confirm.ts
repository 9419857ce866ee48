/**
 * docker's prune prompt: "Are you sure you want to continue? [y/N]", read from stdin; only
 * "y" or "yes" goes on (a closed or non-answering stdin says no).
 */
import { readSync } from 'node:fs';

export function confirm(warning: string): boolean {
  process.stdout.write(`${warning}\nAre you sure you want to continue? [y/N] `);
  const buffer = Buffer.alloc(256);
  let answer = '';
  try {
    for (;;) {
      const n = readSync(0, buffer, 0, buffer.length, null);
      if (n === 0) break;
      answer += buffer.toString('utf8', 0, n);
      if (answer.includes('\n')) break;
    }
  } catch {
    return false;
  }
  return /^\s*y(es)?\s*$/i.test(answer.split('\n')[0] ?? '');
}
