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

export function log(): Log {
  return current;
}

export async function setupLogging(options: LogOptions): Promise<void> {
  if (!options.file && !options.debug) return;
  const { default: pino } = await import('pino');
  const destination = options.file
    ? pino.destination({ dest: options.file, append: true, sync: true, mkdir: true })
    : pino.destination({ dest: 2, sync: true });
  const logger: Logger = pino(
    {
      level: options.debug ? 'debug' : 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  const text = options.format === 'text';
  const write = (level: 'debug' | 'info' | 'warn' | 'error') =>
    (msg: string, fields?: Record<string, unknown>) => {
      if (text) destination.write(`${new Date().toISOString()} ${level}: ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
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
