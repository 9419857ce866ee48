/**
 * `--filter key=value` of `container ls` (and the API's `filters` parameter), as Docker
 * matches them (moby daemon/list.go): values of one key are alternatives (OR), different
 * keys must all match (AND).
 *
 *   id, name     regular expressions, matched anywhere in the id / in "/name"
 *   label        "key" (present) or "key=value" (equal)
 *   status       created | restarting | running | removing | paused | exited | dead
 *   exited       the exit code of an exited container
 *   ancestor     the image, by name[:tag], id or id prefix
 *   health       starting | healthy | unhealthy | none
 *   before/since containers created before / after the one named
 *   network      a network the container is on (name or id)
 *   volume       a volume name or a mount's destination
 */
import { RuntimeError } from '../../errors.js';

export type Filters = Record<string, string[]>;

const KEYS = ['id', 'name', 'label', 'status', 'exited', 'ancestor', 'health', 'before', 'since', 'network', 'volume'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const HEALTH = ['starting', 'healthy', 'unhealthy', 'none'];

/** `key=value` words (the CLI's --filter) → filters; a word without "=" is docker's "bad format". */
export function parseFilterArgs(words: string[]): Filters {
  const filters: Filters = {};
  for (const word of words) {
    const eq = word.indexOf('=');
    if (eq <= 0) throw new RuntimeError(`bad format of filter (expected name=value): ${JSON.stringify(word)}`);
    const key = word.slice(0, eq).trim().toLowerCase();
    (filters[key] ??= []).push(word.slice(eq + 1).trim());
  }
  return filters;
}

/** Refuses a key or value docker refuses, naming it; `allowed` is the verb's set of keys. */
export function checkFilters(filters: Filters, allowed: readonly string[] = KEYS): void {
  for (const [key, values] of Object.entries(filters)) {
    if (!allowed.includes(key)) throw new RuntimeError(`invalid filter '${key}' (use ${allowed.join(', ')})`);
    for (const value of values) {
      if (key === 'status' && !STATUSES.includes(value)) throw new RuntimeError(`invalid filter 'status=${value}' (use ${STATUSES.join(', ')})`);
      if (key === 'health' && !HEALTH.includes(value)) throw new RuntimeError(`invalid filter 'health=${value}' (use ${HEALTH.join(', ')})`);
      if (key === 'exited' && !/^-?\d+$/.test(value)) throw new RuntimeError(`invalid filter 'exited=${value}': not an exit code`);
      if (key === 'id' || key === 'name') {
        try {
          new RegExp(value);
        } catch {
          throw new RuntimeError(`invalid filter '${key}=${value}': not a regular expression`);
        }
      }
    }
  }
}

/** label filters: every "key" present, every "key=value" equal (docker's MatchKVList). */
export function labelsMatch(wanted: string[], labels: Record<string, string> | undefined): boolean {
  return wanted.every((want) => {
    const eq = want.indexOf('=');
    if (eq < 0) return labels !== undefined && Object.hasOwn(labels, want);
    return labels?.[want.slice(0, eq)] === want.slice(eq + 1);
  });
}

/** One key's values: true when any of them matches (or the key is not filtered on). */
export function anyOf(filters: Filters, key: string, matches: (value: string) => boolean): boolean {
  const values = filters[key];
  return values === undefined || values.length === 0 || values.some(matches);
}

/**
 * "10m", "2h30m", an RFC 3339 time or unix seconds → epoch ms (docker's `until`/`since`
 * filters and `logs --since/--until`: pkg/timetypes GetTimestamp). Relative durations
 * count back from `now`.
 */
export function parseTimestamp(text: string, now = Date.now()): number {
  const duration = parseGoDuration(text);
  if (duration !== undefined) return now - duration;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  // RFC 3339 with or without a zone (docker takes local time without one), or a date alone
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00` : text;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new RuntimeError(`invalid time ${JSON.stringify(text)}: give an RFC 3339 time (2026-01-02T15:04:05Z), unix seconds, or a duration (10m, 1h30m)`);
  return ms;
}

/** Go's time.ParseDuration ("1h30m", "10s", "1.5h", "300ms") in ms; undefined when not one. */
export function parseGoDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  if (!/^([0-9.]+(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(/([0-9.]+)(ns|us|µs|ms|s|m|h)/g)) total += Number(value) * units[unit!]!;
  return total;
}
