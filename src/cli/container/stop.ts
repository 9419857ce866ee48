/** `ts-runc container stop [-t N] [-s SIGNAL] CONTAINER...`: stop signal, then SIGKILL after the timeout. */
import { RuntimeError, errorMessage } from '../../errors.js';
import { parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';

export const STOP_FLAGS: FlagSpec[] = [
  { name: 'time', short: 't', type: 'string', help: 'seconds to wait before SIGKILL (default: --stop-timeout, else 10)' },
  { name: 'signal', short: 's', type: 'string', help: 'signal to send first (default: --stop-signal, the image\'s, else SIGTERM)' },
];

/** -t as seconds (-1: wait forever). */
export function stopTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text)) throw new RuntimeError(`-t ${text}: expected whole seconds`);
  return Number(text);
}

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'stop running containers',
  flags: STOP_FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, STOP_FLAGS, 'container stop');
    if (parsed.positionals.length === 0) throw new RuntimeError('container stop: at least one CONTAINER is required');
    const { stopContainer } = await import('../../engine/lifecycle/stop.js');
    const timeout = stopTimeout(str(parsed, 'time'));
    const signal = str(parsed, 'signal');
    const failures: string[] = [];
    await Promise.all(parsed.positionals.map(async (ref) => {
      try {
        await stopContainer(globals.storage, ref, { ...(timeout !== undefined ? { timeout } : {}), ...(signal ? { signal } : {}) });
        process.stdout.write(`${ref}\n`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }));
    if (failures.length > 0) throw new RuntimeError(failures.join('; '));
    return 0;
  },
};
