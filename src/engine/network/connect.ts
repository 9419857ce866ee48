/**
 * `network connect [--alias A] [--ip IP] NET CTR` and `network disconnect [-f] NET CTR` for
 * engine containers (the library POST /networks/{id}/connect and /disconnect call).
 *
 * What is asked is kept in the record's NetworkingConfig.EndpointsConfig[NET] (aliases,
 * --ip), what is in effect in its Networks[NET] (address, gateway, MAC), so `inspect` shows
 * every network and a restart attaches them again (reattachNetworks, which the engine's
 * init hook calls once the container's pid exists). A stopped container is only recorded;
 * a running one gets its interface now (src/network/connect.ts).
 */
import { RuntimeError } from '../../errors.js';
import { log } from '../../log.js';
import { connectContainer, disconnectContainer, type Endpoint } from '../../network/connect.js';
import { findNetwork, loadNetwork } from '../../network/networks.js';
import { DEFAULT_NETWORK, parseNetworkMode } from '../../network/request.js';
import { StateStore, type StoredState } from '../../state/container-state.js';
import { containerView } from '../containers/status.js';
import { ContainerStore } from '../containers/store.js';
import type { ContainerRecord, NetworkAttachment } from '../types.js';

export interface ConnectOptions {
  aliases?: string[];
  /** --ip: an address of the network's subnet */
  ip?: string;
}

/** The network the container was created on (NetworkMode), by name; undefined for none/host/container:. */
export function primaryNetwork(record: ContainerRecord): string | undefined {
  const mode = parseNetworkMode(record.HostConfig.NetworkMode || 'bridge');
  return mode.kind === 'bridge' ? mode.network : undefined;
}

/** An EndpointsConfig key that names the --network one ("bridge", "default" or its name): not connect's. */
function isPrimaryEndpoint(record: ContainerRecord, name: string): boolean {
  const primary = primaryNetwork(record);
  if (primary === undefined) return true;
  return name === primary || name === record.HostConfig.NetworkMode || (primary === DEFAULT_NETWORK && ['bridge', 'default', ''].includes(name));
}

function attachment(endpoint: Endpoint, aliases: string[], ip: string | undefined): NetworkAttachment {
  return {
    // ts-runc's networks are known by name (the init hook records the first one so too)
    NetworkID: endpoint.network,
    Aliases: aliases,
    IPAddress: endpoint.ip,
    IPPrefixLen: endpoint.prefix,
    Gateway: endpoint.gateway,
    MacAddress: endpoint.mac,
    ...(ip ? { IPAMConfig: { IPv4Address: ip } } : {}),
  };
}

/** The running runtime container of an engine container, or undefined. */
function runtimeState(record: ContainerRecord): StoredState | undefined {
  const store = new StateStore(record.Root);
  if (!store.exists(record.Id)) return undefined;
  try {
    return store.read(record.Id);
  } catch {
    return undefined;
  }
}

