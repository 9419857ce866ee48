/**
 * Netlink bytes without root: our requests against the bytes `ip` sends for the same
 * command (captured with `strace -e trace=sendmsg -e write=3 ip …` on iproute2 6.1), and
 * the parser against replies captured the same way (`-e read=3`) or built by hand.
 */
import { describe, expect, it } from 'vitest';
import { AF_INET, IFLA_IFNAME, IFLA_INFO_KIND, IFLA_LINKINFO, NLMSG_DONE, NLMSG_ERROR, NLM_F_ACK, NLM_F_DUMP_INTR, NLM_F_MULTI, NLM_F_REQUEST,
  RTM_NEWLINK } from '../../src/network/netlink/constants.js';
import { attr, encodeAttrs, encodeMessage, ifinfomsg, parseAttrs, parseError, parseMessages, readString, str, u32 } from '../../src/network/netlink/message.js';
import { formatIp, formatMac, parseCidr, parseIp, parseMac } from '../../src/network/netlink/ip.js';
import { NetlinkError, Replies } from '../../src/network/netlink/socket.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** a reply message, as the kernel would send it */
function reply(type: number, flags: number, seq: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + payload.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  header.writeUInt32LE(seq, 8);
  return Buffer.concat([header, payload]);
}

describe('netlink messages are encoded as the kernel expects', () => {
  it('pads every attribute to 4 bytes and counts only header + value in its length', () => {
    const bytes = encodeAttrs([attr(IFLA_IFNAME, str('tsr0')), attr(4, u32(1500))]);
    expect(bytes.toString('hex')).toBe('09000300' + '7473723000' + '000000' + '08000400' + 'dc050000');
  });

  it('nests attributes: the outer length covers the inner ones with their padding', () => {
    const bytes = encodeAttrs([attr(IFLA_LINKINFO, [attr(IFLA_INFO_KIND, Buffer.from('veth'))])]);
    expect(bytes.toString('hex')).toBe('0c001200' + '08000100' + '76657468');
    const outer = parseAttrs(bytes).get(IFLA_LINKINFO)!;
    expect(parseAttrs(outer).get(IFLA_INFO_KIND)!.toString()).toBe('veth');
  });

  it('writes the 16-byte nlmsghdr in host order with the total length, and pads the body', () => {
    const message = encodeMessage(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 0x6b042b56, Buffer.from([1, 2, 3]));
    expect(message.toString('hex')).toBe('13000000' + '1000' + '0500' + '562b046b' + '00000000' + '010203' + '00');
  });

  it('ifinfomsg is 16 bytes: family, pad, type, index, flags, change', () => {
    expect(ifinfomsg({ index: 2, flags: 1, change: 1 }).toString('hex')).toBe('00000000' + '02000000' + '01000000' + '01000000');
  });
});

describe('addresses in netlink are bytes in network order', () => {
  it('parses IPv4 and IPv6 addresses and prints them back', () => {
    expect(parseIp('10.89.0.1')).toEqual({ family: AF_INET, bytes: hex('0a590001') });
    expect(parseIp('fd00::1').bytes.toString('hex')).toBe('fd000000000000000000000000000001');
    expect(parseIp('::ffff:10.0.0.1').bytes.toString('hex')).toBe('00000000000000000000ffff0a000001');
    expect(formatIp(parseIp('fd00:0:0:1::2').bytes)).toBe('fd00:0:0:1::2');
    expect(formatIp(parseIp('::').bytes)).toBe('::');
    expect(formatIp(parseIp('1:2:3:4:5:6:7:8').bytes)).toBe('1:2:3:4:5:6:7:8');
  });

  it('parses CIDRs and refuses bad ones with a sentence', () => {
    expect(parseCidr('10.89.0.2/24').prefix).toBe(24);
    expect(() => parseCidr('10.89.0.2')).toThrow(/not an address with a prefix length/);
    expect(() => parseCidr('10.89.0.2/33')).toThrow(/prefix length is more than 32/);
    expect(() => parseCidr('10.89.0.300/24')).toThrow(/not an IP address/);
  });

  it('parses and prints MAC addresses', () => {
    expect(formatMac(parseMac('02:42:AC:11:00:02'))).toBe('02:42:ac:11:00:02');
    expect(() => parseMac('02:42:ac:11:00')).toThrow(/not a MAC address/);
  });
});

