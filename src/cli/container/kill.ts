/** `ts-runc container kill [-s SIGNAL] CONTAINER...`: a signal (default SIGKILL); the restart policy is off after it. */
import { RuntimeError, errorMessage } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';

const FLAGS: FlagSpec[] = [{ name: 'signal', short: 's', type: 'string', help: 'signal to send (default SIGKILL)' }];

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'kill running containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'container kill');
    if (parsed.positionals.length === 0) throw new RuntimeError('container kill: at least one CONTAINER is required');
    const { killContainer } = await import('../../engine/lifecycle/stop.js');
    const failures: string[] = [];
    for (const ref of parsed.positionals) {
      try {
        await killContainer(globals.storage, ref, str(parsed, 'signal') ?? 'SIGKILL');
        process.stdout.write(`${ref}\n`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    if (failures.length > 0) throw new RuntimeError(failures.join('; '));
    return 0;
  },
};
