/**
 * A container's networking from create to delete, in the order create.ts calls it:
 *
 *   prepareNetwork     before the id is claimed: check the request, edit the spec (the
 *                      network namespace; bind mounts of /etc/hosts, hostname,
 *                      resolv.conf); nothing is written, so a create that loses the id
 *                      to another harms nothing of the winner's
 *   writeNetworkFiles  once the state (which records them) exists: those three files
 *   allocateAddress    once the state exists: lease an address, pick host ports, tell
 *                      the network's other containers (their /etc/hosts)
 *   attachNetwork      once the pid is known: bridge, veth, eth0, route, nftables rules
 *   teardownNetwork    on delete, and on a create that failed (or was killed) halfway:
 *                      all of it undone, each part quietly skipped if already gone, so
 *                      it can run again
 */
import { existsSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { RuntimeError, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { isAlive } from '../process/liveness.js';
import { StateStore, validateId, type StoredState } from '../state/container-state.js';
import type { Spec } from '../spec/schema.js';
import { attachVeth, detachVeth, ensureBridge, hostVethName } from './attach.js';
import { refreshHosts } from './peers.js';
import { allocate, parseSubnet, release, releaseHeldBy } from './ipam.js';
import { nameFilesFor, parseExtraHosts, readHostResolvConf, renderHosts, renderResolvConf, writeNameFiles, type NameFiles } from './hosts-files.js';
import { findNetwork, loadNetwork, networkDir, networkLock, networksLock, type NetworkDef } from './networks.js';
import { containerTag, deleteScript, deleteStaleRules, deleteTagged, listRules, networkScript, networkTag, portsScript, publishedHostPorts, runNft, tableScript } from './nftables.js';
import { EXPOSED_PORTS_ANNOTATION, checkNoDuplicateHostPorts, collides, exposedPorts, formatHostAddress, freePort, type HostPort, type PortMapping } from './ports.js';
import type { NetworkRecord } from './record.js';
import type { NetworkRequest } from './request.js';
import { Netlink } from './netlink/socket.js';
import { withFileLock } from '../sys/file-lock.js';

export interface Prepared {
  record: NetworkRecord;
  def?: NetworkDef;
  request: NetworkRequest;
  id: string;
  root: string;
  /** names peers resolve it by: the id and the aliases */
  names: string[];
  hostname: string;
  /** the io.ts-runc.image.exposed-ports annotation, for -P */
  exposed?: string;
  /** --add-host's lines (bridge mode: kept in the lease, so peers' changes keep them) */
  extraHosts?: { ip: string; names: string[] }[];
  /** what `writeNetworkFiles` writes into record.files (when they are the container's own) */
  contents?: { hostname: string; hosts: string; resolv: string };
}

const NAME_MOUNTS: Array<[keyof NameFiles, string]> = [['hosts', '/etc/hosts'], ['hostname', '/etc/hostname'], ['resolv', '/etc/resolv.conf']];

/** Set the network namespace entry: created (path undefined), joined (a path), or none at all (null). */
function setNetns(spec: Spec, path: string | null | undefined): void {
  spec.linux ??= {};
  const others = (spec.linux.namespaces ?? []).filter((ns) => ns.type !== 'network');
  if (path === null) spec.linux.namespaces = others;
  else spec.linux.namespaces = [...others, path === undefined ? { type: 'network' } : { type: 'network', path }];
}

/** Bind-mount the files at the end of spec.mounts, unless config.json mounts something there already. */
function mountNameFiles(spec: Spec, files: Partial<NameFiles>): void {
  spec.mounts ??= [];
  for (const [key, destination] of NAME_MOUNTS) {
    const source = files[key];
    if (!source || spec.mounts.some((m) => m.destination === destination)) continue;
    spec.mounts.push({ destination, type: 'bind', source, options: ['rbind', 'rprivate'] });
  }
}

/** Check the request and edit the spec. Nothing is made or written yet. */
export function prepareNetwork(spec: Spec, request: NetworkRequest, id: string, root: string): Prepared {
  const { mode } = request;
  // The files live at a path named by the id: never write over another container's.
  validateId(id);
  if (existsSync(new StateStore(root).dir(id))) throw new RuntimeError(`container with id ${id} already exists`);
  if (mode.kind !== 'bridge' && (request.publish.length > 0 || request.publishAll)) {
    throw new RuntimeError(`--network ${mode.kind}: published ports need a bridge network`);
  }
  if (mode.kind !== 'bridge' && request.aliases.length > 0) throw new RuntimeError(`--network ${mode.kind}: --network-alias needs a bridge network`);
  checkNoDuplicateHostPorts(request.publish);
  const hostname = spec.hostname ?? id;
  const names = [...new Set([id, ...request.aliases])];
  const record: NetworkRecord = { mode: mode.kind, storage: request.storage, aliases: request.aliases, ports: [], ownFiles: false };
  const prepared: Prepared = { record, request, id, root, names, hostname, exposed: spec.annotations?.[EXPOSED_PORTS_ANNOTATION] };
  switch (mode.kind) {
    case 'host': {
      setNetns(spec, null);
      const extra = parseExtraHosts(request.extraHosts ?? [], undefined).map((e) => `${e.ip}\t${e.names.join(' ')}\n`).join('');
      const resolv = request.dns ? renderResolvConf(readHostResolvConf(), request.dns) : readHostResolvConf();
      ownFiles(spec, prepared, hostname, (safeRead('/etc/hosts') || renderHosts(undefined, [])) + extra, resolv);
      break;
    }
    case 'none': {
      setNetns(spec, undefined);
      ownFiles(spec, prepared, hostname, renderHosts(undefined, [], parseExtraHosts(request.extraHosts ?? [], undefined)), renderResolvConf(readHostResolvConf(), request.dns));
      break;
    }
    case 'container': {
      const other = readOtherState(root, mode.id);
      setNetns(spec, `/proc/${other.pid}/ns/net`);
      record.joined = mode.id;
      if (other.network?.files) {
        record.files = other.network.files;
        mountNameFiles(spec, { hosts: other.network.files.hosts, resolv: other.network.files.resolv });
      }
      break;
    }
    case 'bridge': {
      prepared.def = loadNetwork(request.storage, mode.network);
      setNetns(spec, undefined);
      Object.assign(record, { network: prepared.def.name, bridge: prepared.def.bridge, gateway: prepared.def.gateway,
        prefix: parseSubnet(prepared.def.subnet).prefix, hostVeth: hostVethName(root, id) });
      // hosts gets the address once it is leased (allocate)
      prepared.extraHosts = parseExtraHosts(request.extraHosts ?? [], prepared.def.gateway);
      ownFiles(spec, prepared, hostname, renderHosts(undefined, [], prepared.extraHosts), renderResolvConf(readHostResolvConf(), request.dns));
      break;
    }
  }
  return prepared;
}

function ownFiles(spec: Spec, prepared: Prepared, hostname: string, hosts: string, resolv: string): void {
  const files = nameFilesFor(prepared.request.storage, prepared.id, prepared.root);
  prepared.contents = { hostname, hosts, resolv };
  prepared.record.files = files;
  prepared.record.ownFiles = true;
  mountNameFiles(spec, files);
}

/**
 * Write the hosts, hostname and resolv.conf files the spec bind-mounts (once the id is
 * claimed and the state names them, so `delete` removes them whatever happens next).
 */
export function writeNetworkFiles(prepared: Prepared): void {
  const { record, contents } = prepared;
  if (!record.ownFiles || !record.files || !contents) return;
  writeNameFiles(record.files, contents.hostname, contents.hosts, contents.resolv);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** container:<id>: it must exist and be running, or its /proc/<pid>/ns/net is not there to join. */
function readOtherState(root: string, other: string): StoredState {
  let state: StoredState;
  try {
    state = new StateStore(root).read(other);
  } catch {
    throw new RuntimeError(`--network container:${other}: no such container`);
  }
  if (!isAlive(state.pid, state.pidStartTime)) {
    throw new RuntimeError(`--network container:${other}: the container is not running`);
  }
  return state;
}

/** Lease an address and choose host ports (bridge mode); peers' hosts files learn the new name. */
export async function allocateAddress(prepared: Prepared, created: string): Promise<void> {
  const { record, def, request } = prepared;
  if (!def || !record.files || !record.hostVeth) return;
  const dir = networkDir(request.storage, def.name);
  const holder = { container: prepared.id, root: prepared.root, created, names: prepared.names, hostname: prepared.hostname, hostsFile: record.files.hosts, hostVeth: record.hostVeth,
    ...(prepared.extraHosts?.length ? { extraHosts: prepared.extraHosts } : {}) };
  record.ip = withFileLock(networkLock(request.storage, def.name), () => {
    // `network rm` may have run since prepareNetwork read the definition.
    if (!findNetwork(request.storage, def.name)) throw new RuntimeError(`network ${def.name} was removed`);
    const lease = allocate(dir, parseSubnet(def.subnet), def.gateway, holder, deleteStaleRules, request.ip);
    refreshHosts(dir);
    return lease.ip;
  });
  record.ports = await choosePorts(request, prepared.exposed);
}

/** -p as given, -P's exposed ports; host port 0 becomes a free one. A port another container publishes is refused. */
async function choosePorts(request: NetworkRequest, exposed: string | undefined): Promise<PortMapping[]> {
  // -p for a port -P would publish too wins (as with docker).
  const extra = request.publishAll ? exposedPorts(exposed) : [];
  const wanted = [...request.publish, ...extra.filter((e) => !request.publish.some((p) => p.containerPort === e.containerPort && p.protocol === e.protocol))];
  if (wanted.length === 0) return [];
  const taken = publishedHostPorts();
  const chosen: PortMapping[] = [];
  for (const mapping of wanted) {
    if (mapping.hostPort !== 0) checkNotPublished(mapping, taken);
    let candidate = mapping;
    for (let tries = 0; candidate.hostPort === 0 || taken.some((t) => collides(t, candidate)); tries++) {
      if (tries > 20) throw new RuntimeError('could not find a free host port');
      candidate = { ...mapping, hostPort: await freePort(mapping.protocol, mapping.hostIp) };
    }
    taken.push(candidate);
    chosen.push(candidate);
  }
  return chosen;
}

function checkNotPublished(mapping: PortMapping, taken: readonly HostPort[]): void {
  if (taken.some((t) => collides(t, mapping))) {
    throw new RuntimeError(`host port ${formatHostAddress(mapping)}/${mapping.protocol} is already published by another container`);
  }
}

/** Bridge mode, once the container's pid (and so its netns) exists: the links and the rules. */
export function attachNetwork(prepared: Prepared, pid: number, inside: Netlink | undefined): void {
  const { record, def } = prepared;
  if (!def || !record.ip || !record.hostVeth || record.prefix === undefined) return;
  if (!inside) throw new RuntimeError('no netlink socket inside the container\'s network namespace (is linux.namespaces network set?)');
  const host = Netlink.open();
  try {
    ensureNetworkUp(host, record.storage, def);
    attachVeth(host, inside, { pid, hostVeth: record.hostVeth, bridge: def.bridge, addressCidr: `${record.ip}/${record.prefix}`, gateway: def.gateway });
    const { ip, ports } = record;
    const tag = containerTag(prepared.id, record.hostVeth);
    if (ports.length > 0) {
      // choosePorts checked at allocate time, but a parallel create may have published the
      // same port since: check again and add, both under the lock of the set of networks.
      withFileLock(networksLock(record.storage), () => {
        const taken = publishedHostPorts();
        for (const mapping of ports) checkNotPublished(mapping, taken);
        runNft(tableScript() + portsScript(tag, ip, ports), `publish ports of ${prepared.id}`);
      });
    }
  } finally {
    host.close();
  }
}

/**
 * The network's bridge (with its gateway address) and its nftables rules, made if missing:
 * on its first container, and again after a reboot. Under the set of networks' lock too:
 * `network rm` of the last other network deletes the whole table when it sees no other
 * network's rules, so it must not run between our listing and our adding them.
 */
export function ensureNetworkUp(host: Netlink, storage: string, def: NetworkDef): void {
  const prefix = parseSubnet(def.subnet).prefix;
  withFileLock(networksLock(storage), () => withFileLock(networkLock(storage, def.name), () => {
    const made = ensureBridge(host, def.bridge, `${def.gateway}/${prefix}`);
    const rules = listRules();
    if (made || !rules.some((r) => r.comment === networkTag(def.name))) {
      runNft(tableScript() + deleteScript(rules, networkTag(def.name)) + networkScript(def), `network ${def.name}`);
    }
  }));
}

/**
 * Undo all of it: DNAT rules, the host veth (the peer goes with it, or already went with
 * the netns), the lease (peers' hosts files forget the name), the name files. Each part is
 * tried even if an earlier one failed; what failed is logged and reported at the end.
 */
export function teardownNetwork(record: NetworkRecord, id: string, root: string): void {
  const failures: string[] = [];
  const step = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (error) {
      failures.push(`${what}: ${errorMessage(error)}`);
    }
  };
  if (record.mode === 'bridge' && record.network) {
    const { network, hostVeth, ip, storage } = record;
    // No address recorded: the create stopped before anything was attached or published,
    // but it may have died between leasing an address and recording it.
    if (ip && hostVeth) {
      if (record.ports.length > 0) step('remove port rules', () => deleteTagged(containerTag(id, hostVeth), `unpublish ports of ${id}`));
      step(`remove ${hostVeth}`, () => {
        const nl = Netlink.open();
        try {
          detachVeth(nl, hostVeth);
        } finally {
          nl.close();
        }
      });
    }
    if (existsSync(networkDir(storage, network))) {
      step(`release ${ip ?? 'the address'}`, () => withFileLock(networkLock(storage, network), () => {
        if (ip) release(networkDir(storage, network), ip, id, root);
        else releaseHeldBy(networkDir(storage, network), id, root);
        refreshHosts(networkDir(storage, network));
      }));
    }
  }
  if (record.ownFiles && record.files) step('remove name files', () => removeNameFiles(record.files!));
  for (const failure of failures) log().warn(`network teardown of ${id}: ${failure}`);
  if (failures.length > 0) throw new RuntimeError(`network teardown of ${id}: ${failures.join('; ')}`);
}

function removeNameFiles(files: NameFiles): void {
  for (const path of [files.hosts, files.hostname, files.resolv]) rmSync(path, { force: true });
  // Their directory (names-<root>), then <storage>/containers/<id>, each only if nothing
  // else is in it (another root's name files, an image container's layers).
  for (const dir of [dirname(files.hosts), dirname(dirname(files.hosts))]) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty, or gone
    }
  }
}
