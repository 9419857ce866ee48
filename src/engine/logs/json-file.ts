/**
 * Reading Docker's json-file logs (the monitor writes them, native/monitor/): one JSON
 * object a line, `{"log":"text\n","stream":"stdout|stderr","time":"RFC3339Nano"}`,
 * rotated at max-size into container.log.1 … .N-1 (.1 the newest of the old ones).
 */
import { closeSync, openSync, readSync, readdirSync, fstatSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** RFC 3339 with nanoseconds, as written */
  time: string;
  /** the text as the container wrote it, with its newline (a partial line has none) */
  line: string;
}

/** One line of the file → an entry; a line that is not an entry (a torn write) is skipped. */
export function parseLogLine(text: string): LogEntry | undefined {
  try {
    const value = JSON.parse(text) as { log?: unknown; stream?: unknown; time?: unknown };
    if (typeof value.log !== 'string' || typeof value.time !== 'string') return undefined;
    return { stream: value.stream === 'stderr' ? 'stderr' : 'stdout', time: value.time, line: value.log };
  } catch {
    return undefined;
  }
}

/** epoch ms of an RFC3339Nano time (the nanoseconds beyond ms are dropped: the filters are coarser). */
export function logTime(entry: LogEntry): number {
  return Date.parse(entry.time);
}

/** The log files oldest first: container.log.N … container.log.1, container.log. */
export function logFiles(log: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dirname(log));
  } catch {
    return [];
  }
  const base = basename(log);
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? Number(n.slice(base.length + 1)) : NaN))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => b - a)
    .map((n) => join(dirname(log), `${base}.${n}`));
  return names.includes(base) ? [...rotated, log] : rotated;
}

const CHUNK = 64 * 1024;

/**
 * Every complete line of a file (a last line without its newline is being written: left
 * out), up to byte `limit` if given.
 */
export function* fileLines(path: string, limit = Infinity): Generator<string> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return; // rotated away between listing and opening
  }
  try {
    const buffer = Buffer.alloc(CHUNK);
    let rest = '';
    let read = 0;
    for (;;) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, limit - read), null);
      if (n === 0) break;
      read += n;
      const text = rest + buffer.toString('utf8', 0, n);
      const lines = text.split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * The last `count` complete lines of a file, read backwards from its end in chunks, so
 * `--tail 10` of a large log reads only its end.
 */
export function lastLines(path: string, count: number, limit = Infinity): string[] {
  if (count <= 0) return [];
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    let position = Math.min(fstatSync(fd).size, limit);
    let tail = Buffer.alloc(0);
    let newlines = 0;
    while (position > 0 && newlines <= count) {
      const size = Math.min(CHUNK, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      readSync(fd, chunk, 0, size, position);
      for (const byte of chunk) if (byte === 0x0a) newlines++;
      tail = Buffer.concat([chunk, tail]);
    }
    const lines = tail.toString('utf8').split('\n');
    lines.pop(); // after the last newline: empty, or a line being written
    if (position > 0) lines.shift(); // the first may be cut
    return lines.slice(-count);
  } finally {
    closeSync(fd);
  }
}
