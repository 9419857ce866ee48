/**
 * Logging, as runc does it: `--log FILE` and `--log-format text|json`.
 *
 * containerd and podman pass `--log <file> --log-format json` and, when a call fails, read
 * the last line's `msg`; go-runc unmarshals `level` and `time` as strings, so the JSON
 * lines use a level label and an RFC 3339 time, like logrus does for runc.
 *
 * Written by hand, one synchronous write(2) per line: loading pino, which did the JSON
 * lines before, cost every logged call ~16 ms (issue 14), twice per engine container (the
 * monitor's hooks run with --log), for what JSON.stringify does.
 */
import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeAll } from './sys/write-all.js';

export interface LogOptions {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
  /** log info and warnings to stderr even without --log (a foreground service: `system service`) */
  stderr?: boolean;
}

/** The small interface library code logs through. */
export interface Log {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  flush(): void;
}

/** Without --log, warnings go to stderr (as runc's do) and errors are printed by the CLI. */
const stderrOnly: Log = {
  debug() {},
  info() {},
  warn(msg) { process.stderr.write(`ts-runc: warning: ${msg}\n`); },
  error() {},
  flush() {},
};
let current: Log = stderrOnly;
let debugging = false;

export function log(): Log {
  return current;
}

/** Whether --debug is on: the init is then given a pipe for its own debug lines
 *  (process/init-process.ts); without it, it logs nothing and pays nothing. */
export function debugEnabled(): boolean {
  return debugging;
}

/** RFC 3339 to the second, as logrus prints runc's times ("2026-12-04T18:51:26Z"). */
const logTime = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** logrus's quoting (TextFormatter needsQuoting): bare when only letters, digits and -._/@^+. */
const logValue = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return /^[A-Za-z0-9\-._/@^+]+$/.test(text) ? text : JSON.stringify(text);
};

/** One line in logrus's text format, runc's default: time="…" level=debug msg="…" key=value. */
export function textLine(level: string, msg: string, fields?: Record<string, unknown>): string {
  const extra = Object.entries(fields ?? {}).map(([key, value]) => ` ${key}=${logValue(value)}`).join('');
  return `time="${logTime()}" level=${level} msg=${JSON.stringify(msg)}${extra}\n`;
}

/**
 * One line as logrus's JSONFormatter writes it for runc: level, time, the fields, msg. An
 * Error among the fields keeps its message and stack (JSON.stringify would give `{}`).
 */
export function jsonLine(level: string, msg: string, fields?: Record<string, unknown>): string {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields ?? {})) {
    plain[key] = value instanceof Error ? { type: value.name, message: value.message, stack: value.stack } : value;
  }
  return `${JSON.stringify({ level, time: logTime(), ...plain, msg })}\n`;
}

export async function setupLogging(options: LogOptions): Promise<void> {
  debugging = options.debug;
  if (!options.file && !options.debug && !options.stderr) return;
  let fd = 2;
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    fd = openSync(options.file, 'a');
  }
  const format = options.format === 'text' ? textLine : jsonLine;
  const write = (level: 'debug' | 'info' | 'warning' | 'error') =>
    (msg: string, fields?: Record<string, unknown>) => {
      try {
        writeAll(fd, Buffer.from(format(level, msg, fields)), () => process.stderr);
      } catch {
        // a log that cannot be written must not fail the command
      }
    };
  current = {
    debug: options.debug ? write('debug') : () => {},
    info: write('info'),
    warn: write('warning'),
    error: write('error'),
    flush: () => {},
  };
}
