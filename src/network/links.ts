/**
 * Network interfaces (links) through rtnetlink: a bridge, a veth pair whose peer is born in
 * another network namespace, and the settings `ip link set` changes (name, MAC, MTU, up,
 * master). Each function is one RTM_*LINK request (rtnetlink(7), include/uapi/linux/if_link.h).
 *
 * A link is named in a request either by index (struct ifinfomsg) or by IFLA_IFNAME with
 * index 0; the kernel resolves the name itself, which saves a lookup per call.
 */
import { AF_BRIDGE, AF_UNSPEC, IFF_UP, IFLA_BRPORT_MODE, IFLA_PROTINFO, NLA_F_NESTED, RTM_SETLINK, IFLA_ADDRESS, IFLA_IFNAME, IFLA_INFO_DATA, IFLA_INFO_KIND, IFLA_LINKINFO, IFLA_MASTER, IFLA_MTU,
  IFLA_NET_NS_FD, IFLA_NET_NS_PID, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK, VETH_INFO_PEER } from './netlink/constants.js';
import { formatMac, parseMac } from './netlink/ip.js';
import { attr, encodeAttrs, ifinfomsg, parseAttrs, readString, str, u32, type Attr } from './netlink/message.js';
import { NetlinkError, type Netlink } from './netlink/socket.js';
import { RuntimeError } from '../errors.js';

export interface LinkInfo {
  index: number;
  name: string;
  mac: string;
  mtu: number;
  /** administratively up (IFF_UP), as `ip link set up` sets it */
  up: boolean;
  /** the index of the bridge it is attached to */
  master?: number;
  /** "bridge", "veth"…; undefined for physical devices and lo */
  kind?: string;
}

const ENODEV = 19;
/** IFNAMSIZ is 16 with the NUL: the kernel refuses longer names with EINVAL */
const MAX_NAME = 15;

function checkName(name: string): void {
  if (!name || Buffer.byteLength(name) > MAX_NAME || /[\s/:]/.test(name)) {
    throw new RuntimeError(`"${name}" is not a valid interface name (1-${MAX_NAME} bytes, no spaces, "/" or ":")`);
  }
}

/**
 * IFLA_INFO_KIND without a NUL, as iproute2 sends it (the kernel copies it with
 * nla_strscpy, which stops at the attribute's end); the unit tests compare our bytes with
 * `ip link add`'s.
 */
const kind = (name: string) => Buffer.from(name, 'ascii');

/** Attributes for an optional MTU and MAC, shared by the create calls. */
function mtuAndMac(options: { mtu?: number; mac?: string }): Attr[] {
  const attrs: Attr[] = [];
  if (options.mtu !== undefined) attrs.push(attr(IFLA_MTU, u32(options.mtu)));
  if (options.mac !== undefined) attrs.push(attr(IFLA_ADDRESS, parseMac(options.mac)));
  return attrs;
}

/** `ip link add NAME type bridge`: RTM_NEWLINK with IFLA_INFO_KIND "bridge". Fails (EEXIST) if NAME exists. */
export function createBridge(nl: Netlink, name: string, options: { mtu?: number; mac?: string } = {}): void {
  checkName(name);
  const body = Buffer.concat([ifinfomsg({ family: AF_UNSPEC }), encodeAttrs([
    attr(IFLA_IFNAME, str(name)),
    ...mtuAndMac(options),
    attr(IFLA_LINKINFO, [attr(IFLA_INFO_KIND, kind('bridge'))]),
  ])]);
  nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body, `RTM_NEWLINK bridge ${name}`);
}

export interface VethPeer {
  name: string;
  /** create the peer directly in the network namespace of this process… */
  netnsPid?: number;
  /** …or of this open /proc/PID/ns/net or /run/netns/NAME; neither: our own namespace */
  netnsFd?: number;
  /** for both ends: a veth pair must agree on its MTU */
  mtu?: number;
  /** the peer's MAC */
  mac?: string;
}

