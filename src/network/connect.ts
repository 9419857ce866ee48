/**
 * `network connect` / `disconnect` of a running container: one more interface on one more
 * network, beside the one it was created with (container-network.ts).
 *
 *   host netns                                container netns
 *   bridge of NET ◄─ tsx<hash> ═══════════ ethN (ip/prefix, up)
 *
 * A lease on NET (ipam.ts) names the container and its hosts file, so the peers of every
 * network it is on resolve each other (peers.ts); the default route stays on the first
 * network, as Docker leaves it. The container side is configured through a netlink socket
 * opened in its namespace (netns-socket.ts). Disconnect removes the host end (the kernel
 * removes the peer with it), the lease, and the names.
 */
import { sha256Hex } from '../crypto.js';
import { closeSync } from 'node:fs';
import { RuntimeError } from '../errors.js';
import { withFileLock } from '../sys/file-lock.js';
import { addAddress } from './addresses.js';
import { macForAddress } from './attach.js';
import { ensureNetworkUp } from './container-network.js';
import { allocate, parseSubnet, release, releaseHeldBy } from './ipam.js';
import { createVethPair, deleteLink, getLink, listLinks, renameLink, setHairpin, setLinkUp, setMaster } from './links.js';
import { Netlink } from './netlink/socket.js';
import { netlinkInNetns, openNetnsOf } from './netns-socket.js';
import { deleteStaleRules } from './nftables.js';
import { findNetwork, networkDir, networkLock } from './networks.js';
import { refreshHosts } from './peers.js';

/** The host end of a container's veth on an extra network: "tsx" + 12 hex of sha256(root, id, network). */
export function extraVethName(root: string, id: string, network: string): string {
  return `tsx${sha256Hex(`${root}\0${id}\0${network}`).slice(0, 12)}`;
}

export interface ConnectRequest {
  storage: string;
  network: string;
  /** the runtime container: its id, --root, state `created` (the lease's liveness) and pid */
  id: string;
  root: string;
  created: string;
  pid: number;
  /** names peers resolve it by (its name, short id, aliases) and its own hostname */
  names: string[];
  hostname: string;
  /** its /etc/hosts on the host (bind-mounted into it) */
  hostsFile: string;
  /** --ip */
  ip?: string;
}

export interface Endpoint {
  network: string;
  ip: string;
  prefix: number;
  gateway: string;
  mac: string;
  ifname: string;
  hostVeth: string;
}

/** The first ethN not taken inside the container. */
function nextInterface(inside: Netlink): string {
  const taken = new Set(listLinks(inside).map((l) => l.name));
  for (let n = 1; ; n++) if (!taken.has(`eth${n}`)) return `eth${n}`;
}

export function connectContainer(request: ConnectRequest): Endpoint {
  const def = findNetwork(request.storage, request.network);
  if (!def) throw new RuntimeError(`network ${request.network} not found`, { code: 'ENOENT' });
  const { prefix } = parseSubnet(def.subnet);
  const dir = networkDir(request.storage, def.name);
  const hostVeth = extraVethName(request.root, request.id, def.name);
  const holder = { container: request.id, root: request.root, created: request.created, names: request.names, hostname: request.hostname, hostsFile: request.hostsFile, hostVeth };
  const lease = withFileLock(networkLock(request.storage, def.name), () => {
    // one lease per container and network: a second connect is an error, as Docker's
    if (getLinkOnHost(hostVeth)) throw new RuntimeError(`container ${request.id.slice(0, 12)} is already connected to network ${def.name}`);
    releaseHeldBy(dir, request.id, request.root); // a lease left by a connect killed halfway
    return allocate(dir, parseSubnet(def.subnet), def.gateway, holder, deleteStaleRules, request.ip);
  });
  const host = Netlink.open();
  let inside: Netlink | undefined;
  let netnsFd: number | undefined;
  try {
    ensureNetworkUp(host, request.storage, def);
    netnsFd = openNetnsOf(request.pid);
    inside = netlinkInNetns(netnsFd, request.pid);
    const ifname = nextInterface(inside);
    const temp = `tsq${hostVeth.slice(3)}`;
    createVethPair(host, hostVeth, { name: temp, netnsFd, mac: macForAddress(lease.ip) });
    setMaster(host, hostVeth, def.bridge);
    setHairpin(host, hostVeth);
    setLinkUp(host, hostVeth);
    renameLink(inside, temp, ifname);
    addAddress(inside, ifname, `${lease.ip}/${prefix}`);
    setLinkUp(inside, ifname);
    const mac = getLink(inside, ifname)?.mac ?? '';
    withFileLock(networkLock(request.storage, def.name), () => refreshHosts(dir));
    return { network: def.name, ip: lease.ip, prefix, gateway: def.gateway, mac, ifname, hostVeth };
  } catch (error) {
    deleteLink(host, hostVeth);
    withFileLock(networkLock(request.storage, def.name), () => release(dir, lease.ip, request.id, request.root));
    throw error;
  } finally {
    inside?.close();
    if (netnsFd !== undefined) closeSync(netnsFd);
    host.close();
  }
}

function getLinkOnHost(name: string): boolean {
  const nl = Netlink.open();
  try {
    return getLink(nl, name) !== undefined;
  } finally {
    nl.close();
  }
}

/** Undo connectContainer; each part quiet if already gone (the container may have stopped). */
export function disconnectContainer(storage: string, network: string, id: string, root: string): void {
  const nl = Netlink.open();
  try {
    deleteLink(nl, extraVethName(root, id, network));
  } finally {
    nl.close();
  }
  if (!findNetwork(storage, network)) return;
  const dir = networkDir(storage, network);
  withFileLock(networkLock(storage, network), () => {
    releaseHeldBy(dir, id, root);
    refreshHosts(dir);
  });
}
