/**
 * Containers on one user-defined network know each other by name: each one's /etc/hosts
 * lists itself and every peer (with aliases). Rewritten, with the network's lock held,
 * whenever a container joins (allocate) or leaves (teardown).
 */
import { renderHosts, writeInPlace } from './hosts-files.js';
import { liveLeases } from './ipam.js';

/** Every live container of the network gets a hosts file naming all the others. */
export function refreshHosts(networkDir: string): void {
  const leases = liveLeases(networkDir);
  for (const lease of leases) {
    const peers = leases.filter((l) => l !== lease).map((l) => ({ ip: l.ip, names: l.names }));
    writeInPlace(lease.hostsFile, renderHosts({ ip: lease.ip, names: [...new Set([...lease.names, lease.hostname])] }, peers), { onlyIfPresent: true });
  }
}
