/**
 * `ts-runc container port CONTAINER [PRIVATE_PORT[/PROTO]]`: "80/tcp -> 0.0.0.0:8080" for
 * each published port, or for one port only its host addresses, as docker port prints.
 */
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

const hostPort = (ip: string, port: string) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export const command: Command = {
  synopsis: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
  summary: 'list port mappings or a specific mapping for the container',
  flags: [],
  async run({ globals }, argv) {
    const [ref, filter] = checkArgs(parseFlags(argv, [], 'container port'), 'container port', command.synopsis) as [string, string | undefined];
    const { containerPorts } = await import('../../engine/inspect/port.js');
    const lines = containerPorts(globals.storage, ref, filter);
    writeOut(lines.map((l) => (filter === undefined ? `${l.port} -> ${hostPort(l.HostIp, l.HostPort)}\n` : `${hostPort(l.HostIp, l.HostPort)}\n`)).join(''));
    return 0;
  },
};
