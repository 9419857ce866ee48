/**
 * `ts-runc create [options] <id>`: set the container up; `start` runs its process.
 * `create --image REF [flags] [ID] [-- cmd...]` first makes its bundle from the image
 * (src/image/bundle.ts) in <storage>/containers/<id>/.
 */
import { resolve } from 'node:path';
import { createContainer, type CreateOptions } from '../../container/create.js';
import { RuntimeError } from '../../errors.js';
import { validateId } from '../../state/container-state.js';
import { containerDir } from '../../storage.js';
import { bool, int, parseFlags, str, type FlagSpec, type Parsed } from '../args.js';
import type { Command, Context } from '../command.js';
import { checkArgs } from '../help.js';
import { IMAGE_FLAGS, parseImageInvocation, wantsImage, type ImageInvocation } from '../image-flags.js';
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

/**
 * The create options both `create` and `run` take; `storage` (--storage) holds network
 * leases and hosts files. `image`: the id and bundle `--image` made (its network defaults
 * to the default bridge network, a bundle's to none).
 */
export function createOptions(parsed: Parsed, verb: string, storage?: string, image?: { id: string; bundle: string }): CreateOptions {
  return {
    id: image?.id ?? checkArgs(parsed, verb, '[options] <container-id>')[0]!,
    bundle: image?.bundle ?? str(parsed, 'bundle') ?? '.',
    pidFile: str(parsed, 'pid-file'),
    consoleSocket: str(parsed, 'console-socket'),
    noPivot: bool(parsed, 'no-pivot'),
    noNewKeyring: bool(parsed, 'no-new-keyring'),
    preserveFds: int(parsed, 'preserve-fds', 0),
    network: networkRequest(parsed, image !== undefined, storage),
  };
}

/**
 * `--image`: make <storage>/containers/<id>/ from the image, then hand `use` the create
 * options for it. If `use` fails before the container exists, the bundle is removed
 * (unmount, upper layer, hold); once it exists, `delete` removes it.
 */
export async function withImageBundle<T>(
  { globals, store }: Context,
  argv: string[],
  flags: FlagSpec[],
  verb: string,
  use: (options: CreateOptions, invocation: ImageInvocation) => Promise<T>,
): Promise<T> {
  const invocation = parseImageInvocation(argv, flags, verb);
  const { parsed, id } = invocation;
  if (str(parsed, 'bundle') !== undefined) throw new RuntimeError(`${verb}: --image and --bundle exclude each other`);
  // Fail on a bad or taken id before mounting anything (the id names a storage directory).
  validateId(id);
  if (store.exists(id)) throw new RuntimeError(`container with id ${id} already exists`);
  const { makeImageBundle, removeImageBundle } = await import('../../image/bundle.js');
  const dir = containerDir(globals.storage, id);
  makeImageBundle({ storage: globals.storage, image: invocation.image, dir, container: id, root: store.root, run: invocation.run, volumes: invocation.volumes });
  try {
    return await use(createOptions(parsed, verb, globals.storage, { id, bundle: dir }), invocation);
  } catch (error) {
    // A container that got as far as a state file is `delete`'s to remove (run does);
    // a state of this id for another bundle is another create's, which won the id.
    if (!store.exists(id) || store.read(id).bundle !== resolve(dir)) removeImageBundle(dir);
    throw error;
  }
}

export const command: Command = {
  synopsis: '[options] <container-id>  |  --image REF [options] [container-id] [-- command...]',
  summary: 'create a container',
  flags: [...CREATE_FLAGS, ...IMAGE_FLAGS],
  async run(context, argv) {
    if (wantsImage(argv)) {
      return withImageBundle(context, argv, [...CREATE_FLAGS, ...IMAGE_FLAGS], 'create', async (options, { id }) => {
        const { init } = await createContainer(context.store, options);
        init.release();
        process.stdout.write(`${id}\n`);
        return 0;
      });
    }
    const { init } = await createContainer(context.store, createOptions(parseFlags(argv, CREATE_FLAGS, 'create'), 'create', context.globals.storage));
    init.release();
    return 0;
  },
};
