/** `ts-runc container restart [-t N] [-s SIGNAL] CONTAINER...`: stop, then start. */
import { RuntimeError, errorMessage } from '../../errors.js';
import { parseFlags, str } from '../args.js';
import type { Command } from '../command.js';
import { STOP_FLAGS, stopTimeout } from './stop.js';

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'restart containers',
  flags: STOP_FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, STOP_FLAGS, 'container restart');
    if (parsed.positionals.length === 0) throw new RuntimeError('container restart: at least one CONTAINER is required');
    const { restartContainer } = await import('../../engine/lifecycle/stop.js');
    const timeout = stopTimeout(str(parsed, 'time'));
    const signal = str(parsed, 'signal');
    const failures: string[] = [];
    for (const ref of parsed.positionals) {
      try {
        await restartContainer(globals.storage, ref, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
        process.stdout.write(`${ref}\n`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    if (failures.length > 0) throw new RuntimeError(failures.join('; '));
    return 0;
  },
};
