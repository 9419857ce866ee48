/**
 * Containers on one user-defined network know each other by name: each one's /etc/hosts
 * lists itself and every peer (with aliases). Rewritten, with the network's lock held,
 * whenever a container joins (allocate) or leaves (teardown).
 */
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { errorCode } from '../errors.js';
import { renderHosts } from './hosts-files.js';
import { liveLeases } from './ipam.js';

/** Every live container of the network gets a hosts file naming all the others. */
export function refreshHosts(networkDir: string): void {
  const leases = liveLeases(networkDir);
  for (const lease of leases) {
    const peers = leases.filter((l) => l !== lease).map((l) => ({ ip: l.ip, names: l.names }));
    rewriteIfPresent(lease.hostsFile, renderHosts({ ip: lease.ip, names: [...new Set([...lease.names, lease.hostname])] }, peers));
  }
}

/**
 * Truncate and write the same inode, which the container has bind-mounted (a rename would
 * not be seen inside). A file already removed by its container's delete is left alone.
 */
function rewriteIfPresent(path: string, content: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    ftruncateSync(fd, 0);
    writeSync(fd, content, 0);
  } finally {
    closeSync(fd);
  }
}
