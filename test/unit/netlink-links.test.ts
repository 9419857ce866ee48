/**
 * What links.ts, addresses.ts and routes.ts send, checked without root against a
 * recording stand-in for the socket. Where our request is the one `ip` sends, the expected
 * bytes are iproute2 6.1's, captured with `strace -e trace=sendmsg -e write=3 ip …`
 * (same sequence number, 0x6b042b56); where we name the link by IFLA_IFNAME instead of
 * looking its index up first, they are worked out by hand from rtnetlink(7).
 */
import { describe, expect, it } from 'vitest';
import { IFLA_IFNAME, NLM_F_ACK, NLM_F_REQUEST, RTM_GETLINK } from '../../src/network/netlink/constants.js';
import { attr, encodeAttrs, encodeMessage, ifinfomsg, parseAttrs, readString, str } from '../../src/network/netlink/message.js';
import { NetlinkError, type Netlink } from '../../src/network/netlink/socket.js';
import { createBridge, createVethPair, deleteLink, getLink, renameLink, setHairpin, setLinkUp, setMaster } from '../../src/network/links.js';
import { addAddress } from '../../src/network/addresses.js';
import { addRoute } from '../../src/network/routes.js';

const SEQ = 0x6b042b56;
const hex = (text: string) => text.replace(/\s+/g, '');

interface Sent { type: number; flags: number; body: Buffer; what: string }

/** Answers RTM_GETLINK from a table of links and records every other request. */
function fakeNetlink(links: Record<string, number> = {}, refuse?: { errno: number; extack?: string }) {
  const sent: Sent[] = [];
  const nl = {
    request(type: number, flags: number, body: Buffer, what: string): Buffer[] {
      if (type === RTM_GETLINK) {
        const name = readString(parseAttrs(body.subarray(16)).get(IFLA_IFNAME))!;
        if (links[name] === undefined) throw new NetlinkError(what, 19);
        return [Buffer.concat([ifinfomsg({ index: links[name] }), encodeAttrs([attr(IFLA_IFNAME, str(name))])])];
      }
      sent.push({ type, flags, body, what });
      if (refuse) throw new NetlinkError(what, refuse.errno, refuse.extack);
      return [];
    },
  };
  return { nl: nl as unknown as Netlink, sent };
}

/** the bytes on the wire for a recorded request (Netlink.request adds REQUEST|ACK) */
const wire = (s: Sent) => encodeMessage(s.type, s.flags | NLM_F_REQUEST | NLM_F_ACK, SEQ, s.body).toString('hex');

