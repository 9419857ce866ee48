/** What `network ls` and `network inspect` show: the definition and the containers on it. */
import { liveLeases } from './ipam.js';
import { networkDir, networkLock, type NetworkDef } from './networks.js';
import { withFileLock } from '../sys/file-lock.js';

export interface NetworkView extends NetworkDef {
  containers: Array<{ id: string; ip: string; names: string[]; root: string }>;
}

export function describeNetwork(storage: string, def: NetworkDef): NetworkView {
  const leases = withFileLock(networkLock(storage, def.name), () => liveLeases(networkDir(storage, def.name)));
  return {
    ...def,
    containers: leases.sort((a, b) => a.ip.localeCompare(b.ip, 'en', { numeric: true }))
      .map((l) => ({ id: l.container, ip: l.ip, names: l.names, root: l.root })),
  };
}
