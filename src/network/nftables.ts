/**
 * NAT, published ports and isolation with nftables, through Debian's `nft` binary: one
 * table, `ip ts-runc`, that only ts-runc writes. Every rule carries a comment saying whose
 * it is ("net:<network>" or "ctr:<id>:<veth>"), so it can be found and deleted by handle
 * when its network or container goes, without touching anyone else's.
 *
 *   prerouting  (nat, dstnat)   packets from outside to a host address → jump ports
 *   output      (nat, -100)     the host's own packets to a host address → jump ports
 *   ports                       per container: [ip daddr H] tcp dport P dnat to C:Q
 *   postrouting (nat, srcnat)   per network: masquerade the subnet leaving by another
 *                               interface; masquerade 127.0.0.0/8 going into the bridge
 *                               (curl 127.0.0.1:8080 DNATed to a container, see below);
 *                               masquerade DNATed traffic from the subnet back into it
 *                               (hairpin: a container using a published port, below)
 *   forward     (filter)        per network: drop what goes from its bridge to another
 *                               ts-runc bridge (set @bridges), like Docker's isolation chains
 *
 * Reaching a published port from the host's own 127.0.0.1: the output chain DNATs the
 * packet to the container, but its source stays 127.0.0.1, which the kernel refuses to
 * route out of a non-loopback device unless route_localnet is set on it. ts-runc sets
 * `net.ipv4.conf.<bridge>.route_localnet=1` on its bridges only and masquerades that
 * traffic to the gateway address, so the container answers its bridge. That is Docker's
 * "userland-proxy: false" mode: no proxy process per port to keep alive and clean up.
 *
 * Hairpin: a container reaching a published port through a host address (its own, or a
 * peer's on the same bridge). The DNAT sends the packet back into the bridge it came
 * from; left alone, the server would answer the client directly, from its own address,
 * which the client never asked. Masquerading that traffic to the gateway makes the
 * answer go back through the host, where conntrack undoes both translations.
 */
import { spawnSync } from 'node:child_process';
import { RuntimeError, errorMessage } from '../errors.js';
import { log } from '../log.js';
import type { Lease } from './ipam.js';
import type { HostPort, PortMapping } from './ports.js';

export const TABLE = 'ts-runc';

/** The table, its set and chains; idempotent (add is a no-op for what exists, the hook chains are refilled). */
export function tableScript(): string {
  return [
    `add table ip ${TABLE}`,
    `add set ip ${TABLE} bridges { type ifname; }`,
    `add chain ip ${TABLE} ports`,
    `add chain ip ${TABLE} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add chain ip ${TABLE} output { type nat hook output priority -100; policy accept; }`,
    `add chain ip ${TABLE} postrouting { type nat hook postrouting priority srcnat; policy accept; }`,
    `add chain ip ${TABLE} forward { type filter hook forward priority filter; policy accept; }`,
    `flush chain ip ${TABLE} prerouting`,
    `flush chain ip ${TABLE} output`,
    `add rule ip ${TABLE} prerouting fib daddr type local jump ports`,
    `add rule ip ${TABLE} output fib daddr type local jump ports`,
  ].join('\n') + '\n';
}

export interface NetworkRules {
  name: string;
  subnet: string;
  bridge: string;
}

export function networkTag(name: string): string {
  return `net:${name}`;
}

export function containerTag(id: string, hostVeth: string): string {
  return `ctr:${id}:${hostVeth}`;
}

/** A network's masquerade and isolation rules, added when its bridge is made. */
export function networkScript(net: NetworkRules): string {
  const c = `comment "${networkTag(net.name)}"`;
  const br = `"${net.bridge}"`;
  return [
    `add element ip ${TABLE} bridges { ${br} }`,
    `add rule ip ${TABLE} postrouting ip saddr ${net.subnet} oifname != ${br} masquerade ${c}`,
    `add rule ip ${TABLE} postrouting ip saddr 127.0.0.0/8 oifname ${br} masquerade ${c}`,
    `add rule ip ${TABLE} postrouting ip saddr ${net.subnet} oifname ${br} ct status dnat masquerade ${c}`,
    `add rule ip ${TABLE} forward iifname ${br} oifname @bridges oifname != ${br} drop ${c}`,
  ].join('\n') + '\n';
}

