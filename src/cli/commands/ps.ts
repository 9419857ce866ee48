/**
 * `ts-runc ps [--format table|json] <id> [ps options]`: the container's processes, from its
 * cgroup. json is a bare array of host pids (what containerd reads); table runs ps(1) with
 * the given options (default -ef) and keeps its header and the container's lines.
 */
import { execFileSync } from 'node:child_process';
import { cgroupPids } from '../../cgroups/cgroup.js';
import { RuntimeError } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'format', short: 'f', type: 'string', help: 'table or json' }];

export const command: Command = {
  synopsis: '[options] <container-id> [ps-options...]',
  summary: 'list the processes in a container',
  flags: FLAGS,
  async run({ store }, argv) {
    // runc's ps keeps the words after the id for ps(1) (SkipArgReorder): `ps ID -o pid`
    const parsed = parseFlags(argv, FLAGS, 'ps', 'before-args');
    const [id] = checkArgs(parsed, 'ps', command.synopsis) as [string];
    const format = str(parsed, 'format') ?? 'table';
    const pids = cgroupPids(store.read(id).cgroupPaths);
    if (format === 'json') {
      process.stdout.write(JSON.stringify(pids) + '\n');
      return 0;
    }
    if (format !== 'table') throw new RuntimeError(`invalid format option ${JSON.stringify(format)}`);
    const psArgs = parsed.positionals.length > 1 ? parsed.positionals.slice(1) : ['-ef'];
    const lines = execFileSync('ps', psArgs, { encoding: 'utf8' }).split('\n');
    const header = lines[0] ?? '';
    const pidColumn = header.trim().split(/\s+/).indexOf('PID');
    if (pidColumn < 0) throw new RuntimeError('ps output has no PID column');
    const wanted = new Set(pids);
    const rows = lines.slice(1).filter((line) => wanted.has(Number(line.trim().split(/\s+/)[pidColumn])));
    process.stdout.write([header, ...rows].join('\n') + '\n');
    return 0;
  },
};