/**
 * `ip link add NAME type veth peer name PEER netns PID`: one RTM_NEWLINK. The peer's own
 * struct ifinfomsg and attributes go inside IFLA_LINKINFO → IFLA_INFO_DATA → VETH_INFO_PEER
 * (drivers/net/veth.c veth_newlink), so the peer is born in the other namespace: no window
 * where the container's interface exists on the host, and no name clash with host links.
 */
export function createVethPair(nl: Netlink, name: string, peer: VethPeer): void {
  checkName(name);
  checkName(peer.name);
  if (peer.netnsPid !== undefined && peer.netnsFd !== undefined) {
    throw new RuntimeError(`veth ${name}: give the peer's namespace by pid or by fd, not both`);
  }
  // The namespace first, then the name: the order `ip link add … peer netns N name P` sends.
  const peerAttrs: Attr[] = [];
  if (peer.netnsPid !== undefined) peerAttrs.push(attr(IFLA_NET_NS_PID, u32(peer.netnsPid)));
  if (peer.netnsFd !== undefined) peerAttrs.push(attr(IFLA_NET_NS_FD, u32(peer.netnsFd)));
  peerAttrs.push(attr(IFLA_IFNAME, str(peer.name)), ...mtuAndMac(peer));
  const peerInfo = Buffer.concat([ifinfomsg({ family: AF_UNSPEC }), encodeAttrs(peerAttrs)]);
  const body = Buffer.concat([ifinfomsg({ family: AF_UNSPEC }), encodeAttrs([
    attr(IFLA_IFNAME, str(name)),
    ...mtuAndMac({ mtu: peer.mtu }),
    attr(IFLA_LINKINFO, [
      attr(IFLA_INFO_KIND, kind('veth')),
      attr(IFLA_INFO_DATA, [attr(VETH_INFO_PEER, peerInfo)]),
    ]),
  ])]);
  const where = peer.netnsPid !== undefined ? ` in netns of pid ${peer.netnsPid}`
    : peer.netnsFd !== undefined ? ` in netns fd ${peer.netnsFd}` : '';
  nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body, `RTM_NEWLINK veth ${name} (peer ${peer.name}${where})`);
}

/** RTM_NEWLINK without NLM_F_CREATE changes an existing link, named by IFLA_IFNAME. */
function changeLink(nl: Netlink, name: string, header: Buffer, attrs: Attr[], what: string): void {
  nl.request(RTM_NEWLINK, 0, Buffer.concat([header, encodeAttrs([attr(IFLA_IFNAME, str(name)), ...attrs])]), `RTM_NEWLINK ${name}: ${what}`);
}

/** `ip link set NAME up|down`: ifi_change says which flag bits to change, ifi_flags their values. */
export function setLinkUp(nl: Netlink, name: string, up = true): void {
  changeLink(nl, name, ifinfomsg({ flags: up ? IFF_UP : 0, change: IFF_UP }), [], up ? 'set up' : 'set down');
}

/** `ip link set NAME master BRIDGE` (or `nomaster` for null): IFLA_MASTER is the bridge's index, 0 for none. */
export function setMaster(nl: Netlink, name: string, bridge: string | null): void {
  const index = bridge === null ? 0 : requireLink(nl, bridge).index;
  changeLink(nl, name, ifinfomsg(), [attr(IFLA_MASTER, u32(index))], bridge === null ? 'nomaster' : `master ${bridge}`);
}

/**
 * `bridge link set dev NAME hairpin on`: the bridge may send a frame back out of the port it
 * came in by. A container reaching its own published port needs it: the DNAT turns the
 * packet around inside the bridge (br_netfilter), towards the port it came from. The
 * request is RTM_SETLINK of family AF_BRIDGE, which the kernel hands to the port's bridge;
 * the bridge wants IFLA_PROTINFO marked nested, and the port by index.
 */
