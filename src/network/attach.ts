/**
 * The links of a container on a bridge network, made through rtnetlink (links.ts,
 * addresses.ts, routes.ts):
 *
 *   host netns                                   container netns
 *   bridge (gateway/prefix, up) ◄─ tsr<hash> ═══ eth0 (ip/prefix, up; default via gateway)
 *
 * Host-side requests go through a socket opened in ts-runc's own network namespace;
 * container-side ones through the socket the C init opened inside the container's new one
 * (Node never setns(2)s). The peer is born in the container's namespace under a temporary
 * name and renamed eth0 there, so it never shows up, nor clashes, on the host.
 */
import { sha256Hex } from '../crypto.js';
import { RuntimeError, errorMessage } from '../errors.js';
import { kernelFiles } from '../sys/kernel-files.js';
import { addAddress } from './addresses.js';
import { createBridge, createVethPair, deleteLink, getLink, renameLink, setHairpin, setLinkUp, setMaster } from './links.js';
import type { Netlink } from './netlink/socket.js';
import { addRoute } from './routes.js';

/** Host end of a container's veth: "tsr" + 12 hex of sha256(root, id): unique per container, 15 bytes. */
export function hostVethName(root: string, id: string): string {
  return `tsr${sha256Hex(`${root}\0${id}`).slice(0, 12)}`;
}

