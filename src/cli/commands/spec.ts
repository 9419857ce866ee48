/** `ts-runc spec [--bundle dir] [--rootless]`: write a default config.json, as `runc spec` does. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { defaultSpec } from '../../spec/defaults.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'bundle', short: 'b', type: 'string', help: 'directory to write config.json in' },
  { name: 'rootless', type: 'bool', help: 'a spec for a container run by an unprivileged user' },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'write a new config.json',
  flags: FLAGS,
  async run(_context, argv) {
    const parsed = parseFlags(argv, FLAGS, 'spec');
    checkArgs(parsed, 'spec', command.synopsis);
    const file = join(str(parsed, 'bundle') ?? '.', 'config.json');
    if (existsSync(file)) throw new RuntimeError(`File ${file} exists. Remove it first`);
    writeFileSync(file, JSON.stringify(defaultSpec({ rootless: bool(parsed, 'rootless') }), null, '\t') + '\n');
    return 0;
  },
};