export function setHairpin(nl: Netlink, name: string, on = true): void {
  const { index } = requireLink(nl, name);
  const mode = attr(IFLA_BRPORT_MODE, Buffer.from([on ? 1 : 0]));
  const body = Buffer.concat([ifinfomsg({ family: AF_BRIDGE, index }), encodeAttrs([attr(IFLA_PROTINFO | NLA_F_NESTED, [mode])])]);
  nl.request(RTM_SETLINK, 0, body, `RTM_SETLINK ${name}: hairpin ${on ? 'on' : 'off'}`);
}

/** `ip link set FROM name TO`: the link is found by index, since IFLA_IFNAME now carries the new name. */
export function renameLink(nl: Netlink, from: string, to: string): void {
  checkName(to);
  const { index } = requireLink(nl, from);
  const body = Buffer.concat([ifinfomsg({ index }), encodeAttrs([attr(IFLA_IFNAME, str(to))])]);
  nl.request(RTM_NEWLINK, 0, body, `RTM_NEWLINK ${from}: rename to ${to}`);
}

export function setMtu(nl: Netlink, name: string, mtu: number): void {
  changeLink(nl, name, ifinfomsg(), [attr(IFLA_MTU, u32(mtu))], `mtu ${mtu}`);
}

export function setMac(nl: Netlink, name: string, mac: string): void {
  changeLink(nl, name, ifinfomsg(), [attr(IFLA_ADDRESS, parseMac(mac))], `address ${mac}`);
}

/**
 * `ip link del NAME`. Quiet when the link is already gone (ENODEV), because teardown runs
 * after crashes too; deleting one end of a veth pair deletes both. `{ mustExist: true }`
 * makes a missing link an error.
 */
export function deleteLink(nl: Netlink, name: string, options: { mustExist?: boolean } = {}): void {
  try {
    nl.request(RTM_DELLINK, 0, Buffer.concat([ifinfomsg(), encodeAttrs([attr(IFLA_IFNAME, str(name))])]), `RTM_DELLINK ${name}`);
  } catch (error) {
    if (error instanceof NetlinkError && error.errno === ENODEV && !options.mustExist) return;
    throw error;
  }
}

/** `ip link show NAME`, or undefined if there is no such link. */
export function getLink(nl: Netlink, name: string): LinkInfo | undefined {
  try {
    const [reply] = nl.request(RTM_GETLINK, 0, Buffer.concat([ifinfomsg(), encodeAttrs([attr(IFLA_IFNAME, str(name))])]), `RTM_GETLINK ${name}`);
    return reply ? parseLink(reply) : undefined;
  } catch (error) {
    if (error instanceof NetlinkError && error.errno === ENODEV) return undefined;
    throw error;
  }
}

function requireLink(nl: Netlink, name: string): LinkInfo {
  const link = getLink(nl, name);
  if (!link) throw new NetlinkError(`RTM_GETLINK ${name}`, ENODEV, 'no such interface');
  return link;
}

/** `ip link show`: every link in the socket's namespace. */
export function listLinks(nl: Netlink): LinkInfo[] {
  return nl.request(RTM_GETLINK, NLM_F_DUMP, ifinfomsg(), 'RTM_GETLINK (dump)').map(parseLink);
}

/** An RTM_NEWLINK reply: struct ifinfomsg, then attributes. */
export function parseLink(payload: Buffer): LinkInfo {
  const attrs = parseAttrs(payload.subarray(16));
  const linkinfo = attrs.get(IFLA_LINKINFO);
  const kind = linkinfo ? readString(parseAttrs(linkinfo).get(IFLA_INFO_KIND)) : undefined;
  const master = attrs.get(IFLA_MASTER)?.readUInt32LE(0);
  const address = attrs.get(IFLA_ADDRESS);
  return {
    index: payload.readInt32LE(4),
    name: readString(attrs.get(IFLA_IFNAME)) ?? '',
    mac: address ? formatMac(address) : '',
    mtu: attrs.get(IFLA_MTU)?.readUInt32LE(0) ?? 0,
    up: (payload.readUInt32LE(8) & IFF_UP) !== 0,
    ...(master ? { master } : {}),
    ...(kind ? { kind } : {}),
  };
}