/** A sysctl of the namespace this process is in: /proc/sys/net follows the writer's netns. */
function sysctl(key: string, value: string): void {
  const path = `/proc/sys/${key}`;
  try {
    kernelFiles().write(path, value);
  } catch (error) {
    throw new RuntimeError(`write ${value} to ${path}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * One change to the links, as data: `create` applies these (applyLinkOp) and `ts-runc
 * explain` prints the same list, so the two cannot tell different stories. `side` says
 * which network namespace it happens in: the host's (ts-runc's own) or the container's,
 * through the netlink socket the init opened there.
 */
export type LinkOp =
  /** RTM_NEWLINK, IFLA_INFO_KIND "bridge" (ip link add NAME type bridge) */
  | { op: 'create-bridge'; side: 'host'; name: string }
  /** RTM_NEWLINK, IFLA_INFO_KIND "veth", the peer born in the container's netns (IFLA_NET_NS_PID) */
  | { op: 'create-veth'; side: 'host'; name: string; peer: string; netnsPid: number; mac?: string }
  /** RTM_NEWLINK IFLA_MASTER: the host end becomes a port of the bridge */
  | { op: 'set-master'; side: 'host'; ifname: string; bridge: string }
  /** RTM_SETLINK AF_BRIDGE IFLA_BRPORT_MODE: a frame may leave by the port it came in by */
  | { op: 'hairpin'; side: 'host'; ifname: string }
  /** RTM_NEWLINK IFLA_IFNAME on the index: the peer's temporary name becomes eth0 */
  | { op: 'rename'; side: 'container'; from: string; to: string }
  /** RTM_NEWADDR (ip addr add CIDR dev IFNAME) */
  | { op: 'add-address'; side: 'host' | 'container'; ifname: string; cidr: string }
  /** RTM_NEWLINK ifi_flags IFF_UP (ip link set IFNAME up) */
  | { op: 'link-up'; side: 'host' | 'container'; ifname: string }
  /** RTM_NEWROUTE 0.0.0.0/0 via GATEWAY dev IFNAME */
  | { op: 'default-route'; side: 'container'; ifname: string; gateway: string }
  /** write VALUE to /proc/sys/KEY (a path: a bridge's name may hold a dot), in ts-runc's own netns */
  | { op: 'sysctl'; side: 'host'; key: string; value: string };

/** A new network namespace has only `lo`, and it is down (network_namespaces(7)); runc brings it up too. */
export const LOOPBACK_UP: LinkOp = { op: 'link-up', side: 'container', ifname: 'lo' };

/** Apply one op: `host` is a netlink socket in ts-runc's netns, `container` one in the container's. */
export function applyLinkOp(op: LinkOp, sockets: { host?: Netlink; container?: Netlink }): void {
  const nl = op.side === 'host' ? sockets.host : sockets.container;
  if (!nl && op.op !== 'sysctl') throw new RuntimeError(`${op.op}: no netlink socket in the ${op.side}'s network namespace`);
  switch (op.op) {
    case 'create-bridge': return createBridge(nl!, op.name);
    case 'create-veth': return createVethPair(nl!, op.name, { name: op.peer, netnsPid: op.netnsPid, ...(op.mac !== undefined ? { mac: op.mac } : {}) });
    case 'set-master': return setMaster(nl!, op.ifname, op.bridge);
    case 'hairpin': return setHairpin(nl!, op.ifname);
    case 'rename': return renameLink(nl!, op.from, op.to);
    case 'add-address': return addAddress(nl!, op.ifname, op.cidr);
    case 'link-up': return setLinkUp(nl!, op.ifname);
    case 'default-route': return addRoute(nl!, { gateway: op.gateway, ifname: op.ifname });
    case 'sysctl': return sysctl(op.key, op.value);
    default: {
      const never: never = op;
      throw new TypeError(`unknown link op ${JSON.stringify(never)}`);
    }
  }
}

/** What a network's first container makes: the bridge with its gateway address, up. */
export function bridgeOps(bridge: string, gatewayCidr: string): LinkOp[] {
  return [
    { op: 'create-bridge', side: 'host', name: bridge },
    { op: 'add-address', side: 'host', ifname: bridge, cidr: gatewayCidr },
    { op: 'link-up', side: 'host', ifname: bridge },
    // 127.0.0.1:PORT DNATed to a container leaves through the bridge with source 127.0.0.1
    // (see nftables.ts); without route_localnet the kernel drops it as a martian.
    { op: 'sysctl', side: 'host', key: `net/ipv4/conf/${bridge}/route_localnet`, value: '1' },
  ];
}

/**
 * Routing between the bridge and the other interfaces (NAT, published ports), written for
 * every container. Only this namespace's switch: ts-runc's own, which in tests is the test's netns.
 */
export const FORWARDING: LinkOp = { op: 'sysctl', side: 'host', key: 'net/ipv4/ip_forward', value: '1' };

/**
 * The bridge with its gateway address, up; made on a network's first container. Returns
 * whether it was made now (then its nftables rules must be added too).
 */
export function ensureBridge(nl: Netlink, bridge: string, gatewayCidr: string): boolean {
  const link = getLink(nl, bridge);
  if (link && link.kind !== 'bridge') throw new RuntimeError(`${bridge} exists and is not a bridge (kind ${link.kind ?? 'none'})`);
  if (!link) {
    try {
      for (const op of bridgeOps(bridge, gatewayCidr)) applyLinkOp(op, { host: nl });
    } catch (error) {
      deleteLink(nl, bridge);
      throw error;
    }
  } else if (!link.up) {
    setLinkUp(nl, bridge);
  }
  applyLinkOp(FORWARDING, { host: nl });
  return !link;
}

export interface VethPlan {
  pid: number;
  hostVeth: string;
  bridge: string;
  /** "10.89.0.2/24" */
  addressCidr: string;
  gateway: string;
}

/**
 * The container's MAC on a network, from its address, as Docker makes it (02:42 then the
 * four bytes of the IPv4 address): a container that comes back with the same address
 * (restart, reconnect) has the same MAC, so its peers' ARP caches stay right.
 */
export function macForAddress(ip: string): string {
  return ['02', '42', ...ip.split('.').map((b) => Number(b).toString(16).padStart(2, '0'))].join(':');
}

/** The veth pair, its host end on the bridge, and eth0 configured inside. */
export function vethOps(plan: VethPlan): LinkOp[] {
  const temp = `tsp${plan.hostVeth.slice(3)}`;
  return [
    { op: 'create-veth', side: 'host', name: plan.hostVeth, peer: temp, netnsPid: plan.pid, mac: macForAddress(plan.addressCidr.split('/')[0]!) },
    { op: 'set-master', side: 'host', ifname: plan.hostVeth, bridge: plan.bridge },
    // a container may reach its own published port (nftables.ts)
    { op: 'hairpin', side: 'host', ifname: plan.hostVeth },
    { op: 'link-up', side: 'host', ifname: plan.hostVeth },
    { op: 'rename', side: 'container', from: temp, to: 'eth0' },
    { op: 'add-address', side: 'container', ifname: 'eth0', cidr: plan.addressCidr },
    { op: 'link-up', side: 'container', ifname: 'eth0' },
    { op: 'default-route', side: 'container', ifname: 'eth0', gateway: plan.gateway },
  ];
}

export function attachVeth(host: Netlink, container: Netlink, plan: VethPlan): void {
  for (const op of vethOps(plan)) applyLinkOp(op, { host, container });
}

/** Remove the host end (which takes the peer with it); quiet if the netns already took both. */
export function detachVeth(host: Netlink, hostVeth: string): void {
  deleteLink(host, hostVeth);
}
