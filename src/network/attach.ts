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
import { createHash } from 'node:crypto';
import { RuntimeError, errorMessage } from '../errors.js';
import { kernelFiles } from '../sys/kernel-files.js';
import { addAddress } from './addresses.js';
import { createBridge, createVethPair, deleteLink, getLink, renameLink, setHairpin, setLinkUp, setMaster } from './links.js';
import type { Netlink } from './netlink/socket.js';
import { addRoute } from './routes.js';

/** Host end of a container's veth: "tsr" + 12 hex of sha256(root, id): unique per container, 15 bytes. */
export function hostVethName(root: string, id: string): string {
  return `tsr${createHash('sha256').update(`${root}\0${id}`).digest('hex').slice(0, 12)}`;
}

/** A sysctl of the namespace this process is in: /proc/sys/net follows the writer's netns. */
function sysctl(path: string, value: string): void {
  try {
    kernelFiles().write(`/proc/sys/${path}`, value);
  } catch (error) {
    throw new RuntimeError(`write ${value} to /proc/sys/${path}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * The bridge with its gateway address, up; made on a network's first container. Returns
 * whether it was made now (then its nftables rules must be added too).
 */
export function ensureBridge(nl: Netlink, bridge: string, gatewayCidr: string): boolean {
  const link = getLink(nl, bridge);
  if (link && link.kind !== 'bridge') throw new RuntimeError(`${bridge} exists and is not a bridge (kind ${link.kind ?? 'none'})`);
  if (!link) {
    createBridge(nl, bridge);
    try {
      addAddress(nl, bridge, gatewayCidr);
      setLinkUp(nl, bridge);
      // 127.0.0.1:PORT DNATed to a container leaves through the bridge with source 127.0.0.1
      // (see nftables.ts); without route_localnet the kernel drops it as a martian.
      sysctl(`net/ipv4/conf/${bridge}/route_localnet`, '1');
    } catch (error) {
      deleteLink(nl, bridge);
      throw error;
    }
  } else if (!link.up) {
    setLinkUp(nl, bridge);
  }
  // Routing between the bridge and the other interfaces (NAT, published ports). Only this
  // namespace's switch: ts-runc's own, which in tests is the test's netns.
  sysctl('net/ipv4/ip_forward', '1');
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
export function attachVeth(host: Netlink, container: Netlink, plan: VethPlan): void {
  const temp = `tsp${plan.hostVeth.slice(3)}`;
  createVethPair(host, plan.hostVeth, { name: temp, netnsPid: plan.pid, mac: macForAddress(plan.addressCidr.split('/')[0]!) });
  setMaster(host, plan.hostVeth, plan.bridge);
  setHairpin(host, plan.hostVeth); // a container may reach its own published port (nftables.ts)
  setLinkUp(host, plan.hostVeth);
  renameLink(container, temp, 'eth0');
  addAddress(container, 'eth0', plan.addressCidr);
  setLinkUp(container, 'eth0');
  addRoute(container, { gateway: plan.gateway, ifname: 'eth0' });
}

/** Remove the host end (which takes the peer with it); quiet if the netns already took both. */
export function detachVeth(host: Netlink, hostVeth: string): void {
  deleteLink(host, hostVeth);
}
