/**
 * POSIX resource limits (setrlimit(2)) as config.json names them.
 *
 * OCI runtime-spec config.md#posix-process: `type` is a resource from getrlimit(2)
 * ("RLIMIT_NOFILE"), `soft` and `hard` are uint64, and the runtime MUST generate an error
 * for a type that cannot be mapped to a kernel interface or that appears twice.
 */

/** Every resource getrlimit(2) documents on Linux. */
export const RLIMIT_TYPES = [
  'RLIMIT_AS', 'RLIMIT_CORE', 'RLIMIT_CPU', 'RLIMIT_DATA', 'RLIMIT_FSIZE', 'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK', 'RLIMIT_MSGQUEUE', 'RLIMIT_NICE', 'RLIMIT_NOFILE', 'RLIMIT_NPROC',
  'RLIMIT_RSS', 'RLIMIT_RTPRIO', 'RLIMIT_RTTIME', 'RLIMIT_SIGPENDING', 'RLIMIT_STACK',
] as const;

export type RlimitType = (typeof RLIMIT_TYPES)[number];

/** RLIM_INFINITY: the all-ones rlim_t, 2^64-1 on every 64-bit ABI. */
export const RLIM_INFINITY = (1n << 64n) - 1n;

/**
 * A uint64 limit as a bigint.
 *
 * JSON.parse() turns numbers into doubles, which are exact only up to 2^53. loadSpec()
 * (src/spec/json.ts) keeps larger integers exact as bigints; a plain number can still
 * arrive from code that built a Spec by hand. Such a number at or beyond 2^64 can only have
 * meant "unlimited" (18446744073709551615 rounds up to 2^64 as a double), so it is clamped
 * to RLIM_INFINITY instead of overflowing the kernel's u64.
 */
export function rlimitValue(value: number | bigint): bigint {
  const big = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  return big > RLIM_INFINITY ? RLIM_INFINITY : big;
}

/** "RLIMIT_NOFILE" -> "NOFILE", the form the plan's setrlimit step carries. */
export function rlimitResource(type: RlimitType): string {
  return type.slice('RLIMIT_'.length);
}
