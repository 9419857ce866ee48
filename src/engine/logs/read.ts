/**
 * `container logs` and GET /containers/{id}/logs: the container's json-file log as an
 * async iterator of entries, which the CLI prints (stdout lines to stdout, stderr lines to
 * stderr) and the API service frames.
 *
 * --tail N takes the last N entries over all files (rotated ones included), then
 * --since/--until drop entries outside the window, as moby's json-file reader does.
 * --follow then keeps reading the live file: a rename (rotation: the monitor renamed it
 * to .1 and opened a new one) is noticed by the path's inode changing, and the old file
 * is read to its end before the new one from its start; a file that shrank (truncated)
 * is read again from its start. Following ends once the container is no longer running
 * or restarting (its state is polled) and the file has been read to its end, at --until,
 * or when the caller's signal aborts.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../../errors.js';
import { ContainerStore } from '../containers/store.js';
import { containerView } from '../containers/status.js';
import { fileLines, lastLines, logFiles, logTime, parseLogLine, type LogEntry } from './json-file.js';

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined; // between a rename and the new file's creation, or rotated away
  }
}

export type { LogEntry } from './json-file.js';

export interface LogOptions {
  follow?: boolean;
  /** the last N entries; undefined = all */
  tail?: number;
  /** epoch ms: entries before it are left out */
  since?: number;
  /** epoch ms: entries after it are left out (and following stops there) */
  until?: number;
  stdout?: boolean;
  stderr?: boolean;
  /** how often a follower looks for new lines and at the container's state (ms) */
  pollMs?: number;
  signal?: AbortSignal;
}

/**
 * The entries already in the files, oldest first, with --tail applied; the live file is
 * read up to `liveLimit` bytes (where a follower takes over).
 */
function* existing(log: string, tail: number | undefined, liveLimit = Infinity): Generator<LogEntry> {
  const files = logFiles(log);
  const limit = (file: string) => (file === log ? liveLimit : Infinity);
  if (tail === undefined) {
    for (const file of files) for (const line of fileLines(file, limit(file))) {
      const entry = parseLogLine(line);
      if (entry) yield entry;
    }
    return;
  }
  // newest file backwards until enough entries are found
  const collected: LogEntry[][] = [];
  let found = 0;
  for (const file of [...files].reverse()) {
    if (found >= tail) break;
    const entries = lastLines(file, tail - found, limit(file)).map(parseLogLine).filter((e): e is LogEntry => e !== undefined);
    collected.unshift(entries);
    found += entries.length;
  }
  const all = collected.flat();
  if (tail > 0) yield* all.slice(-tail);
}

class Follower {
  private fd: number | undefined;
  private ino = 0;
  private position = 0;
  private rest = '';

  constructor(private readonly path: string) {}

  /** Start at the current end of the live file; returns that offset (existing() reads up to it). */
  openAtEnd(): number {
    this.open(this.path);
    if (this.fd !== undefined) {
      const size = fstatSync(this.fd).size;
      // existing() left out a last line without its newline: start at the last newline
      this.position = size;
      const back = Math.min(size, 64 * 1024);
      if (back > 0) {
        const chunk = Buffer.alloc(back);
        readSync(this.fd, chunk, 0, back, size - back);
        const nl = chunk.lastIndexOf(0x0a);
        this.position = nl < 0 ? size - back : size - back + nl + 1;
      }
    }
    return this.position;
  }

  private open(path: string): void {
    try {
      this.fd = openSync(path, 'r');
      this.ino = fstatSync(this.fd).ino;
      this.position = 0;
      this.rest = '';
    } catch {
      this.fd = undefined;
    }
  }

  /**
   * The complete lines written since the last call, across rotations or a truncation.
   * Several rotations may have happened since: the files are found by inode (a rename
   * keeps it), so after ours come the rotated ones that are newer, then the live one.
   */
  poll(): string[] {
    const lines: string[] = [];
    if (this.fd === undefined) this.open(this.path);
    if (this.fd === undefined) return lines;
    for (let round = 0; round < 64; round++) {
      const size = fstatSync(this.fd!).size;
      if (size < this.position) {
        this.position = 0; // truncated: read again from the start
        this.rest = '';
      }
      lines.push(...this.drain());
      if (inode(this.path) === this.ino || !this.openNext()) break;
    }
    return lines;
  }

  /** Moves to the file written after ours (ours was rotated); false if there is none yet. */
  private openNext(): boolean {
    for (let attempt = 0; attempt < 3; attempt++) {
      const files = logFiles(this.path).map((path) => ({ path, ino: inode(path) })).filter((f) => f.ino !== undefined);
      const ours = files.findIndex((f) => f.ino === this.ino);
      // ours is gone (rotated past max-file): every file left is newer, the oldest first
      const next = files[ours + 1];
      if (!next) return false;
      const previous = this.fd;
      this.open(next.path);
      if (this.fd === undefined) {
        this.fd = previous;
        continue;
      }
      if (previous !== undefined) closeSync(previous);
      if (this.ino === next.ino) return true; // else renamed meanwhile: list again
    }
    return false;
  }

  private drain(): string[] {
    const lines: string[] = [];
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(this.fd!, buffer, 0, buffer.length, this.position);
      if (n === 0) break;
      this.position += n;
      const parts = (this.rest + buffer.toString('utf8', 0, n)).split('\n');
      this.rest = parts.pop()!;
      lines.push(...parts);
    }
    return lines;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** The entries of a container's log (see the file's comment for the options). */
export async function* readLogs(storage: string, reference: string, options: LogOptions = {}): AsyncGenerator<LogEntry> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  if ((record.HostConfig.LogConfig?.Type ?? 'json-file') !== 'json-file') {
    throw new RuntimeError(`container logs ${reference}: configured logging driver does not support reading (--log-driver ${record.HostConfig.LogConfig?.Type})`);
  }
  const log = store.paths(record.Id).log;
  const wantStdout = options.stdout ?? true;
  const wantStderr = options.stderr ?? true;
  let pastUntil = false;
  const keep = (entry: LogEntry) => {
    if ((entry.stream === 'stdout' && !wantStdout) || (entry.stream === 'stderr' && !wantStderr)) return false;
    const t = logTime(entry);
    if (options.since !== undefined && t < options.since) return false;
    if (options.until !== undefined && t > options.until) {
      pastUntil = true;
      return false;
    }
    return true;
  };
  const follower = options.follow ? new Follower(log) : undefined;
  // the follower marks its place before the files are read, and the reading stops there:
  // nothing written in between is lost or shown twice
  const liveLimit = follower ? follower.openAtEnd() : Infinity;
  try {
    for (const entry of existing(log, options.tail, liveLimit)) {
      if (keep(entry)) yield entry;
      if (pastUntil) return;
    }
    if (!follower) return;
    const poll = options.pollMs ?? 200;
    for (;;) {
      if (options.signal?.aborted) return;
      // the state first: lines written before it stopped are read below, before ending
      const current = store.tryRead(record.Id);
      const live = current !== undefined && (() => {
        const state = containerView(store, current).state;
        return state.Running || state.Restarting || state.Paused;
      })();
      for (const line of follower.poll()) {
        const entry = parseLogLine(line);
        if (entry && keep(entry)) yield entry;
        if (pastUntil) return;
      }
      if (!live) return;
      if (options.until !== undefined && Date.now() > options.until) return;
      try {
        await sleep(poll, undefined, { signal: options.signal });
      } catch {
        return; // aborted
      }
    }
  } finally {
    follower?.close();
  }
}
