/**
 * What state.json remembers of a container's network (StoredState.network), and what
 * delete needs to undo it. Its own file so the state store can name the type without
 * importing the network code that reads the store (container-network.ts).
 */
import type { NameFiles } from './hosts-files.js';
import type { PortMapping } from './ports.js';

export interface NetworkRecord {
  mode: 'none' | 'host' | 'container' | 'bridge';
  storage: string;
  /** bridge: the network's name, bridge, address and gateway */
  network?: string;
  bridge?: string;
  ip?: string;
  prefix?: number;
  gateway?: string;
  hostVeth?: string;
  aliases: string[];
  /** published ports, host ports resolved */
  ports: PortMapping[];
  /** the hosts/hostname/resolv.conf files bind-mounted in; removed on delete when `ownFiles` */
  files?: NameFiles;
  ownFiles: boolean;
  /** container:<id>: whose namespace was joined */
  joined?: string;
}

