/**
 * Routes in the main table: `ip route add [DST|default] [via GATEWAY] dev IFNAME` and
 * `ip route show`, through RTM_NEWROUTE / RTM_GETROUTE (rtnetlink(7), struct rtmsg).
 */
import { RuntimeError } from '../errors.js';
import { AF_UNSPEC, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, RTA_DST, RTA_GATEWAY, RTA_OIF, RTA_TABLE, RTM_GETROUTE, RTM_NEWROUTE,
  RTN_UNICAST, RTPROT_BOOT, RT_SCOPE_LINK, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN } from './netlink/constants.js';
import { formatIp, parseCidr, parseIp } from './netlink/ip.js';
import { attr, encodeAttrs, parseAttrs, rtmsg, u32, type Attr } from './netlink/message.js';
import { Netlink, NetlinkError } from './netlink/socket.js';
import { getLink, listLinks } from './links.js';

export interface Route {
  /** "10.89.0.0/24", or "default" */
  dst: string;
  gateway?: string;
  ifname: string;
}

/**
 * `ip route add`. Without `dst` it is the default route. A route with a gateway has
 * universe scope (the gateway forwards further); one without is on-link (scope link).
 */
export function addRoute(nl: Netlink, route: { dst?: string; gateway?: string; ifname: string }): void {
  const what = `RTM_NEWROUTE ${route.dst ?? 'default'}${route.gateway ? ` via ${route.gateway}` : ''} dev ${route.ifname}`;
  const dst = route.dst === undefined ? undefined : parseCidr(route.dst);
  const gateway = route.gateway === undefined ? undefined : parseIp(route.gateway);
  const family = dst?.family ?? gateway?.family;
  if (family === undefined) throw new RuntimeError(`${what}: a default route needs a gateway`);
  if (dst && gateway && dst.family !== gateway.family) throw new RuntimeError(`${what}: destination and gateway are of different IP versions`);
  const link = getLink(nl, route.ifname);
  if (!link) throw new NetlinkError(what, 19 /* ENODEV */, `no interface named ${route.ifname}`);
  const attrs: Attr[] = [];
  if (dst) attrs.push(attr(RTA_DST, dst.bytes));
  if (gateway) attrs.push(attr(RTA_GATEWAY, gateway.bytes));
  attrs.push(attr(RTA_OIF, u32(link.index)));
  const header = rtmsg({
    family, dstLen: dst?.prefix ?? 0, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT,
    scope: gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, type: RTN_UNICAST,
  });
  nl.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, Buffer.concat([header, encodeAttrs(attrs)]), what);
}

/** `ip route show` (IPv4 and IPv6): the unicast routes of the main table. */
export function listRoutes(nl: Netlink): Route[] {
  const names = new Map(listLinks(nl).map((l) => [l.index, l.name]));
  const out: Route[] = [];
  for (const reply of nl.request(RTM_GETROUTE, NLM_F_DUMP, rtmsg({ family: AF_UNSPEC }), 'RTM_GETROUTE (dump)')) {
    const attrs = parseAttrs(reply.subarray(12));
    const table = attrs.get(RTA_TABLE)?.readUInt32LE(0) ?? reply.readUInt8(4);
    if (table !== RT_TABLE_MAIN || reply.readUInt8(7) !== RTN_UNICAST) continue;
    const dst = attrs.get(RTA_DST);
    const gateway = attrs.get(RTA_GATEWAY);
    const oif = attrs.get(RTA_OIF)?.readUInt32LE(0) ?? 0;
    out.push({
      dst: dst ? `${formatIp(dst)}/${reply.readUInt8(1)}` : 'default',
      ...(gateway ? { gateway: formatIp(gateway) } : {}),
      ifname: names.get(oif) ?? `if${oif}`,
    });
  }
  return out;
}

/** A route of the host's main table: "10.0.0.0/8" and its device. */
export type HostRoute = Pick<Route, 'dst' | 'ifname'>;

/** `ip -4 route` of our own network namespace, without the default route: what a new network must not shadow. */
export function hostIpv4Routes(): HostRoute[] {
  const nl = Netlink.open();
  try {
    return listRoutes(nl).filter((r) => r.dst !== 'default' && !r.dst.includes(':'));
  } finally {
    nl.close();
  }
}
