/**
 * `ts-runc run [options] <id>`: create, start, wait, delete; exits with the container's status.
 * `run --image REF [flags] [ID] [-- cmd...]` makes the bundle from an image first (create.ts).
 */
import { runContainer } from '../../container/run.js';
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, type FlagSpec, type Parsed } from '../args.js';
import type { Command } from '../command.js';
import { IMAGE_FLAGS, wantsImage } from '../image-flags.js';
import { CREATE_FLAGS, createOptions, withImageBundle } from './create.js';

const RUN_FLAGS: FlagSpec[] = [
  ...CREATE_FLAGS,
  { name: 'detach', short: 'd', type: 'bool', help: 'do not wait for the container to exit' },
  { name: 'keep', type: 'bool', help: 'do not delete the container after it exits' },
  { name: 'rm', type: 'bool', help: 'delete the container after it exits (the default; docker run\'s flag)' },
];

/** --keep, after checking it is not contradicted by --rm. */
function keep(parsed: Parsed): boolean {
  if (bool(parsed, 'keep') && bool(parsed, 'rm')) throw new RuntimeError('run: --keep and --rm contradict each other');
  return bool(parsed, 'keep');
}

export const command: Command = {
  synopsis: '[options] <container-id>  |  --image REF [options] [container-id] [-- command...]',
  summary: 'create and run a container',
  flags: [...RUN_FLAGS, ...IMAGE_FLAGS],
  async run(context, argv) {
    if (wantsImage(argv)) {
      return withImageBundle(context, argv, [...RUN_FLAGS, ...IMAGE_FLAGS], 'run', async (options, { id, parsed, generatedId }) => {
        const detach = bool(parsed, 'detach');
        const status = await runContainer(context.store, { ...options, detach, keep: keep(parsed) });
        // Docker prints the id of a detached container; so do we of a kept one we named.
        if (detach || (generatedId && keep(parsed))) process.stdout.write(`${id}\n`);
        return status;
      });
    }
    const parsed = parseFlags(argv, RUN_FLAGS, 'run');
    return runContainer(context.store, {
      ...createOptions(parsed, 'run', context.globals.storage),
      detach: bool(parsed, 'detach'),
      keep: keep(parsed),
    });
  },
};
