/** `ts-runc volume create [-d local] [--label K=V] [-o type=tmpfs -o device=tmpfs -o o=size=64m] [NAME]` */
import { RuntimeError } from '../../errors.js';
import { createVolume } from '../../engine/volumes/store.js';
import { list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'driver', short: 'd', type: 'string', help: 'volume driver (only "local")' },
  { name: 'label', type: 'list', value: 'K=V', help: 'set a label on the volume' },
  { name: 'opt', short: 'o', type: 'list', value: 'K=V', help: 'driver option: type=tmpfs, device=tmpfs, o=size=64m,mode=…,uid=…,gid=…' },
  { name: 'name', type: 'string', help: 'the volume\'s name (instead of the argument)' },
];

function keyValues(values: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) {
      if (flag === 'label' && value) out[value] = '';
      else throw new RuntimeError(`invalid --${flag} ${JSON.stringify(value)}: expected KEY=VALUE`);
    } else {
      out[value.slice(0, eq)] = value.slice(eq + 1);
    }
  }
  return out;
}

export const command: Command = {
  synopsis: '[options] [VOLUME]',
  summary: 'create a volume (a random name when none is given)',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'volume create');
    const [given] = checkArgs(parsed, 'volume create', command.synopsis);
    const flagName = str(parsed, 'name');
    if (given !== undefined && flagName !== undefined && given !== flagName) throw new RuntimeError(`volume create: conflicting names: --name ${flagName} and ${given}`);
    const volume = createVolume(globals.storage, {
      Name: given ?? flagName,
      Driver: str(parsed, 'driver'),
      DriverOpts: keyValues(list(parsed, 'opt'), 'opt'),
      Labels: keyValues(list(parsed, 'label'), 'label'),
    });
    process.stdout.write(`${volume.Name}\n`);
    return 0;
  },
};
