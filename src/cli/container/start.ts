/**
 * `ts-runc container start [-a] [-i] CONTAINER...`, and `start --all`: the containers
 * whose restart policy is always or unless-stopped (and that the user did not stop),
 * e.g. after a reboot.
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { runAttached } from './run-attached.js';

const FLAGS: FlagSpec[] = [
  { name: 'attach', short: 'a', type: 'bool', help: 'attach stdout/stderr and wait for the exit (one container)' },
  { name: 'interactive', short: 'i', type: 'bool', help: 'attach stdin too' },
  { name: 'detach-keys', type: 'string', help: 'keys that detach (default ctrl-p,ctrl-q)' },
  { name: 'all', type: 'bool', help: 'start every container with restart policy always or unless-stopped (after a reboot)' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER...',
  summary: 'start stopped containers',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'container start');
    const refs = parsed.positionals;
    const engine = await import('../../engine/lifecycle/start.js');
    if (bool(parsed, 'all')) {
      if (refs.length > 0) throw new RuntimeError('container start --all takes no container names');
      const { started, failed } = await engine.startAll(globals.storage);
      for (const id of started) process.stdout.write(`${id}\n`);
      if (failed.length > 0) throw new RuntimeError(failed.map((f) => `${f.id.slice(0, 12)}: ${f.error}`).join('; '));
      return 0;
    }
    if (refs.length === 0) throw new RuntimeError('container start: at least one CONTAINER is required');
    const attach = bool(parsed, 'attach') || bool(parsed, 'interactive');
    if (attach) {
      if (refs.length > 1) throw new RuntimeError('container start: -a and -i attach to one container only');
      const { ContainerStore } = await import('../../engine/containers/store.js');
      const id = new ContainerStore(globals.storage).resolve(refs[0]!).Id;
      const detachKeys = str(parsed, 'detach-keys');
      return runAttached(globals.storage, id, {
        attach: { stdin: bool(parsed, 'interactive'), stdout: true, stderr: true },
        ...(detachKeys !== undefined ? { detachKeys } : {}),
        sigProxy: true,
      });
    }
    const failures: string[] = [];
    for (const ref of refs) {
      try {
        await engine.startContainer(globals.storage, ref);
        process.stdout.write(`${ref}\n`);
      } catch (error) {
        failures.push(errorMessage(error));
      }
    }
    if (failures.length > 0) throw new RuntimeError(failures.join('; '));
    return 0;
  },
};
