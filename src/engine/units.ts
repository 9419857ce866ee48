/**
 * Docker's units, for flags and log options alike:
 *   sizes      "512" bytes, "64k", "10m", "1g" (powers of 1024, as docker's units.RAMInBytes)
 *   durations  Go's time.ParseDuration: "30s", "1m30s", "500ms", "2h" → nanoseconds
 */
import { RuntimeError } from '../errors.js';

export function parseSize(text: string, what: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(text.trim());
  if (!match) throw new RuntimeError(`${what} ${JSON.stringify(text)}: expected a size such as 10m, 1g or 512k`, { exitCode: 125 });
  const unit = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[match[2]!.toLowerCase() as '' | 'b' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(match[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds. */
export function parseDuration(text: string, what: string): number {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (text === '0') return 0;
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text.trim()) {
    throw new RuntimeError(`${what} ${JSON.stringify(text)}: expected a duration such as 30s, 1m30s or 500ms`, { exitCode: 125 });
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!]!, 0));
}
