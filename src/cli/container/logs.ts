/**
 * `ts-runc container logs [-f] [-t] [-n|--tail N|all] [--since T] [--until T] CONTAINER`:
 * the container's output from its json-file log (src/engine/logs/read.ts), stdout lines
 * to stdout and stderr lines to stderr (under a tty everything was stdout). -f follows
 * the log across rotation and ends when the container stops.
 */
import { writeSync } from 'node:fs';
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'follow', short: 'f', type: 'bool', help: 'follow log output (until the container stops)' },
  { name: 'timestamps', short: 't', type: 'bool', help: 'show timestamps' },
  { name: 'tail', short: 'n', type: 'string', value: 'N', help: 'number of lines to show from the end of the logs ("all" by default)' },
  { name: 'since', type: 'string', value: 'TIME', help: 'show logs since a timestamp (2013-01-02T13:23:37Z) or relative (42m for 42 minutes)' },
  { name: 'until', type: 'string', value: 'TIME', help: 'show logs before a timestamp (2013-01-02T13:23:37Z) or relative (42m for 42 minutes)' },
  { name: 'details', type: 'bool', help: 'not supported: ts-runc keeps no log attributes (--log-opt labels/env)' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER',
  summary: 'fetch the logs of a container',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container logs');
    const [ref] = checkArgs(parsed, 'container logs', command.synopsis) as [string];
    if (bool(parsed, 'details')) throw new RuntimeError('container logs: --details is not supported: ts-runc keeps no extra log attributes (docker adds those of --log-opt labels/env)');
    const tailText = str(parsed, 'tail') ?? 'all';
    if (tailText !== 'all' && !/^-?\d+$/.test(tailText)) throw new RuntimeError(`container logs: invalid --tail ${JSON.stringify(tailText)}: a number or "all"`);
    // docker: a negative tail is "all"
    const tail = tailText === 'all' || Number(tailText) < 0 ? undefined : Number(tailText);
    const { parseTimestamp } = await import('../../engine/list/filters.js');
    const since = str(parsed, 'since');
    const until = str(parsed, 'until');
    const { readLogs } = await import('../../engine/logs/read.js');
    const timestamps = bool(parsed, 'timestamps');
    const entries = readLogs(globals.storage, ref, {
      follow: bool(parsed, 'follow'),
      tail,
      since: since === undefined ? undefined : parseTimestamp(since),
      until: until === undefined ? undefined : parseTimestamp(until),
    });
    for await (const entry of entries) {
      const text = timestamps ? `${entry.time} ${entry.line}` : entry.line;
      if (entry.stream === 'stderr') writeSync(2, text);
      else writeOut(text);
    }
    return 0;
  },
};
