/**
 * Network definitions: `<storage>/networks/<name>/network.json`, one directory per network
 * (its leases and lock live beside it, src/network/ipam.ts). `<storage>/networks/.lock`
 * guards creating and removing them, so two `network create`s cannot take one subnet.
 *
 * The default network, `ts-runc` on bridge `tsrunc0` with 10.77.0.0/16, is written on first
 * use. 10.77/16 is not used by Docker (172.17/16), podman (10.88/16) or common home and
 * cloud ranges (192.168/16, 10.0/16, 10.255/16). Networks created without --subnet take
 * the first /24 of 10.78.0.0/16 that neither another network nor a route of the host
 * uses; an explicit --subnet that overlaps a host route is refused, as Docker does, since
 * the bridge's route would shadow it.
 */
import { sha256Hex } from '../crypto.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode } from '../errors.js';
import { contains, formatSubnet, intToIp, ipToInt, isHostAddress, overlaps, parseSubnet } from './ipam.js';
import { DEFAULT_NETWORK } from './request.js';
import { networksDir } from '../storage.js';
import { withFileLock } from '../sys/file-lock.js';
import { writeFileAtomic } from '../sys/write-atomic.js';
import type { HostRoute } from './routes.js';

export interface NetworkDef {
  name: string;
  /** "10.89.0.0/24" */
  subnet: string;
  /** the bridge's own address, the containers' default route */
  gateway: string;
  /** the host-side bridge device */
  bridge: string;
  created: string;
  /** the user's key=value labels (network create --label, the API's Labels; compose keeps its project in them) */
  labels?: Record<string, string>;
}

const DEFAULT_DEF = { subnet: '10.77.0.0/16', gateway: '10.77.0.1', bridge: 'tsrunc0' };
const AUTO_POOL = parseSubnet('10.78.0.0/16');

/** Names that mean something else to --network. */
const RESERVED = new Set(['none', 'host', 'bridge', 'default']);

export function networkDir(storage: string, name: string): string {
  return join(networksDir(storage), name);
}

export function validateNetworkName(name: string): void {
  if (!/^[a-zA-Z0-9][\w.-]{0,63}$/.test(name) || RESERVED.has(name)) {
    throw new RuntimeError(`invalid network name ${JSON.stringify(name)}: use letters, digits, '_', '-', '.' (not none, host, bridge or default)`);
  }
}

/** Linux interface names are at most 15 bytes (IFNAMSIZ 16 with the NUL). */
export function validateBridgeName(name: string): void {
  if (!/^[a-zA-Z0-9][\w.-]{0,14}$/.test(name)) {
    throw new RuntimeError(`invalid bridge name ${JSON.stringify(name)}: at most 15 letters, digits, '_', '-', '.'`);
  }
}

/** The definition, or undefined if there is no such network (the default one is not made here). */
export function findNetwork(storage: string, name: string): NetworkDef | undefined {
  try {
    return JSON.parse(readFileSync(join(networkDir(storage, name), 'network.json'), 'utf8')) as NetworkDef;
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

function writeDef(storage: string, def: NetworkDef): void {
  const dir = networkDir(storage, def.name);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, 'network.json'), `${JSON.stringify(def, null, 2)}\n`);
}

