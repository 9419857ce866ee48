/**
 * Sizes and durations as docker prints them (github.com/docker/go-units): HumanDuration
 * for "5 seconds" / "About an hour", HumanSize (decimal, "1.23MB") and BytesSize (binary,
 * "1.5MiB"), and docker's Ellipsis for a truncated COMMAND.
 */

/** units.HumanDuration, of milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3_600_000) / 24 / 365)} years`;
}

/** Go's %.Ng: N significant digits, trailing zeros dropped. */
function significant(value: number, precision: number): string {
  return String(Number(value.toPrecision(precision)));
}

function scaled(size: number, base: number, units: string[], precision: number): string {
  let i = 0;
  let value = size;
  while (value >= base && i < units.length - 1) {
    value /= base;
    i++;
  }
  return `${significant(value, precision)}${units[i]}`;
}

const DECIMAL = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** units.HumanSizeWithPrecision: decimal units ("1.235MB"); docker's default precision is 4. */
export function humanSize(bytes: number, precision = 4): string {
  return scaled(bytes, 1000, DECIMAL, precision);
}

/** units.BytesSize: binary units ("1.5MiB"), 4 significant digits. */
export function bytesSize(bytes: number): string {
  return scaled(bytes, 1024, BINARY, 4);
}

/** "5 seconds ago" for an ISO time or unix seconds, as docker's RunningFor. */
export function ago(time: string | number, now = Date.now()): string {
  const ms = typeof time === 'number' ? time * 1000 : Date.parse(time);
  return `${humanDuration(now - ms)} ago`;
}

/**
 * docker's formatter.Ellipsis: at most `max` columns, the last one "…". East Asian wide
 * characters count two, as go-runewidth counts them.
 */
export function ellipsis(text: string, max: number): string {
  if (max <= 0) return '';
  const chars = [...text];
  const widthOf = (c: string) => (/[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]/u.test(c) ? 2 : 1);
  const total = chars.reduce((sum, c) => sum + widthOf(c), 0);
  if (total <= max) return text;
  if (max === 1) return widthOf(chars[0]!) === 1 ? chars[0]! : '';
  let width = 0;
  let out = '';
  for (const c of chars) {
    if (width + widthOf(c) > max - 1) break;
    width += widthOf(c);
    out += c;
  }
  return `${out}…`;
}
