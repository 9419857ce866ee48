/** `ts-runc kill [--all] <id> [signal]`: signal by name ("TERM", "SIGKILL") or number; default SIGTERM. */
import { killContainer } from '../../container/kill.js';
import { parseSignal } from '../../process/signals.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';

const FLAGS: FlagSpec[] = [{ name: 'all', short: 'a', type: 'bool', help: 'signal every process in the container\'s cgroup' }];

export const command: Command = {
  synopsis: '[options] <container-id> [signal]',
  summary: 'send a signal to a container',
  flags: FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'kill');
    const id = requireId(parsed, 'kill');
    killContainer(store, id, parseSignal(parsed.positionals[1] ?? 'SIGTERM'), bool(parsed, 'all'));
    return 0;
  },
};
