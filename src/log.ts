/**
 * Logging, as runc does it: `--log FILE` and `--log-format text|json`.
 *
 * containerd and podman pass `--log <file> --log-format json` and, when a call fails, read
 * the last line's `msg`; go-runc unmarshals `level` and `time` as strings, so the JSON
 * lines use a level label and an RFC 3339 time, like logrus does for runc.
 *
 * pino is loaded only when a log destination is set: most calls log nothing, and every CLI
 * call pays for what it imports.
 */
import type { Logger } from 'pino';

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

export async function setupLogging(options: LogOptions): Promise<void> {
  debugging = options.debug;
  if (!options.file && !options.debug && !options.stderr) return;
  const { default: pino } = await import('pino');
  const destination = options.file
    ? pino.destination({ dest: options.file, append: true, sync: true, mkdir: true })
    : pino.destination({ dest: 2, sync: true });
  const logger: Logger = pino(
    {
      level: options.debug ? 'debug' : 'info',
      base: undefined,
      timestamp: () => `,"time":"${logTime()}"`,
      formatters: { level: (label) => ({ level: label === 'warn' ? 'warning' : label }) },
    },
    destination,
  );
  const text = options.format === 'text';
  const write = (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>) => {
      if (text) destination.write(textLine(level === 'warn' ? 'warning' : level, msg, fields));
      else if (fields) logger[level](fields, msg);
      else logger[level](msg);
    };
  current = {
    debug: options.debug ? write('debug') : () => {},
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    flush: () => destination.flushSync?.(),
  };
}
