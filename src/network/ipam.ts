/**
 * IP address management: which address of a network's subnet each container holds.
 *
 *   <storage>/networks/<name>/lock             flock(2)ed while leases are read or changed
 *   <storage>/networks/<name>/leases/<ip>.json  one file per address in use
 *
 * A lease names its container (id, --root, and the state's `created` time). A lease whose
 * container is gone (deleted without ts-runc, its --root wiped by a reboot, or the id
 * reused by a newer container) is free again: that is how addresses of containers that
 * died without `delete` are reclaimed. The lock makes "find the first free address and
 * write its lease" one step for any number of concurrent creates.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode } from '../errors.js';
import { StateStore } from '../state/container-state.js';
import { writeFileAtomic } from '../sys/write-atomic.js';

/** An IPv4 subnet as numbers: `base` is the network address, `prefix` its length. */
export interface Subnet {
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new RuntimeError(`${JSON.stringify(ip)} is not an IPv4 address`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** "10.89.0.0/24" → { base, prefix }; the address must be the network's first one. */
export function parseSubnet(cidr: string): Subnet {
  const [ip = '', len = '', ...extra] = cidr.split('/');
  const prefix = Number(len);
  if (extra.length > 0 || !/^\d{1,2}$/.test(len) || prefix < 8 || prefix > 30) {
    throw new RuntimeError(`invalid subnet ${JSON.stringify(cidr)}: use a.b.c.d/N with N from 8 to 30`);
  }
  const base = ipToInt(ip);
  if (base % 2 ** (32 - prefix) !== 0) {
    throw new RuntimeError(`invalid subnet ${JSON.stringify(cidr)}: host bits set (did you mean ${intToIp(base - (base % 2 ** (32 - prefix)))}/${prefix}?)`);
  }
  return { base, prefix };
}

export function formatSubnet(subnet: Subnet): string {
  return `${intToIp(subnet.base)}/${subnet.prefix}`;
}

export function subnetSize(subnet: Subnet): number {
  return 2 ** (32 - subnet.prefix);
}

export function contains(subnet: Subnet, ip: number): boolean {
  return ip >= subnet.base && ip < subnet.base + subnetSize(subnet);
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  return contains(a, b.base) || contains(b, a.base);
}

/** A usable host address of the subnet: not the network address, not the broadcast. */
export function isHostAddress(subnet: Subnet, ip: number): boolean {
  return ip > subnet.base && ip < subnet.base + subnetSize(subnet) - 1;
}

/** Who holds an address. */
export interface Lease {
  ip: string;
  container: string;
  /** the container's --root: its state is <root>/<container>/state.json */
  root: string;
  /** the state's `created`: a newer container under the same id does not inherit the lease */
  created: string;
  /** names peers resolve it by: its id and --network-alias names */
  names: string[];
  /** its own hostname, which only its own /etc/hosts lists (every default spec says "ts-runc") */
  hostname: string;
  /** its /etc/hosts on the host, rewritten when peers come and go */
  hostsFile: string;
  /** its host-side veth, which tags its nftables rules */
  hostVeth: string;
  /** --add-host lines its own /etc/hosts keeps when peers come and go */
  extraHosts?: { ip: string; names: string[] }[];
}

/** Does the lease's container still exist? (A create in progress has its directory already.) */
export function leaseIsLive(lease: Lease): boolean {
  const store = new StateStore(lease.root);
  if (!existsSync(store.dir(lease.container))) return false;
  try {
    return store.read(lease.container).created === lease.created;
  } catch {
    // Claimed but state.json not written yet: a create is in progress, the lease is its.
    return true;
  }
}

function leasesDir(dir: string): string {
  return join(dir, 'leases');
}

/**
 * Every lease file, live or not (call with the lock held). A lease is written to a
 * temporary file and renamed into place (allocate), so a file that does not parse, or a
 * temporary one, was left by a writer killed halfway (the lock was its, and it is free
 * now): `garbage` names them, for a reclaiming reader to remove.
 */
export function readLeases(dir: string, garbage: string[] = []): Lease[] {
  let names: string[];
  try {
    names = readdirSync(leasesDir(dir));
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  const leases: Lease[] = [];
  for (const name of names) {
    const file = join(leasesDir(dir), name);
    if (!name.endsWith('.json')) {
      if (name.endsWith('.tmp')) garbage.push(file);
      continue;
    }
    try {
      leases.push(JSON.parse(readFileSync(file, 'utf8')) as Lease);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      garbage.push(file);
    }
  }
  return leases;
}

/**
 * The live leases (call with the lock held). With `reclaim`, stale ones are deleted on the
 * way, each after `reclaim` cleaned up what its container left (its DNAT rules); without it
 * they are only skipped: a reader that dropped a stale lease without that cleanup would
 * leave the rules behind for good, with nothing left to name them.
 */
export function liveLeases(dir: string, reclaim?: (lease: Lease) => void): Lease[] {
  const live: Lease[] = [];
  const garbage: string[] = [];
  const leases = readLeases(dir, garbage);
  if (reclaim) for (const file of garbage) rmSync(file, { force: true });
  for (const lease of leases) {
    if (leaseIsLive(lease)) {
      live.push(lease);
      continue;
    }
    if (!reclaim) continue;
    reclaim(lease);
    rmSync(join(leasesDir(dir), `${lease.ip}.json`), { force: true });
  }
  return live;
}

/**
 * The first free address after the gateway (wrapping round to the ones before it), leased
 * to `holder`; stale leases are reclaimed on the way (liveLeases). Call with the lock held.
 */
export function allocate(dir: string, subnet: Subnet, gateway: string, holder: Omit<Lease, 'ip'>, reclaim: (lease: Lease) => void = () => {}, wanted?: string): Lease {
  const used = new Set(liveLeases(dir, reclaim).map((l) => ipToInt(l.ip)));
  used.add(ipToInt(gateway));
  if (wanted !== undefined) {
    // --ip: that address or an error, never another one
    const ip = ipToInt(wanted);
    if (!isHostAddress(subnet, ip)) throw new RuntimeError(`--ip ${wanted}: not a host address of ${formatSubnet(subnet)}`);
    if (used.has(ip)) throw new RuntimeError(`--ip ${wanted}: the address is already in use${ip === ipToInt(gateway) ? ' (the gateway)' : ''}`);
    const lease: Lease = { ip: wanted, ...holder };
    mkdirSync(leasesDir(dir), { recursive: true });
    writeFileAtomic(join(leasesDir(dir), `${lease.ip}.json`), JSON.stringify(lease), { mode: 0o600 });
    return lease;
  }
  const size = subnetSize(subnet);
  const start = ipToInt(gateway) - subnet.base;
  for (let i = 1; i < size; i++) {
    const ip = subnet.base + ((start + i) % size);
    if (!isHostAddress(subnet, ip) || used.has(ip)) continue;
    const lease: Lease = { ip: intToIp(ip), ...holder };
    mkdirSync(leasesDir(dir), { recursive: true });
    // Whole or not at all: a create killed while writing must not leave a lease that
    // no reader can parse (the lock makes the name ours; readLeases drops the temp file).
    writeFileAtomic(join(leasesDir(dir), `${lease.ip}.json`), JSON.stringify(lease), { mode: 0o600 });
    return lease;
  }
  throw new RuntimeError(`network ${formatSubnet(subnet)} has no free address left (${used.size - 1} in use)`);
}

/**
 * Give back every address `container` of `root` holds (call with the lock held): for a
 * create killed after leasing an address but before its state recorded which, or while
 * it wrote the lease (what such a writer left is removed too; the lock is ours).
 */
export function releaseHeldBy(dir: string, container: string, root: string): void {
  const garbage: string[] = [];
  const leases = readLeases(dir, garbage);
  for (const file of garbage) rmSync(file, { force: true });
  for (const lease of leases) {
    if (lease.container === container && lease.root === root) rmSync(join(leasesDir(dir), `${lease.ip}.json`), { force: true });
  }
}

/** Give the address back, if it is still this container's (call with the lock held). */
export function release(dir: string, ip: string, container: string, root: string): void {
  const file = join(leasesDir(dir), `${ip}.json`);
  try {
    const lease = JSON.parse(readFileSync(file, 'utf8')) as Lease;
    if (lease.container === container && lease.root === root) rmSync(file, { force: true });
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
}
