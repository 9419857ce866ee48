/**
 * The network flags `create` and `run` take (Docker's names), parsed into a NetworkRequest
 * (src/network/request.ts) for src/container/create.ts.
 *
 * Bundle mode (plain `create`/`run -b`): without --network the spec's own network
 * namespace is left alone, since podman and containerd wire their own networking.
 * Image mode (`--image`): the default is the default bridge network, as with docker run.
 */
import { DEFAULT_STORAGE } from '../storage.js';
import { parsePublish } from '../network/ports.js';
import { DEFAULT_NETWORK, parseNetworkMode, type NetworkRequest } from '../network/request.js';
import { RuntimeError } from '../errors.js';
import { bool, list, str, type FlagSpec, type Parsed } from './args.js';

export type { NetworkRequest } from '../network/request.js';

export const NETWORK_FLAGS: FlagSpec[] = [
  {
    name: 'network',
    type: 'string',
    // A container has one veth, one lease and one network record here (network/attach.ts).
    once: 'a ts-runc container joins one network',
    help: 'none, host, container:<id> or a network name (default for --image: the default bridge)',
  },
  { name: 'network-alias', type: 'list', help: 'another name the container answers to on its network' },
  { name: 'publish', short: 'p', type: 'list', help: 'publish a port: [ip:]hostPort:containerPort[/tcp|udp]' },
  { name: 'publish-all', short: 'P', type: 'bool', help: 'publish every exposed port to a random host port' },
];

/** What the network flags asked for; undefined: leave the spec's network namespace alone. */
export function networkRequest(parsed: Parsed, imageMode: boolean, storage: string = DEFAULT_STORAGE): NetworkRequest | undefined {
  const network = str(parsed, 'network');
  const aliases = list(parsed, 'network-alias');
  const publish = list(parsed, 'publish').map(parsePublish);
  const publishAll = bool(parsed, 'publish-all');
  if (network === undefined && !imageMode) {
    if (aliases.length > 0 || publish.length > 0 || publishAll) {
      throw new RuntimeError('--network-alias, -p and -P need --network NAME for a bundle (or --image)');
    }
    return undefined;
  }
  const mode = parseNetworkMode(network ?? DEFAULT_NETWORK);
  if (mode.kind === 'container' && mode.id === '') throw new RuntimeError('--network container:<id>: the id is missing');
  return { mode, storage, aliases, publish, publishAll };
}
