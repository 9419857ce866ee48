/**
 * One error type for everything the runtime reports to a user.
 *
 * The message says what failed, where and why: "create web: step 7/23 mount proc on /proc:
 * EPERM (Operation not permitted)". The CLI prints it after "ts-runc: ", and with
 * `--log-format json` it is the last log line's `msg`, which containerd reads.
 */
import { constants } from 'node:os';

export class RuntimeError extends Error {
  /** errno name ("EPERM") when a system call failed. */
  readonly code?: string;
  /** exit status the CLI should use. */
  readonly exitCode: number;

  constructor(message: string, options: { code?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RuntimeError';
    this.code = options.code;
    this.exitCode = options.exitCode ?? 1;
  }
}

/**
 * A plan step the C init could not do: which one (its 0-based index and op, steps.ts) and
 * the errno the kernel gave, as data, for callers that decide on them (a library user, a
 * test): `error instanceof StepError && error.op === 'mount' && error.code === 'EPERM'`.
 */
export class StepError extends RuntimeError {
  constructor(
    message: string,
    readonly index: number,
    readonly op: string,
    /** 0 when the failure was not a system call's */
    readonly errno: number,
    options: { code?: string; cause?: unknown } = {},
  ) {
    super(message, options);
    this.name = 'StepError';
  }
}

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** "EPERM" for 1, "errno 999" for numbers the platform doesn't name. */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

/** Node's system errors carry `code` ("ENOENT"); this reads it without `any`. */
export function errorCode(error: unknown): string | undefined {
  if (error instanceof Error && 'code' in error && typeof error.code === 'string') return error.code;
  return undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
