/**
 * Containers on one user-defined network know each other by name: each one's /etc/hosts
 * lists itself and every peer (with aliases). Rewritten, with the network's lock held,
 * whenever a container joins (allocate, connect) or leaves (teardown, disconnect).
 *
 * A container on several networks (`network connect`) has one lease on each, all naming
 * the same hosts file: that file lists its address on each network and the peers of all
 * of them, as Docker's embedded DNS answers for every network a container is on. So the
 * file is written from the leases of every network it is on, not only the one that changed.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderHosts, writeInPlace, type HostsEntry } from './hosts-files.js';
import { liveLeases, type Lease } from './ipam.js';

/** The live leases of every network beside `networkDir` (<storage>/networks/<name>). */
function leasesOfAllNetworks(networkDir: string): Lease[][] {
  const root = dirname(networkDir);
  let names: string[];
  try {
    names = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [liveLeases(networkDir)];
  }
  return names.map((name) => (join(root, name) === networkDir ? liveLeases(networkDir) : liveLeases(join(root, name))));
}

/** Every live container of the network gets a hosts file naming all the others of all its networks. */
export function refreshHosts(networkDir: string): void {
  const networks = leasesOfAllNetworks(networkDir);
  for (const lease of liveLeases(networkDir)) {
    const file = lease.hostsFile;
    const mine = networks.map((leases) => leases.filter((l) => l.hostsFile === file));
    const own = mine.flat();
    const peers = new Map<string, HostsEntry>();
    networks.forEach((leases, i) => {
      if (mine[i]!.length === 0) return;
      for (const l of leases) if (l.hostsFile !== file && !peers.has(l.ip)) peers.set(l.ip, { ip: l.ip, names: l.names });
    });
    const self = own[0] ?? lease; // the same line first whichever network changed
    const names = (l: Lease) => [...new Set([...l.names, l.hostname])];
    const others = own.filter((l) => l.ip !== self.ip).map((l) => ({ ip: l.ip, names: names(l) }));
    writeInPlace(file, renderHosts({ ip: self.ip, names: names(self) }, [...others, ...peers.values()], self.extraHosts ?? lease.extraHosts ?? []), { onlyIfPresent: true });
  }
}
