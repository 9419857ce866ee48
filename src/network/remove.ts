/**
 * `network rm`: refused while a container holds an address on it; otherwise its nftables
 * rules, its bridge (with the gateway address) and its definition and leases directory go.
 */
import { RuntimeError } from '../errors.js';
import { liveLeases, withLock } from './ipam.js';
import { deleteLink } from './links.js';
import { Netlink } from './netlink/socket.js';
import { findNetwork, networkDir, networkLock, networksLock, removeNetworkDef } from './networks.js';
import { TABLE, deleteScript, listTable, networkTag, runNft } from './nftables.js';

export function removeNetwork(storage: string, name: string): void {
  const def = findNetwork(storage, name);
  if (!def) throw new RuntimeError(`network ${name} not found`, { code: 'ENOENT' });
  withLock(networksLock(storage), () => withLock(networkLock(storage, name), () => {
    const attached = liveLeases(networkDir(storage, name));
    if (attached.length > 0) {
      throw new RuntimeError(`network ${name} is in use by ${attached.length} container(s): ${attached.map((l) => l.container).join(', ')}`);
    }
    const table = listTable();
    let script = deleteScript(table.rules, networkTag(name));
    if (table.bridges.includes(def.bridge)) script += `delete element ip ${TABLE} bridges { "${def.bridge}" }\n`;
    if (script) runNft(script, `network rm ${name}`);
    const nl = Netlink.open();
    try {
      deleteLink(nl, def.bridge);
    } finally {
      nl.close();
    }
    removeNetworkDef(storage, name);
  }));
}
