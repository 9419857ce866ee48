/** `ts-runc create [options] <id>`: set the container up; `start` runs its process. */
import { createContainer, type CreateOptions } from '../../container/create.js';
import { bool, int, parseFlags, str, type FlagSpec, type Parsed } from '../args.js';
import { requireId } from '../ids.js';
import type { Command } from '../command.js';
import { NETWORK_FLAGS, networkRequest } from '../network-flags.js';

export const CREATE_FLAGS: FlagSpec[] = [
  { name: 'bundle', short: 'b', type: 'string', help: 'path to the bundle directory (default: current directory)' },
  { name: 'console-socket', type: 'string', help: 'unix socket that receives the pty master of process.terminal' },
  { name: 'pid-file', type: 'string', help: 'file to write the container process id to' },
  { name: 'no-pivot', type: 'bool', help: 'use MS_MOVE + chroot instead of pivot_root (for ramdisk roots)' },
  { name: 'no-new-keyring', type: 'bool', help: 'keep the caller\'s session keyring' },
  { name: 'preserve-fds', type: 'string', help: 'pass N more fds (3..3+N-1) to the container' },
  ...NETWORK_FLAGS,
];

/** The create options both `create` and `run` take. */
export function createOptions(parsed: Parsed, verb: string): CreateOptions {
  return {
    id: requireId(parsed, verb),
    bundle: str(parsed, 'bundle') ?? '.',
    pidFile: str(parsed, 'pid-file'),
    consoleSocket: str(parsed, 'console-socket'),
    noPivot: bool(parsed, 'no-pivot'),
    noNewKeyring: bool(parsed, 'no-new-keyring'),
    preserveFds: int(parsed, 'preserve-fds', 0),
    network: networkRequest(parsed, false),
  };
}

export const command: Command = {
  synopsis: '[options] <container-id>',
  summary: 'create a container',
  flags: CREATE_FLAGS,
  async run({ store }, argv) {
    const { init } = await createContainer(store, createOptions(parseFlags(argv, CREATE_FLAGS, 'create'), 'create'));
    init.release();
    return 0;
  },
};
