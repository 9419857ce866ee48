/** `ts-runc port ID [PORT[/PROTO]]`: the published ports, as `docker port` prints them ("80/tcp -> 0.0.0.0:8080"). */
import { RuntimeError } from '../../errors.js';
import { formatMapping } from '../../network/ports.js';
import { parseFlags } from '../args.js';
import type { Command } from '../command.js';

export const command: Command = {
  synopsis: '<container-id> [PORT[/tcp|udp]]',
  summary: 'list a container\'s published ports',
  flags: [],
  async run({ store }, argv) {
    const [id, filter, ...extra] = parseFlags(argv, [], 'port').positionals;
    if (!id || extra.length > 0) throw new RuntimeError('port: give a container id and at most one port');
    const ports = store.read(id).network?.ports ?? [];
    const [num, proto = 'tcp'] = (filter ?? '').split('/');
    const shown = filter === undefined ? ports : ports.filter((p) => String(p.containerPort) === num && p.protocol === proto);
    if (filter !== undefined && shown.length === 0) throw new RuntimeError(`no public port ${filter} published for ${id}`);
    process.stdout.write(shown.map((p) => `${formatMapping(p)}\n`).join(''));
    return 0;
  },
};
