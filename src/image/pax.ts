/**
 * tar-stream decodes every PAX record as UTF-8, which mangles binary extended attributes
 * (security.capability is a little-endian struct, not text). This swaps in a decoder that
 * keeps `SCHILY.xattr.*` values byte for byte, as latin1 strings (one char per byte), so
 * unpack.ts can turn them back into the exact bytes with Buffer.from(value, 'latin1').
 * The record format is "<length> <key>=<value>\n" (POSIX pax, "pax Extended Header").
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type PaxDecoder = (buf: Buffer) => Record<string, string>;
let installed = false;

export const XATTR_PREFIX = 'SCHILY.xattr.';

export function keepXattrBytes(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  // tar-stream's package "exports" hides headers.js; a path bypasses that, and it is the
  // same module object extract.js calls `headers.decodePax` on.
  const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as { decodePax: PaxDecoder };
  headers.decodePax = decodePaxBytes;
  installed = true;
}

export function decodePaxBytes(buf: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let at = 0;
  while (at < buf.length) {
    const space = buf.indexOf(0x20, at);
    if (space < 0) break;
    const length = parseInt(buf.toString('latin1', at, space), 10);
    if (!length || at + length > buf.length) break;
    const record = buf.subarray(space + 1, at + length - 1); // without the trailing "\n"
    const eq = record.indexOf(0x3d);
    if (eq < 0) break;
    const key = record.toString('utf8', 0, eq);
    result[key] = record.toString(key.startsWith(XATTR_PREFIX) ? 'latin1' : 'utf8', eq + 1);
    at += length;
  }
  return result;
}
