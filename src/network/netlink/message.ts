/**
 * Netlink messages as bytes: the builder and the parser (netlink(7), rtnetlink(7)).
 *
 *   message   := nlmsghdr body
 *   nlmsghdr  := len:u32 type:u16 flags:u16 seq:u32 pid:u32       (16 bytes, host order)
 *   body      := fixed header (ifinfomsg, ifaddrmsg, rtmsg…) attributes
 *   attribute := len:u16 type:u16 value, padded to 4 bytes        (struct rtattr)
 *
 * An attribute's value is either bytes or more attributes (nesting: IFLA_LINKINFO holds
 * IFLA_INFO_KIND and IFLA_INFO_DATA). `len` counts the 4-byte header and the value, not the
 * padding. Numbers are in the host's byte order; IP addresses in network order.
 * Everything here is pure: test/unit/netlink-message.test.ts checks it byte by byte.
 */
import { RuntimeError } from '../../errors.js';
import { NLA_TYPE_MASK, NLMSG_HDRLEN, NLMSGERR_ATTR_MSG, NLMSGERR_ATTR_OFFS, NLM_F_ACK_TLVS, NLM_F_CAPPED } from './constants.js';

/** An attribute to send: raw bytes, or nested attributes. */
export interface Attr {
  type: number;
  value: Buffer | Attr[];
}

export const attr = (type: number, value: Buffer | Attr[]): Attr => ({ type, value });

/** Netlink is host-endian; every machine ts-runc runs on (x86_64, arm64) is little-endian. */
export function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0);
  return b;
}

/** A string attribute carries its terminating NUL (the kernel's NLA_NUL_STRING / nla_strscpy). */
export function str(value: string): Buffer {
  return Buffer.concat([Buffer.from(value, 'utf8'), Buffer.alloc(1)]);
}

const align4 = (n: number) => (n + 3) & ~3;

export function encodeAttrs(attrs: Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const value = Buffer.isBuffer(a.value) ? a.value : encodeAttrs(a.value);
    const header = Buffer.alloc(4);
    header.writeUInt16LE(4 + value.length, 0);
    header.writeUInt16LE(a.type, 2);
    parts.push(header, value, Buffer.alloc(align4(value.length) - value.length));
  }
  return Buffer.concat(parts);
}

/** A whole message: the header, then the body padded to 4 bytes. */
export function encodeMessage(type: number, flags: number, seq: number, body: Buffer): Buffer {
  const header = Buffer.alloc(NLMSG_HDRLEN);
  header.writeUInt32LE(NLMSG_HDRLEN + body.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  header.writeUInt32LE(seq >>> 0, 8);
  header.writeUInt32LE(0, 12); // nlmsg_pid: 0 lets the kernel fill in our port id
  return Buffer.concat([header, body, Buffer.alloc(align4(body.length) - body.length)]);
}

/** struct ifinfomsg (16 bytes): the fixed part of every link message. */
export function ifinfomsg(fields: { family?: number; type?: number; index?: number; flags?: number; change?: number } = {}): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt8(fields.family ?? 0, 0);
  b.writeUInt16LE(fields.type ?? 0, 2);
  b.writeInt32LE(fields.index ?? 0, 4);
  b.writeUInt32LE(fields.flags ?? 0, 8);
  b.writeUInt32LE(fields.change ?? 0, 12);
  return b;
}

/** struct ifaddrmsg (8 bytes): family, prefix length, flags, scope, interface index. */
export function ifaddrmsg(fields: { family: number; prefixlen?: number; flags?: number; scope?: number; index?: number }): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(fields.family, 0);
  b.writeUInt8(fields.prefixlen ?? 0, 1);
  b.writeUInt8(fields.flags ?? 0, 2);
  b.writeUInt8(fields.scope ?? 0, 3);
  b.writeUInt32LE(fields.index ?? 0, 4);
  return b;
}

/** struct rtmsg (12 bytes): family, dst_len, src_len, tos, table, protocol, scope, type, flags. */
export function rtmsg(fields: { family: number; dstLen?: number; table?: number; protocol?: number; scope?: number; type?: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt8(fields.family, 0);
  b.writeUInt8(fields.dstLen ?? 0, 1);
  b.writeUInt8(fields.table ?? 0, 4);
  b.writeUInt8(fields.protocol ?? 0, 5);
  b.writeUInt8(fields.scope ?? 0, 6);
  b.writeUInt8(fields.type ?? 0, 7);
  return b;
}

/** One message as received. */
export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** everything after the 16-byte header */
  payload: Buffer;
}

/** Split what one recv(2) returned into messages (a datagram may hold several). */
export function parseMessages(data: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let at = 0;
  while (at + NLMSG_HDRLEN <= data.length) {
    const len = data.readUInt32LE(at);
    if (len < NLMSG_HDRLEN || at + len > data.length) {
      throw new RuntimeError(`netlink: malformed reply (message of ${len} bytes at offset ${at} of ${data.length})`);
    }
    out.push({
      type: data.readUInt16LE(at + 4),
      flags: data.readUInt16LE(at + 6),
      seq: data.readUInt32LE(at + 8),
      pid: data.readUInt32LE(at + 12),
      payload: data.subarray(at + NLMSG_HDRLEN, at + len),
    });
    at += align4(len);
  }
  return out;
}

/** The attributes in `data`, by type (flag bits such as NLA_F_NESTED masked off). Later ones win. */
export function parseAttrs(data: Buffer): Map<number, Buffer> {
  const attrs = new Map<number, Buffer>();
  let at = 0;
  while (at + 4 <= data.length) {
    const len = data.readUInt16LE(at);
    if (len < 4 || at + len > data.length) break; // truncated: keep what was whole
    attrs.set(data.readUInt16LE(at + 2) & NLA_TYPE_MASK, data.subarray(at + 4, at + len));
    at += align4(len);
  }
  return attrs;
}

/** A NUL-terminated string attribute's text. */
export function readString(value: Buffer | undefined): string | undefined {
  if (!value) return undefined;
  const end = value.indexOf(0);
  return value.toString('utf8', 0, end < 0 ? value.length : end);
}

/**
 * The payload of an NLMSG_ERROR (struct nlmsgerr): error:i32 (0 = ack, else -errno), then
 * the request's nlmsghdr (and, unless NLM_F_CAPPED, its body), then with NLM_F_ACK_TLVS the
 * extended ack attributes: NLMSGERR_ATTR_MSG is the kernel's sentence ("Invalid prefix for
 * given prefix length"), NLMSGERR_ATTR_OFFS the offset in the request of the bad attribute.
 */
export function parseError(message: NlMessage): { errno: number; extack?: string; offset?: number } {
  const p = message.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new RuntimeError(`netlink: NLMSG_ERROR of ${p.length} bytes is too short`);
  const errno = -p.readInt32LE(0);
  if (!(message.flags & NLM_F_ACK_TLVS)) return { errno };
  const echoedLen = message.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : p.readUInt32LE(4);
  const attrs = parseAttrs(p.subarray(4 + align4(echoedLen)));
  const offset = attrs.get(NLMSGERR_ATTR_OFFS)?.readUInt32LE(0);
  return { errno, extack: readString(attrs.get(NLMSGERR_ATTR_MSG)), ...(offset === undefined ? {} : { offset }) };
}
