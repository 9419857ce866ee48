/**
 * `ts-runc commit [-c change]... [-m msg] [-a author] <id> [name:tag]`: the container's
 * upper layer as a new image on top of the one it was made from (src/image/commit.ts).
 * Prints the new image's id.
 */
import { join } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'change', short: 'c', type: 'list', help: 'a Dockerfile instruction to apply: CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME' },
  { name: 'message', short: 'm', type: 'string', help: 'the history comment' },
  { name: 'author', short: 'a', type: 'string', help: 'the image author' },
];

export const command: Command = {
  synopsis: '[options] <container-id> [name:tag]',
  summary: 'make an image of a container\'s changes',
  flags: FLAGS,
  async run({ store, globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'commit');
    const [id, name] = checkArgs(parsed, 'commit', command.synopsis) as [string, string | undefined];
    const state = store.read(id);
    const { readImageBundleRecord } = await import('../../image/bundle.js');
    const record = readImageBundleRecord(state.bundle);
    if (!record) throw new RuntimeError(`commit: container ${id} was not made from an image (its bundle ${state.bundle} has no overlay layer to commit)`);
    const { whilePaused } = await import('../../container/pause.js');
    const { commitLayer } = await import('../../image/commit.js');
    const imageId = await whilePaused(store, id, () => commitLayer(globals.storage, {
      upper: join(state.bundle, '.ts-runc', 'upper'),
      base: record.image.id,
      names: name === undefined ? [] : [name],
      changes: list(parsed, 'change'),
      createdBy: `ts-runc commit ${id}`,
      message: str(parsed, 'message'),
      author: str(parsed, 'author'),
    }));
    process.stdout.write(`${imageId}\n`);
    return 0;
  },
};
