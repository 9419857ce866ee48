/**
 * IP and MAC addresses as the bytes netlink carries them: network byte order, 4 bytes for
 * IPv4, 16 for IPv6, 6 for a MAC. Text in, bytes out, and back for what the kernel reports.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { RuntimeError } from '../../errors.js';
import { AF_INET, AF_INET6 } from './constants.js';

export interface IpBytes {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Buffer;
}

export function parseIp(text: string): IpBytes {
  if (isIPv4(text)) return { family: AF_INET, bytes: Buffer.from(text.split('.').map(Number)) };
  if (isIPv6(text)) return { family: AF_INET6, bytes: ipv6Bytes(text) };
  throw new RuntimeError(`"${text}" is not an IP address`);
}

/** "fd00::1", "::ffff:10.0.0.1": expand the "::" run of zero groups and a trailing IPv4 part. */
function ipv6Bytes(text: string): Buffer {
  let groups = text;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    groups = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = groups.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const all = [...left, ...Array<string>(zeros).fill('0'), ...right];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) throw new RuntimeError(`an IP address of ${bytes.length} bytes`);
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2));
  // RFC 5952: the longest run (of two or more) zero groups becomes "::"
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** "10.89.0.2/24" → the address, its family and the prefix length. */
export function parseCidr(cidr: string): IpBytes & { prefix: number } {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!match) throw new RuntimeError(`"${cidr}" is not an address with a prefix length (like 10.89.0.2/24)`);
  const ip = parseIp(match[1]);
  const prefix = Number(match[2]);
  if (prefix > ip.bytes.length * 8) throw new RuntimeError(`"${cidr}": the prefix length is more than ${ip.bytes.length * 8}`);
  return { ...ip, prefix };
}

export function parseMac(text: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) throw new RuntimeError(`"${text}" is not a MAC address (like 02:42:ac:11:00:02)`);
  return Buffer.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function formatMac(bytes: Buffer): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':');
}