describe('netlink replies are parsed', () => {
  it('reads an NLMSG_ERROR with extended ack: errno and the kernel\'s sentence (captured from `ip addr add` of an existing address)', () => {
    const datagram = hex(`
      60 00 00 00 02 00 00 02  87 2b 04 6b c1 4b 00 00
      ef ff ff ff 28 00 00 00  14 00 05 06 87 2b 04 6b
      00 00 00 00 02 18 00 00  02 00 00 00 08 00 02 00
      0a 59 00 01 08 00 01 00  0a 59 00 01 23 00 01 00
      69 70 76 34 3a 20 41 64  64 72 65 73 73 20 61 6c
      72 65 61 64 79 20 61 73  73 69 67 6e 65 64 00 00`);
    const [message] = parseMessages(datagram);
    expect(message.type).toBe(NLMSG_ERROR);
    expect(parseError(message)).toEqual({ errno: 17, extack: 'ipv4: Address already assigned' });
    let error: unknown;
    try {
      new Replies(0x6b042b87, 'RTM_NEWADDR 10.89.0.1/24 dev tsr0').take(datagram);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(NetlinkError);
    expect((error as NetlinkError).message).toBe('RTM_NEWADDR 10.89.0.1/24 dev tsr0: EEXIST (ipv4: Address already assigned)');
    expect((error as NetlinkError).errno).toBe(17);
    expect((error as NetlinkError).code).toBe('EEXIST');
  });

  it('an ack (error 0, NLM_F_CAPPED) ends a request; replies to another sequence number are skipped (captured from `ip link set up`)', () => {
    const stale = hex(`34000000 02000000 00000000 c64b0000 edffffff 20000000 10000500 00000000
      00000000 00000000 00000000 00000000 00000000`);
    const ack = hex('24000000 02000001 872b046b c64b0000 00000000 20000000 10000500 872b046b 00000000');
    const replies = new Replies(0x6b042b87, 'RTM_NEWLINK tsr0: set up');
    expect(replies.take(stale)).toBe(false);
    expect(replies.take(ack)).toBe(true);
    expect(replies.payloads).toEqual([]);
  });

  it('collects a multi-part dump across datagrams until NLMSG_DONE', () => {
    const link = (index: number, name: string) => Buffer.concat([ifinfomsg({ index }), encodeAttrs([attr(IFLA_IFNAME, str(name))])]);
    const first = Buffer.concat([reply(RTM_NEWLINK, NLM_F_MULTI, 9, link(1, 'lo')), reply(RTM_NEWLINK, NLM_F_MULTI, 9, link(2, 'tsr0'))]);
    const second = Buffer.concat([reply(RTM_NEWLINK, NLM_F_MULTI, 9, link(3, 'veth0')), reply(NLMSG_DONE, NLM_F_MULTI, 9, u32(0))]);
    const replies = new Replies(9, 'RTM_GETLINK (dump)');
    expect(replies.take(first)).toBe(false);
    expect(replies.take(second)).toBe(true);
    expect(replies.payloads.map((p) => readString(parseAttrs(p.subarray(16)).get(IFLA_IFNAME)))).toEqual(['lo', 'tsr0', 'veth0']);
  });

  it('notes a dump interrupted by a concurrent change (NLM_F_DUMP_INTR), so that it is asked again', () => {
    const replies = new Replies(4, 'RTM_GETLINK (dump)');
    expect(replies.take(reply(RTM_NEWLINK, NLM_F_MULTI | NLM_F_DUMP_INTR, 4, ifinfomsg({ index: 1 })))).toBe(false);
    expect(replies.take(reply(NLMSG_DONE, NLM_F_MULTI | NLM_F_DUMP_INTR, 4, u32(0)))).toBe(true);
    expect(replies.interrupted).toBe(true);
  });

  it('a dump that fails reports the errno carried by NLMSG_DONE', () => {
    const done = reply(NLMSG_DONE, NLM_F_MULTI, 3, u32(-22 >>> 0));
    expect(() => new Replies(3, 'RTM_GETROUTE (dump)').take(done)).toThrow('RTM_GETROUTE (dump): EINVAL');
  });

  it('refuses a truncated message instead of reading past it', () => {
    const bad = reply(RTM_NEWLINK, 0, 1, Buffer.alloc(16));
    bad.writeUInt32LE(200, 0);
    expect(() => parseMessages(bad)).toThrow(/malformed reply/);
  });
});
