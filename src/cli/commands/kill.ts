/**
 * `ts-runc kill [--all] <id> [signal]`: signal by name ("TERM", "SIGKILL") or number; default
 * SIGTERM (or the image's StopSignal). 0 probes: it fails only if the container has no live process.
 */
import { killContainer } from '../../container/kill.js';
import { parseSignal } from '../../process/signals.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [{ name: 'all', short: 'a', type: 'bool', help: 'signal every process in the container\'s cgroup' }];

export const command: Command = {
  synopsis: '[options] <container-id> [signal]',
  summary: 'send a signal to a container',
  flags: FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'kill');
    const [id, signal] = checkArgs(parsed, 'kill', command.synopsis);
    // No signal: the image's StopSignal, else SIGTERM (container/kill.ts).
    killContainer(store, id!, signal === undefined ? undefined : parseSignal(signal, true), bool(parsed, 'all'));
    return 0;
  },
};
