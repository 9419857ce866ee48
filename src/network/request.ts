/**
 * What a container asks of the network, as the CLI flags (or a library caller) say it.
 * Lives here, not in src/cli, so src/container can use it without importing the CLI.
 *
 *   --network none | host | container:<id> | <network name>
 *   --network-alias NAME…   -p [ip:]hostPort:containerPort[/proto]…   -P
 */
import type { PortMapping } from './ports.js';

export type NetworkMode =
  /** a network namespace of its own with only `lo` */
  | { kind: 'none' }
  /** no network namespace: the host's stack */
  | { kind: 'host' }
  /** join another container's network namespace (and share its hosts/resolv files) */
  | { kind: 'container'; id: string }
  /** a veth on the bridge of a ts-runc network */
  | { kind: 'bridge'; network: string };

export interface NetworkRequest {
  mode: NetworkMode;
  /** <storage> (src/storage.ts): network definitions, leases, hosts files */
  storage: string;
  /** more names the container answers to on its network (besides its id) */
  aliases: string[];
  /** -p: ports asked for, host port 0 = any free port */
  publish: PortMapping[];
  /** -P: publish every port in the io.ts-runc.image.exposed-ports annotation */
  publishAll: boolean;
  /** --dns, --dns-search, --dns-option: what resolv.conf says instead of the host's */
  dns?: DnsSettings;
  /** --ip: this address on the network, or an error */
  ip?: string;
  /** --add-host NAME:IP ("host-gateway" for the network's gateway): more lines of /etc/hosts */
  extraHosts?: string[];
}

export interface DnsSettings {
  servers?: string[];
  search?: string[];
  options?: string[];
}

/** The name the default network has, and what `--network` means for --image containers. */
export const DEFAULT_NETWORK = 'ts-runc';

/** "none", "host", "container:web", "appnet" → the mode. */
export function parseNetworkMode(value: string): NetworkMode {
  if (value === 'none') return { kind: 'none' };
  if (value === 'host') return { kind: 'host' };
  if (value === 'bridge' || value === 'default') return { kind: 'bridge', network: DEFAULT_NETWORK };
  if (value.startsWith('container:')) return { kind: 'container', id: value.slice('container:'.length) };
  return { kind: 'bridge', network: value };
}
