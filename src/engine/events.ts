/**
 * What happened, for `docker events` and GET /events: one JSON line per event appended to
 * <storage>/engine/events.jsonl, by whichever process did it (a CLI verb, the API service,
 * a monitor's hook), so the service shows changes made by the CLI too. This is the ONE
 * place that writes the file; the engine's verbs call `recordEvent` after they act.
 *
 * The line is Docker's events message (swagger EventMessage): Type, Action, Actor{ID,
 * Attributes}, scope, time, timeNano, and the old top-level status/id/from that docker-py
 * and compose 1.29 still read. One write(2) with O_APPEND per line: the kernel positions
 * each at the end, so lines from concurrent writers never overwrite one another.
 */
import { appendFileSync, mkdirSync, openSync, readSync, closeSync, fstatSync, statSync, watch } from 'node:fs';
import { dirname } from 'node:path';
import { errorCode } from '../errors.js';
import { log } from '../log.js';
import { eventsFile } from './paths.js';

export type EventType = 'container' | 'image' | 'network' | 'volume' | 'daemon';

export interface EngineEvent {
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
  status?: string;
  id?: string;
  from?: string;
}

/**
 * Appends one event. Never throws: an event that cannot be written must not fail the verb
 * that already happened (it is logged instead).
 */
export function recordEvent(storage: string, type: EventType, action: string, id: string, attributes: Record<string, string> = {}): void {
  const now = process.hrtime.bigint();
  const nowNs = BigInt(Date.now()) * 1_000_000n + (now % 1_000_000n);
  const event: EngineEvent = {
    Type: type,
    Action: action,
    Actor: { ID: id, Attributes: attributes },
    scope: 'local',
    time: Number(nowNs / 1_000_000_000n),
    timeNano: Number(nowNs),
  };
  if (type === 'container') {
    event.status = action;
    event.id = id;
    if (attributes.image !== undefined) event.from = attributes.image;
  }
  const file = eventsFile(storage);
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    appendFileSync(file, `${JSON.stringify(event)}\n`);
  } catch (error) {
    log().warn(`event ${type} ${action} ${id} not recorded in ${file}: ${errorCode(error) ?? String(error)}`);
  }
}

/**
 * The events in the file from byte `offset` on, and the offset after the last whole line
 * (a line being written is read next time). For following the file as it grows.
 */
export function readEventsFrom(storage: string, offset: number): { events: EngineEvent[]; next: number } {
  let fd: number;
  try {
    fd = openSync(eventsFile(storage), 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { events: [], next: 0 };
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    // the file was truncated or replaced: start again at its beginning
    const start = size < offset ? 0 : offset;
    if (size === start) return { events: [], next: start };
    const buffer = Buffer.alloc(size - start);
    const got = readSync(fd, buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, got).toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    const events: EngineEvent[] = [];
    for (const line of text.slice(0, end).split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as EngineEvent);
      } catch {
        // a torn line (a writer killed mid-write) is skipped, not fatal
      }
    }
    return { events, next: start + Buffer.byteLength(text.slice(0, end)) };
  } finally {
    closeSync(fd);
  }
}

/** Where the file ends now: an offset for readEventsFrom to start at. */
export function eventsEnd(storage: string): number {
  try {
    return statSync(eventsFile(storage)).size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

/**
 * A sleep that ends early when an event is written (inotify, through fs.watch): a wait for
 * a container's exit or removal then answers within a few ms of its `die` or `destroy`
 * rather than at its next poll, up to 100 ms later (issue 14: `docker run --rm` lost ~50 ms
 * there on average). Without the file (or inotify), a plain sleep.
 */
export function eventsAlarm(storage: string): { sleep(ms: number): Promise<void>; close(): void } {
  let wake: (() => void) | undefined;
  let watcher: ReturnType<typeof watch> | undefined;
  try {
    watcher = watch(eventsFile(storage), { persistent: false }, () => wake?.());
    watcher.on('error', () => watcher?.close());
  } catch {
    // no events file yet, or no inotify: the caller polls
  }
  return {
    sleep: (ms) => new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
    }),
    close: () => watcher?.close(),
  };
}

/** The exit code of the container's last `die` event from byte `offset` on, if there is one. */
export function exitCodeDiedSince(storage: string, id: string, offset: number): number | undefined {
  const died = readEventsFrom(storage, offset).events.filter((e) => e.Type === 'container' && e.Action === 'die' && e.Actor.ID === id).at(-1);
  const code = died?.Actor.Attributes.exitCode;
  return code !== undefined && /^\d+$/.test(code) ? Number(code) : undefined;
}

/** A container's event: Docker's attributes are its name, image and labels (plus `extra`: exitCode, signal). */
export function recordContainerEvent(
  storage: string,
  action: string,
  record: { Id: string; Name: string; Config: { Image: string; Labels?: Record<string, string> } },
  extra: Record<string, string> = {},
): void {
  recordEvent(storage, 'container', action, record.Id, { ...(record.Config.Labels ?? {}), image: record.Config.Image, name: record.Name.replace(/^\//, ''), ...extra });
}
