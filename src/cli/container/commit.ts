/**
 * `ts-runc container commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] [-p=false] CONTAINER
 * [REPOSITORY[:TAG]]`: a new image of the container's changes, with its config; prints the
 * image id (src/engine/containers/commit.ts).
 */
import { bool, list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { writeOut } from '../output.js';
import { splitShortFlags } from '../short-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'author', short: 'a', type: 'string', help: 'author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
  { name: 'change', short: 'c', type: 'list', help: 'apply Dockerfile instruction to the created image (CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME)' },
  { name: 'message', short: 'm', type: 'string', help: 'commit message' },
  { name: 'pause', short: 'p', type: 'bool', help: 'pause container during commit (default true; -p=false to not)' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER [REPOSITORY[:TAG]]',
  summary: "create a new image from a container's changes",
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(splitShortFlags(argv, FLAGS), FLAGS, 'container commit');
    const [ref, reference] = checkArgs(parsed, 'container commit', command.synopsis) as [string, string | undefined];
    const { commitContainer } = await import('../../engine/containers/commit.js');
    const id = await commitContainer(globals.storage, ref, {
      reference,
      author: str(parsed, 'author'),
      message: str(parsed, 'message'),
      changes: list(parsed, 'change'),
      pause: parsed.flags.has('pause') ? bool(parsed, 'pause') : true,
    });
    writeOut(`${id}\n`);
    return 0;
  },
};
