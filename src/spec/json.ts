/**
 * JSON in and out, without losing 64-bit integers.
 *
 * config.json carries uint64/int64 values (rlimits, memory limits, seccomp argument values)
 * and RLIM_INFINITY is 18446744073709551615. JSON.parse() makes every number a double,
 * exact only up to 2^53, so that value would silently become 2^64, one past the largest
 * u64. The reviver below reads the number's source text (the ES2025 "JSON.parse source text
 * access" the reviver's third argument gives, Node >= 21) and keeps integers that a double
 * cannot hold as exact bigints. `stringifyJson` writes them back as plain JSON numbers.
 */

/** What JSON.parse passes as the reviver's third argument for primitive values. */
interface ReviverContext {
  source?: string;
}

function keepBigIntegers(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined &&
      /^-?\d+$/.test(context.source)) {
    return BigInt(context.source);
  }
  return value;
}

/** JSON.parse, with integers beyond ±(2^53-1) as bigints. Throws SyntaxError like JSON.parse. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, keepBigIntegers);
}

/** JSON.rawJSON (ES2025) is not in TypeScript's lib yet; this is its shape. */
const rawJson = (JSON as JSON & { rawJSON(text: string): unknown }).rawJSON;

/** JSON.stringify that writes bigints as JSON numbers (18446744073709551615, not an error). */
export function stringifyJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? rawJson(v.toString()) : v), indent);
}
