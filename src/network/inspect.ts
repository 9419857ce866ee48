/** What `network ls` and `network inspect` show: the definition and the containers on it. */
import { macForAddress } from './attach.js';
import { liveLeases, parseSubnet } from './ipam.js';
import { networkDir, networkLock, type NetworkDef } from './networks.js';
import { withFileLock } from '../sys/file-lock.js';

export interface NetworkView extends NetworkDef {
  containers: Array<{ id: string; ip: string; names: string[]; root: string }>;
  /** docker network inspect's Containers: by container id (engine containers and runtime ones alike) */
  Containers: Record<string, { Name: string; MacAddress: string; IPv4Address: string; IPv6Address: string }>;
}

export function describeNetwork(storage: string, def: NetworkDef): NetworkView {
  const leases = withFileLock(networkLock(storage, def.name), () => liveLeases(networkDir(storage, def.name)));
  const sorted = leases.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }));
  const prefix = parseSubnet(def.subnet).prefix;
  return {
    ...def,
    containers: sorted.map((l) => ({ id: l.container, ip: l.ip, names: l.names, root: l.root })),
    Containers: Object.fromEntries(sorted.map((l) => [l.container, {
      // its name: the first that is not (a prefix of) its hex id
      Name: l.names.find((n) => !(/^[0-9a-f]{12,64}$/.test(n) && l.container.startsWith(n))) ?? l.container,
      MacAddress: macForAddress(l.ip),
      IPv4Address: `${l.ip}/${prefix}`,
      IPv6Address: '',
    }])),
  };
}
