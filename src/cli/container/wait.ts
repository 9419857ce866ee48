/** `ts-runc container wait [--condition C] CONTAINER...`: block until each stops; print its exit code. */
import { RuntimeError } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';

const FLAGS: FlagSpec[] = [{ name: 'condition', type: 'string', help: 'not-running (default), next-exit or removed' }];

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'wait for containers to stop and print their exit codes',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'container wait');
    if (parsed.positionals.length === 0) throw new RuntimeError('container wait: at least one CONTAINER is required');
    const condition = str(parsed, 'condition') ?? 'not-running';
    if (condition !== 'not-running' && condition !== 'next-exit' && condition !== 'removed') throw new RuntimeError(`--condition ${condition}: use not-running, next-exit or removed`);
    const { waitContainer } = await import('../../engine/lifecycle/wait.js');
    for (const ref of parsed.positionals) {
      const result = await waitContainer(globals.storage, ref, condition);
      process.stdout.write(`${result.StatusCode}\n`);
    }
    return 0;
  },
};
