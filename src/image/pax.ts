/**
 * tar-stream encodes and decodes every PAX record as UTF-8, which mangles binary extended
 * attributes (security.capability, a file capability, is a little-endian struct, not text).
 * This swaps in an encoder and a decoder that keep `SCHILY.xattr.*` values byte for byte,
 * as latin1 strings (one char per byte): unpack.ts turns them back into the exact bytes
 * with Buffer.from(value, 'latin1'), and tar-tree.ts (commit, export) hands them in that way.
 * The record format is "<length> <key>=<value>\n" (POSIX pax, "pax Extended Header"); the
 * length prefix, not the newline, ends a record, so a value may hold any byte.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

type PaxDecoder = (buf: Buffer) => Record<string, string>;
type PaxEncoder = (opts: { name?: string; linkname?: string; pax?: Record<string, string> }) => Buffer;
let installed = false;

export const XATTR_PREFIX = 'SCHILY.xattr.';

export function keepXattrBytes(): void {
  if (installed) return;
  const require = createRequire(import.meta.url);
  // tar-stream's package "exports" hides headers.js; a path bypasses that, and it is the
  // same module object extract.js calls `headers.decodePax` on.
  const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as { decodePax: PaxDecoder; encodePax: PaxEncoder };
  headers.decodePax = decodePaxBytes;
  headers.encodePax = encodePaxBytes;
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

/** tar-stream's encodePax (path, linkpath, then the records), with xattr values as bytes. */
export function encodePaxBytes(opts: { name?: string; linkname?: string; pax?: Record<string, string> }): Buffer {
  const records: Buffer[] = [];
  const record = (key: string, value: Buffer) => {
    const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
    // The length counts its own digits: 9 bytes of body make "10 …" (11 bytes in all).
    let digits = String(body.length).length;
    if (body.length + digits >= 10 ** digits) digits++;
    records.push(Buffer.from(String(body.length + digits)), body);
  };
  if (opts.name) record('path', Buffer.from(opts.name, 'utf8'));
  if (opts.linkname) record('linkpath', Buffer.from(opts.linkname, 'utf8'));
  for (const [key, value] of Object.entries(opts.pax ?? {})) {
    record(key, Buffer.from(value, key.startsWith(XATTR_PREFIX) ? 'latin1' : 'utf8'));
  }
  return Buffer.concat(records);
}