function connectRunning(storage: string, record: ContainerRecord, network: string, pid: number, options: ConnectOptions): NetworkAttachment {
  const state = runtimeState(record);
  const hostsFile = state?.network?.files?.hosts;
  if (!state || !hostsFile) throw new RuntimeError(`container ${record.Name.slice(1)}: it has no network files of its own (--network host or container:?), so it cannot join another network`);
  const name = record.Name.replace(/^\//, '');
  const aliases = options.aliases ?? [];
  const endpoint = connectContainer({
    storage, network, id: record.Id, root: record.Root, created: state.created, pid,
    names: [...new Set([name, record.Id.slice(0, 12), ...aliases])],
    hostname: record.Config.Hostname || record.Id.slice(0, 12),
    hostsFile,
    ...(options.ip ? { ip: options.ip } : {}),
  });
  return attachment(endpoint, aliases, options.ip);
}

/** `network connect`: returns the attachment (for a stopped container, what will be asked at start). */
export function connectNetwork(storage: string, reference: string, network: string, options: ConnectOptions = {}): NetworkAttachment | undefined {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  // the default network is made on first use, as for --network
  const def = network === DEFAULT_NETWORK ? loadNetwork(storage, network) : findNetwork(storage, network);
  if (!def) throw new RuntimeError(`network ${network} not found`, { code: 'ENOENT' });
  const mode = parseNetworkMode(record.HostConfig.NetworkMode || 'bridge');
  if (mode.kind !== 'bridge') throw new RuntimeError(`container ${record.Name.slice(1)} uses --network ${mode.kind === 'container' ? `container:${mode.id}` : mode.kind}: it cannot be connected to a network`);
  if (primaryNetwork(record) === def.name || record.Networks?.[def.name] || record.NetworkingConfig.EndpointsConfig?.[def.name]) {
    throw new RuntimeError(`container ${record.Name.slice(1)} is already connected to network ${def.name}`);
  }
  const view = containerView(store, record);
  const running = view.state.Running && view.state.Pid > 0;
  const result = running ? connectRunning(storage, record, def.name, view.state.Pid, options) : undefined;
  store.update(record.Id, (r) => {
    r.NetworkingConfig.EndpointsConfig ??= {};
    r.NetworkingConfig.EndpointsConfig[def.name] = { Aliases: options.aliases ?? [], ...(options.ip ? { IPAMConfig: { IPv4Address: options.ip } } : {}) };
    if (result) (r.Networks ??= {})[def.name] = result;
  });
  return result;
}

/** `network disconnect`: the interface, the address and the names go; `force`: no error if it was not connected. */
export function disconnectNetwork(storage: string, reference: string, network: string, options: { force?: boolean } = {}): void {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const known = record.Networks?.[network] !== undefined || record.NetworkingConfig.EndpointsConfig?.[network] !== undefined || primaryNetwork(record) === network;
  if (!known && !options.force) throw new RuntimeError(`container ${record.Name.slice(1)} is not connected to network ${network}`);
  if (isPrimaryEndpoint(record, network)) {
    throw new RuntimeError(`network ${network} is the one container ${record.Name.slice(1)} was created on (--network): ts-runc disconnects only networks joined with network connect`);
  }
  disconnectContainer(storage, network, record.Id, record.Root);
  store.update(record.Id, (r) => {
    if (r.Networks) delete r.Networks[network];
    if (r.NetworkingConfig.EndpointsConfig) delete r.NetworkingConfig.EndpointsConfig[network];
  });
}

/**
 * At every start, once the container's init has a pid: attach the networks joined with
 * `network connect` (EndpointsConfig beyond the --network one). A network removed
 * meanwhile is logged and dropped from Networks, not fatal. Returns the record's new Networks.
 */
export function reattachNetworks(storage: string, record: ContainerRecord, pid: number): Record<string, NetworkAttachment> {
  const primary = primaryNetwork(record);
  const networks: Record<string, NetworkAttachment> = { ...(record.Networks ?? {}) };
  for (const [name, endpoint] of Object.entries(record.NetworkingConfig.EndpointsConfig ?? {})) {
    if (isPrimaryEndpoint(record, name)) continue;
    if (!findNetwork(storage, name)) {
      log().warn(`container ${record.Id}: network ${name} no longer exists; not attached`);
      delete networks[name];
      continue;
    }
    disconnectContainer(storage, name, record.Id, record.Root); // anything left from the last run
    networks[name] = connectRunning(storage, record, name, pid, { aliases: endpoint.Aliases ?? [], ip: endpoint.IPAMConfig?.IPv4Address });
  }
  new ContainerStore(storage).update(record.Id, (r) => {
    r.Networks = { ...(r.Networks ?? {}), ...networks };
    for (const name of Object.keys(r.Networks)) if (!(name in networks) && name !== primary) delete r.Networks[name];
  });
  return networks;
}

/**
 * When the container stops (the engine's cleanup hook): the extra interfaces went with its
 * network namespace; their leases and the peers' hosts entries go now. The record keeps
 * EndpointsConfig, so the next start attaches them again.
 */
export function releaseNetworks(storage: string, record: ContainerRecord): void {
  for (const name of Object.keys(record.NetworkingConfig.EndpointsConfig ?? {})) {
    if (isPrimaryEndpoint(record, name)) continue;
    try {
      disconnectContainer(storage, name, record.Id, record.Root);
    } catch (error) {
      log().warn(`container ${record.Id}: releasing network ${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