export function listNetworks(storage: string): NetworkDef[] {
  let names: string[];
  try {
    names = readdirSync(networksDir(storage));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return names.sort().map((n) => findNetwork(storage, n)).filter((d): d is NetworkDef => d !== undefined);
}

/** The network's definition; the default one is created the first time it is asked for. */
export function loadNetwork(storage: string, name: string): NetworkDef {
  const def = findNetwork(storage, name);
  if (def) return def;
  if (name === DEFAULT_NETWORK) {
    return withFileLock(join(networksDir(storage), '.lock'), () => findNetwork(storage, name) ?? addDef(storage, { name, ...DEFAULT_DEF }));
  }
  throw new RuntimeError(`network ${name} not found (ts-runc network create ${name})`, { code: 'ENOENT' });
}

/** The definition loadNetwork would return, without writing one (`ts-runc explain`). */
export function previewNetwork(storage: string, name: string): NetworkDef {
  const def = findNetwork(storage, name);
  if (def) return def;
  if (name === DEFAULT_NETWORK) return { name, ...DEFAULT_DEF, created: '' };
  throw new RuntimeError(`network ${name} not found (ts-runc network create ${name})`, { code: 'ENOENT' });
}

export interface NewNetwork {
  name: string;
  subnet?: string;
  gateway?: string;
  bridge?: string;
  labels?: Record<string, string>;
}

/**
 * `network create`: check the name, subnet, gateway and bridge against the other networks
 * and against `hostRoutes` (routes.ts hostIpv4Routes; the caller reads them, so listing
 * networks never opens a netlink socket), then write it.
 */
export function createNetwork(storage: string, request: NewNetwork, hostRoutes: () => HostRoute[]): NetworkDef {
  validateNetworkName(request.name);
  if (request.bridge !== undefined) validateBridgeName(request.bridge);
  if (request.gateway !== undefined && request.subnet === undefined) throw new RuntimeError('--gateway needs --subnet');
  return withFileLock(join(networksDir(storage), '.lock'), () => {
    if (findNetwork(storage, request.name)) throw new RuntimeError(`network ${request.name} already exists`);
    const others = listNetworks(storage);
    const bridge = request.bridge ?? bridgeNameFor(storage, request.name);
    // A bridge left over from an earlier life of this network routes its own subnet.
    const routes = hostRoutes().filter((r) => r.ifname !== bridge);
    const subnet = request.subnet !== undefined ? parseSubnet(request.subnet) : freeSubnet(others, routes);
    const routed = routes.find((r) => overlaps(parseSubnet(r.dst), subnet));
    if (routed) throw new RuntimeError(`subnet ${formatSubnet(subnet)} overlaps the host's route to ${routed.dst} (dev ${routed.ifname}): give another --subnet`);
    const gateway = request.gateway ?? intToIp(subnet.base + 1);
    if (!isHostAddress(subnet, ipToInt(gateway))) throw new RuntimeError(`gateway ${gateway} is not a host address of ${formatSubnet(subnet)}`);
    const clash = others.find((o) => overlaps(parseSubnet(o.subnet), subnet));
    if (clash) throw new RuntimeError(`subnet ${formatSubnet(subnet)} overlaps network ${clash.name} (${clash.subnet})`);
    const sameBridge = others.find((o) => o.bridge === bridge);
    if (sameBridge) throw new RuntimeError(`bridge ${bridge} is already used by network ${sameBridge.name}`);
    return addDef(storage, { name: request.name, subnet: formatSubnet(subnet), gateway, bridge, ...(request.labels ? { labels: request.labels } : {}) });
  });
}

function addDef(storage: string, fields: Omit<NetworkDef, 'created'>): NetworkDef {
  const def: NetworkDef = { ...fields, created: new Date().toISOString() };
  writeDef(storage, def);
  return def;
}

/**
 * Docker names its bridges br-<id>; ours are tsbr-<8 hex of a sha256>, of the storage
 * directory and the name, so two --storage directories on one host each get their own
 * bridge for a network both call "appnet".
 */
export function bridgeNameFor(storage: string, name: string): string {
  return `tsbr-${sha256Hex(`${storage}\0${name}`).slice(0, 8)}`;
}

/** The first /24 of 10.78.0.0/16 that no network and no host route uses. */
function freeSubnet(others: NetworkDef[], routes: HostRoute[]): { base: number; prefix: number } {
  const taken = [...others.map((o) => parseSubnet(o.subnet)), ...routes.map((r) => parseSubnet(r.dst))];
  for (let base = AUTO_POOL.base; contains(AUTO_POOL, base); base += 256) {
    const candidate = { base, prefix: 24 };
    if (!taken.some((t) => overlaps(t, candidate))) return candidate;
  }
  throw new RuntimeError('no free /24 left in 10.78.0.0/16: give --subnet');
}

/** Forget the definition (its bridge and rules are removed first by `network rm`). */
export function removeNetworkDef(storage: string, name: string): void {
  if (!existsSync(networkDir(storage, name))) return;
  rmSync(networkDir(storage, name), { recursive: true, force: true });
}

/** The lock of one network's leases, bridge and hosts files. */
export function networkLock(storage: string, name: string): string {
  return join(networkDir(storage, name), 'lock');
}

/** The lock of the set of networks (create, rm). */
export function networksLock(storage: string): string {
  return join(networksDir(storage), '.lock');
}