/** A container's published ports: DNAT of host ports to its address. */
export function portsScript(tag: string, containerIp: string, mappings: readonly PortMapping[]): string {
  return mappings.map((m) => {
    const daddr = m.hostIp ? `ip daddr ${m.hostIp} ` : '';
    return `add rule ip ${TABLE} ports ${daddr}${m.protocol} dport ${m.hostPort} dnat to ${containerIp}:${m.containerPort} comment "${tag}"\n`;
  }).join('');
}

/** `nft -f -` with the script on stdin: all of it is applied in one transaction, or none. */
export function runNft(script: string, what: string): void {
  const result = spawnSync('nft', ['-f', '-'], { input: script, encoding: 'utf8' });
  if (result.error) throw new RuntimeError(`${what}: nft: ${result.error.message} (is the nftables package installed?)`, { cause: result.error });
  if (result.status !== 0) throw new RuntimeError(`${what}: nft: ${result.stderr.trim()}`);
}

interface NftRule {
  chain: string;
  handle: number;
  comment?: string;
  expr?: unknown[];
}

/** The table's rules as `nft -j -a` lists them; [] if the table does not exist. */
export function listRules(): NftRule[] {
  return listTable().rules;
}

/** The rules and the @bridges set's elements; empty if the table does not exist. */
export function listTable(): { exists: boolean; rules: NftRule[]; bridges: string[] } {
  const result = spawnSync('nft', ['-j', '-a', 'list', 'table', 'ip', TABLE], { encoding: 'utf8' });
  if (result.status !== 0) return { exists: false, rules: [], bridges: [] };
  const doc = JSON.parse(result.stdout) as { nftables: Array<{ rule?: NftRule; set?: { name: string; elem?: unknown[] } }> };
  const rules = doc.nftables.flatMap((item) => (item.rule ? [item.rule] : []));
  const set = doc.nftables.find((item) => item.set?.name === 'bridges')?.set;
  const bridges = (set?.elem ?? []).filter((e): e is string => typeof e === 'string');
  return { exists: true, rules, bridges };
}

/** Delete every rule whose comment is `tag`, in one transaction. */
export function deleteTagged(tag: string, what: string): void {
  const script = deleteScript(listRules(), tag);
  if (script) runNft(script, what);
}

/** A lease whose container is gone may have left DNAT rules behind (it was never deleted). */
export function deleteStaleRules(lease: Pick<Lease, 'container' | 'hostVeth' | 'ip'>): void {
  try {
    deleteTagged(containerTag(lease.container, lease.hostVeth), `reclaim ${lease.ip} from ${lease.container}`);
  } catch (error) {
    log().warn(errorMessage(error));
  }
}

export function deleteScript(rules: readonly NftRule[], tag: string): string {
  return rules.filter((r) => r.comment === tag)
    .map((r) => `delete rule ip ${TABLE} ${r.chain} handle ${r.handle}\n`).join('');
}

/** What some container already publishes on the host (a second DNAT of one port would never match). */
export function publishedHostPorts(): HostPort[] {
  return listRules().filter((r) => r.chain === 'ports').flatMap((r) => {
    const bound = hostPortOf(r.expr ?? []);
    return bound ? [bound] : [];
  });
}

interface NftMatch {
  match?: { left?: { payload?: { protocol?: string; field?: string } }; right?: unknown };
}

/** A ports rule's `[ip daddr H] tcp dport P` as `nft -j` lists its expressions. */
export function hostPortOf(expr: readonly unknown[]): HostPort | undefined {
  let hostIp = '';
  for (const item of expr as NftMatch[]) {
    const { left, right } = item.match ?? {};
    const { protocol, field } = left?.payload ?? {};
    if (protocol === 'ip' && field === 'daddr' && typeof right === 'string') hostIp = right;
    if ((protocol === 'tcp' || protocol === 'udp') && field === 'dport' && typeof right === 'number') {
      return { hostIp, hostPort: right, protocol };
    }
  }
  return undefined;
}
