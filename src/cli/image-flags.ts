/**
 * The flags `run --image`, `create --image` and `bundle --image` take to make a container
 * from an image (Docker's names), and the split of their positional words:
 *
 *   ts-runc run --image REF [flags] [ID] [-- command args...]
 *
 * Without --name, the first word before `--` is the container id (runc's place for it);
 * with neither, a random 12-hex id is made. Every word after the id, or after `--`,
 * replaces the image's Cmd.
 */
import { RuntimeError } from '../errors.js';
import { securityOptions } from '../image/security-opts.js';
import type { ImageRunOptions } from '../image/image-spec.js';
import { parseBind } from '../engine/volumes/bind-spec.js';
import { bool, list, parseFlags, str, type FlagSpec, type Parsed } from './args.js';

export const IMAGE_FLAGS: FlagSpec[] = [
  { name: 'image', type: 'string', help: 'make the bundle from this image (name, name:tag or id)' },
  { name: 'name', type: 'string', help: 'the container id (default: the first word, else a random one)' },
  { name: 'env', short: 'e', type: 'list', help: 'set an environment variable: KEY=VALUE, or KEY to pass ours on' },
  { name: 'workdir', short: 'w', type: 'string', help: 'working directory in the container (created if missing)' },
  { name: 'user', short: 'u', type: 'string', help: 'user[:group], by name (the image\'s /etc/passwd) or number' },
  { name: 'tty', short: 't', type: 'bool', help: 'give the process a terminal' },
  { name: 'volume', short: 'v', type: 'list', help: '/host/path:/path[:ro], name:/path[:ro], or /path (an anonymous volume)' },
  { name: 'entrypoint', type: 'string', help: 'replace the image\'s Entrypoint (and drop its Cmd)' },
  { name: 'hostname', type: 'string', help: 'the container\'s hostname (default: the id\'s first 12 characters)' },
  { name: 'security-opt', type: 'list', help: 'seccomp=unconfined, seccomp=FILE (a profile in moby\'s or OCI\'s format), no-new-privileges[=true|false]' },
];

/** Whether argv asks for an image (a quick look before choosing which flags to parse). */
export function wantsImage(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => /^--?image(=|$)/.test(arg));
}

export interface ImageInvocation {
  parsed: Parsed;
  image: string;
  id: string;
  /** whether the id was made up here (then it is printed) */
  generatedId: boolean;
  run: Omit<ImageRunOptions, 'mounts'>;
  /** -v values as given (HostConfig.Binds), checked */
  volumes: string[];
}

/**
 * Parse the words before `--` with `flags`, then split the positionals. `takesId`: the
 * first word is the id (create/run); for `bundle` it is the directory instead, returned
 * as `id`.
 */
export function parseImageInvocation(argv: string[], flags: FlagSpec[], verb: string): ImageInvocation {
  const end = argv.indexOf('--');
  // As docker run: flags end at the first word (the id, else the command), so the command
  // keeps its own flags: `run --image busybox web ls -l`.
  const parsed = parseFlags(end < 0 ? argv : argv.slice(0, end), flags, verb, 'before-args');
  const words = [...parsed.positionals];
  const command = end < 0 ? [] : argv.slice(end + 1);
  const image = str(parsed, 'image');
  if (!image) throw new RuntimeError(`${verb}: --image needs a value`);
  let id = str(parsed, 'name');
  let generatedId = false;
  if (id === undefined) id = words.shift();
  if (id === undefined) {
    if (verb === 'bundle') throw new RuntimeError('bundle: the bundle directory is required');
    // WebCrypto's global: no node:crypto import on run's start-up path
    id = Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex');
    generatedId = true;
  }
  return {
    parsed,
    image,
    id,
    generatedId,
    run: {
      id,
      command: [...words, ...command],
      entrypoint: str(parsed, 'entrypoint'),
      env: list(parsed, 'env'),
      workdir: str(parsed, 'workdir'),
      user: str(parsed, 'user'),
      hostname: str(parsed, 'hostname'),
      terminal: bool(parsed, 'tty'),
      ...securityOptions(list(parsed, 'security-opt')),
    },
    volumes: list(parsed, 'volume').map((v) => {
      parseBind(v); // refuse a bad -v before anything is made
      return v;
    }),
  };
}

export { securityOptions } from '../image/security-opts.js';
