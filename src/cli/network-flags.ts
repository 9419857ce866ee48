/**
 * The network flags `create` and `run` take (Docker's names). Filled in by the network
 * work (issue 5); until then they parse to "no network set-up".
 */
import type { FlagSpec, Parsed } from './args.js';

export const NETWORK_FLAGS: FlagSpec[] = [
  { name: 'network', type: 'string', help: 'none, host, container:<id> or a network name (default for --image: the default bridge)' },
  { name: 'network-alias', type: 'list', help: 'another name the container answers to on its network' },
  { name: 'publish', short: 'p', type: 'list', help: 'publish a port: [ip:]hostPort:containerPort[/tcp|udp]' },
  { name: 'publish-all', short: 'P', type: 'bool', help: 'publish every exposed port to a random host port' },
];

/** What the network flags asked for; undefined: leave the spec's network namespace alone. */
export type NetworkRequest = undefined;

export function networkRequest(_parsed: Parsed, _imageMode: boolean): NetworkRequest {
  return undefined;
}
