/**
 * `ts-runc port ID [PORT[/PROTO]]`: the published ports, as `docker port` prints them:
 * "80/tcp -> 0.0.0.0:8080" for each, or for one given port only where it is published, "0.0.0.0:8080".
 */
import { RuntimeError } from '../../errors.js';
import { formatHostAddress, formatMapping } from '../../network/ports.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

export const command: Command = {
  synopsis: '<container-id> [PORT[/tcp|udp]]',
  summary: 'list a container\'s published ports',
  flags: [],
  async run({ store }, argv) {
    const [id, filter] = checkArgs(parseFlags(argv, [], 'port'), 'port', command.synopsis) as [string, string | undefined];
    const ports = store.read(id).network?.ports ?? [];
    const [num, proto = 'tcp'] = (filter ?? '').split('/');
    if (filter === undefined) {
      process.stdout.write(ports.map((p) => `${formatMapping(p)}\n`).join(''));
      return 0;
    }
    const shown = ports.filter((p) => String(p.containerPort) === num && p.protocol === proto);
    if (shown.length === 0) throw new RuntimeError(`no public port ${filter} published for ${id}`);
    process.stdout.write(shown.map((p) => `${formatHostAddress(p)}\n`).join(''));
    return 0;
  },
};
