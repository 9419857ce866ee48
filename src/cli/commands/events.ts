/**
 * `ts-runc events [--stats] [--interval 5s] <id>`: the container's resource usage and OOM
 * kills as JSON lines on stdout (runc's events command; src/container/events.ts).
 */
import { containerEvents } from '../../container/events.js';
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import { EXIT_PIPE_CLOSED, type Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'stats', type: 'bool', help: 'print the container\'s stats once and exit' },
  { name: 'interval', type: 'string', help: 'time between stats events (Go duration, default 5s)' },
];

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go time.Duration string ("5s", "500ms", "1m30s", "1.5h") in milliseconds (time.ParseDuration). */
export function parseDuration(text: string): number {
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  if (text === '0') return 0;
  while (at < text.length) {
    part.lastIndex = at;
    const match = part.exec(text);
    if (!match) throw new RuntimeError(`time: invalid duration ${JSON.stringify(text)}`);
    ms += Number(match[1]) * UNIT_MS[match[2]!]!;
    at = part.lastIndex;
  }
  if (at === 0) throw new RuntimeError(`time: invalid duration ${JSON.stringify(text)}`);
  return ms;
}

export const command: Command = {
  synopsis: '[--stats] [--interval 5s] <container-id>',
  summary: 'display container events such as OOM notifications and cpu, memory and IO usage statistics',
  flags: FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'events');
    const [id] = checkArgs(parsed, 'events', command.synopsis);
    const intervalMs = parseDuration(str(parsed, 'interval') ?? '5s');
    if (!(intervalMs > 0)) throw new RuntimeError('duration interval must be greater than 0');
    // A reader that went away (`events | head -1`): the stream never ends by itself, and
    // nothing needs undoing, so stop here, with main.ts's status for a closed stdout.
    process.stdout.on('error', () => process.exit(EXIT_PIPE_CLOSED));
    await containerEvents(store, id!, { stats: bool(parsed, 'stats'), intervalMs, write: (line) => process.stdout.write(line) });
    return 0;
  },
};
