/** `ts-runc list [--format table|json] [-q]`: the containers under --root. */
import { ociState } from '../../container/status.js';
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';

const FLAGS: FlagSpec[] = [
  { name: 'format', short: 'f', type: 'string', help: 'table or json' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'print only the ids' },
];

export const command: Command = {
  synopsis: '[options]',
  summary: 'list containers',
  flags: FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'list');
    checkArgs(parsed, 'list', command.synopsis);
    const format = str(parsed, 'format') ?? 'table';
    if (format !== 'table' && format !== 'json') throw new RuntimeError(`invalid format option ${JSON.stringify(format)}`);
    const states = store.list().map((id) => ociState(store, store.read(id)));
    if (bool(parsed, 'quiet')) {
      writeOut(states.map((s) => `${s.id}\n`).join(''));
    } else if (format === 'json') {
      writeOut(JSON.stringify(states) + '\n');
    } else {
      const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
        ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created, s.owner || 'root'])];
      const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
      writeOut(rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col]! + 2)).join('').trimEnd() + '\n').join(''));
    }
    return 0;
  },
};