describe('link requests', () => {
  it('createBridge sends the bytes of `ip link add tsr0 type bridge`', () => {
    const { nl, sent } = fakeNetlink();
    createBridge(nl, 'tsr0');
    expect(wire(sent[0])).toBe(hex(`3c000000 10000506 562b046b 00000000 00000000 00000000 00000000 00000000
      09000300 74737230 00000000 10001200 0a000100 62726964 67650000`));
  });

  it('createVethPair puts the peer (its ifinfomsg, netns pid and name) inside IFLA_INFO_DATA, as `ip link add vh0 type veth peer name eth0 netns 18103`', () => {
    const { nl, sent } = fakeNetlink();
    createVethPair(nl, 'vh0', { name: 'eth0', netnsPid: 18103 });
    expect(wire(sent[0])).toBe(hex(`60000000 10000506 562b046b 00000000 00000000 00000000 00000000 00000000
      08000300 76683000 38001200 08000100 76657468 2c000200 28000100 00000000
      00000000 00000000 00000000 08001300 b7460000 09000300 65746830 00000000`));
    expect(sent[0].what).toBe('RTM_NEWLINK veth vh0 (peer eth0 in netns of pid 18103)');
  });

  it('setHairpin sends the bytes of `bridge link set dev v0 hairpin on` (RTM_SETLINK, AF_BRIDGE, nested IFLA_PROTINFO)', () => {
    const { nl, sent } = fakeNetlink({ v0: 4 });
    setHairpin(nl, 'v0');
    expect(wire(sent[0])).toBe(hex(`2c000000 13000500 562b046b 00000000 07000000 04000000 00000000 00000000
      0c000c80 05000400 01000000`));
  });

  it('setLinkUp names the link by IFLA_IFNAME and changes only IFF_UP', () => {
    const { nl, sent } = fakeNetlink();
    setLinkUp(nl, 'tsr0');
    setLinkUp(nl, 'tsr0', false);
    // nlmsghdr (RTM_NEWLINK, REQUEST|ACK), ifinfomsg{flags IFF_UP, change IFF_UP}, IFLA_IFNAME "tsr0"
    expect(wire(sent[0])).toBe(hex(`2c000000 10000500 562b046b 00000000 00000000 00000000 01000000 01000000
      09000300 74737230 00000000`));
    expect(wire(sent[1])).toBe(hex(`2c000000 10000500 562b046b 00000000 00000000 00000000 00000000 01000000
      09000300 74737230 00000000`));
  });

  it('setMaster sends the bridge\'s index in IFLA_MASTER, and 0 for nomaster', () => {
    const { nl, sent } = fakeNetlink({ tsr0: 2 });
    setMaster(nl, 'vh0', 'tsr0');
    setMaster(nl, 'vh0', null);
    const master = (s: Sent) => parseAttrs(s.body.subarray(16)).get(10)!.readUInt32LE(0);
    expect([master(sent[0]), master(sent[1])]).toEqual([2, 0]);
    expect(() => setMaster(nl, 'vh0', 'nope')).toThrow('RTM_GETLINK nope: ENODEV (no such interface)');
  });

  it('renameLink addresses the link by index and carries the new name', () => {
    const { nl, sent } = fakeNetlink({ veth1: 7 });
    renameLink(nl, 'veth1', 'eth0');
    expect(sent[0].body.readInt32LE(4)).toBe(7);
    expect(readString(parseAttrs(sent[0].body.subarray(16)).get(IFLA_IFNAME))).toBe('eth0');
  });

  it('refuses an interface name the kernel would refuse, before sending anything', () => {
    const { nl, sent } = fakeNetlink();
    expect(() => createBridge(nl, 'a-name-that-is-too-long')).toThrow(/not a valid interface name/);
    expect(() => createVethPair(nl, 'vh0', { name: 'eth 0' })).toThrow(/not a valid interface name/);
    expect(sent).toEqual([]);
  });

  it('deleteLink is quiet about a link that is already gone, unless told it must exist', () => {
    const { nl } = fakeNetlink({}, { errno: 19 });
    expect(() => deleteLink(nl, 'gone')).not.toThrow();
    expect(() => deleteLink(nl, 'gone', { mustExist: true })).toThrow('RTM_DELLINK gone: ENODEV');
    const busy = fakeNetlink({}, { errno: 1 });
    expect(() => deleteLink(busy.nl, 'tsr0')).toThrow('RTM_DELLINK tsr0: EPERM');
  });

  it('getLink returns undefined for a missing link', () => {
    const { nl } = fakeNetlink({ lo: 1 });
    expect(getLink(nl, 'missing')).toBeUndefined();
    expect(getLink(nl, 'lo')).toMatchObject({ index: 1, name: 'lo', up: false });
  });
});

describe('address and route requests', () => {
  it('addAddress sends the bytes of `ip addr add 10.89.0.1/24 dev tsr0`', () => {
    const { nl, sent } = fakeNetlink({ tsr0: 2 });
    addAddress(nl, 'tsr0', '10.89.0.1/24');
    expect(wire(sent[0])).toBe(hex('28000000 14000506 562b046b 00000000 02180000 02000000 08000200 0a590001 08000100 0a590001'));
  });

  it('addAddress refuses a bad address before sending, and names a missing interface', () => {
    const { nl, sent } = fakeNetlink({ tsr0: 2 });
    expect(() => addAddress(nl, 'tsr0', '10.89.0.1')).toThrow(/not an address with a prefix length/);
    expect(() => addAddress(nl, 'nope', '10.89.0.1/24')).toThrow('RTM_NEWADDR 10.89.0.1/24 dev nope: ENODEV (no interface named nope)');
    expect(sent).toEqual([]);
  });

  it('addRoute sends the bytes of `ip route add 10.90.0.0/16 dev tsr0` (scope link)', () => {
    const { nl, sent } = fakeNetlink({ tsr0: 2 });
    addRoute(nl, { dst: '10.90.0.0/16', ifname: 'tsr0' });
    expect(wire(sent[0])).toBe(hex('2c000000 18000506 562b046b 00000000 02100000 fe03fd01 00000000 08000100 0a5a0000 08000400 02000000'));
  });

  it('addRoute without dst is the default route via the gateway (scope universe)', () => {
    const { nl, sent } = fakeNetlink({ eth0: 3 });
    addRoute(nl, { gateway: '10.89.0.1', ifname: 'eth0' });
    // rtmsg: AF_INET, dst_len 0, table main, proto boot, scope universe, unicast; RTA_GATEWAY, RTA_OIF
    expect(wire(sent[0])).toBe(hex('2c000000 18000506 562b046b 00000000 02000000 fe030001 00000000 08000500 0a590001 08000400 03000000'));
    expect(sent[0].what).toBe('RTM_NEWROUTE default via 10.89.0.1 dev eth0');
    expect(() => addRoute(nl, { ifname: 'eth0' })).toThrow(/a default route needs a gateway/);
  });
});
