/**
 * `network rm`: refused while a container holds an address on it; otherwise its nftables
 * rules (the whole table after the last network), its bridge (with the gateway address)
 * and its definition and leases directory go.
 */
import { RuntimeError } from '../errors.js';
import { liveLeases } from './ipam.js';
import { deleteLink } from './links.js';
import { Netlink } from './netlink/socket.js';
import { findNetwork, networkDir, networkLock, networksLock, removeNetworkDef, type NetworkDef } from './networks.js';
import { TABLE, deleteScript, deleteStaleRules, listTable, networkTag, runNft } from './nftables.js';
import { withFileLock } from '../sys/file-lock.js';

export function removeNetwork(storage: string, name: string): void {
  const def = findNetwork(storage, name);
  if (!def) throw new RuntimeError(`network ${name} not found`, { code: 'ENOENT' });
  withFileLock(networksLock(storage), () => withFileLock(networkLock(storage, name), () => {
    const attached = liveLeases(networkDir(storage, name), deleteStaleRules);
    if (attached.length > 0) {
      throw new RuntimeError(`network ${name} is in use by ${attached.length} container(s): ${attached.map((l) => l.container).join(', ')}`);
    }
    const script = ruleRemovalScript(def);
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

/**
 * This network's rules and @bridges element; or, once no other network or container has a
 * rule left (only the comment-less jumps to `ports` remain), the whole table, so the last
 * `network rm` leaves no trace of ts-runc in nftables. attachNetwork adds it again.
 */
function ruleRemovalScript(def: NetworkDef): string {
  const table = listTable();
  if (!table.exists) return '';
  const othersLeft = table.rules.some((r) => r.comment !== undefined && r.comment !== networkTag(def.name))
    || table.bridges.some((b) => b !== def.bridge);
  if (!othersLeft) return `delete table ip ${TABLE}\n`;
  let script = deleteScript(table.rules, networkTag(def.name));
  if (table.bridges.includes(def.bridge)) script += `delete element ip ${TABLE} bridges { "${def.bridge}" }\n`;
  return script;
}
