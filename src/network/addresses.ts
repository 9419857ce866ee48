/**
 * IP addresses on links: `ip addr add CIDR dev IFNAME` and `ip addr show` through
 * RTM_NEWADDR / RTM_GETADDR (rtnetlink(7), include/uapi/linux/if_addr.h).
 */
import { AF_INET, AF_UNSPEC, IFA_ADDRESS, IFA_LOCAL, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, RTM_GETADDR, RTM_NEWADDR,
  RT_SCOPE_UNIVERSE } from './netlink/constants.js';
import { formatIp, parseCidr } from './netlink/ip.js';
import { attr, encodeAttrs, ifaddrmsg, parseAttrs } from './netlink/message.js';
import { NetlinkError, type Netlink } from './netlink/socket.js';
import { getLink, listLinks } from './links.js';

function linkIndex(nl: Netlink, ifname: string, what: string): number {
  const link = getLink(nl, ifname);
  if (!link) throw new NetlinkError(what, 19 /* ENODEV */, `no interface named ${ifname}`);
  return link.index;
}

/** The body of RTM_NEWADDR: struct ifaddrmsg, IFA_LOCAL and IFA_ADDRESS. */
function addressBody(index: number, cidr: string): Buffer {
  const { family, bytes, prefix } = parseCidr(cidr);
  // For a non-point-to-point link IFA_LOCAL (the interface's own address) and IFA_ADDRESS
  // (the peer's, which is the same here) are equal; `ip addr add` sends both too.
  return Buffer.concat([
    ifaddrmsg({ family, prefixlen: prefix, scope: RT_SCOPE_UNIVERSE, index }),
    encodeAttrs([attr(IFA_LOCAL, bytes), attr(IFA_ADDRESS, bytes)]),
  ]);
}

/** `ip addr add 10.89.0.2/24 dev eth0` (IPv4 or IPv6). The kernel adds the subnet's route with it. */
export function addAddress(nl: Netlink, ifname: string, cidr: string): void {
  const what = `RTM_NEWADDR ${cidr} dev ${ifname}`;
  const body = addressBody(linkIndex(nl, ifname, what), cidr);
  nl.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, body, what);
}

/** `ip addr show [dev IFNAME]`: every address, as "10.89.0.2/24" with its link's name. */
export function listAddresses(nl: Netlink, ifname?: string): { ifname: string; cidr: string }[] {
  const names = new Map(listLinks(nl).map((l) => [l.index, l.name]));
  const out: { ifname: string; cidr: string }[] = [];
  for (const reply of nl.request(RTM_GETADDR, NLM_F_DUMP, ifaddrmsg({ family: AF_UNSPEC }), 'RTM_GETADDR (dump)')) {
    const family = reply.readUInt8(0);
    const prefix = reply.readUInt8(1);
    const name = names.get(reply.readUInt32LE(4)) ?? `if${reply.readUInt32LE(4)}`;
    const attrs = parseAttrs(reply.subarray(8));
    // IFA_LOCAL is the interface's own address for IPv4; IPv6 sends only IFA_ADDRESS.
    const bytes = (family === AF_INET ? attrs.get(IFA_LOCAL) : undefined) ?? attrs.get(IFA_ADDRESS);
    if (!bytes || (ifname !== undefined && name !== ifname)) continue;
    out.push({ ifname: name, cidr: `${formatIp(bytes)}/${prefix}` });
  }
  return out;
}
