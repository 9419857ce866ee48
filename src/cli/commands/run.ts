/** `ts-runc run [options] <id>`: create, start, wait, delete; exits with the container's status. */
import { runContainer } from '../../container/run.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { CREATE_FLAGS, createOptions } from './create.js';

const RUN_FLAGS: FlagSpec[] = [
  ...CREATE_FLAGS,
  { name: 'detach', short: 'd', type: 'bool', help: 'do not wait for the container to exit' },
  { name: 'keep', type: 'bool', help: 'do not delete the container after it exits' },
];

export const command: Command = {
  synopsis: '[options] <container-id>',
  summary: 'create and run a container',
  flags: RUN_FLAGS,
  async run({ store }, argv) {
    const parsed = parseFlags(argv, RUN_FLAGS, 'run');
    return runContainer(store, {
      ...createOptions(parsed, 'run'),
      detach: bool(parsed, 'detach'),
      keep: bool(parsed, 'keep'),
    });
  },
};
