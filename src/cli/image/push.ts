/** `ts-runc image push IMAGE [HOST[:PORT]/NAME[:TAG]]`: send a local image to a registry. */
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'creds', type: 'string', help: 'user:password for the registry (or TS_RUNC_REGISTRY_CREDS)' },
  { name: 'tls-verify', type: 'bool', help: '--tls-verify=false talks plain HTTP to the registry (loopback registries always do)' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'no progress output' },
];

export const command: Command = {
  synopsis: '[options] IMAGE [HOST[:PORT]/NAME[:TAG]]',
  summary: 'push an image to a registry',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image push');
    const [source, destination] = checkArgs(parsed, 'image push', command.synopsis) as [string, string | undefined];
    const [{ ImageStore }, { pushImage }, { parseCredentials }, { Progress }] = await Promise.all([
      import('../../image/store.js'), import('../../image/registry/push.js'), import('../../image/registry/client.js'),
      import('../../image/registry/progress.js'),
    ]);
    const progress = Progress.forStderr(bool(parsed, 'quiet'));
    const result = await pushImage(new ImageStore(globals.storage), source, destination, {
      credentials: parseCredentials(str(parsed, 'creds') ?? process.env.TS_RUNC_REGISTRY_CREDS),
      tlsVerify: parsed.flags.get('tls-verify') !== false,
      progress,
    });
    progress.note(`${result.uploaded} blob(s) pushed, ${result.skipped} already in the registry`);
    process.stdout.write(`Digest: ${result.digest}\n`);
    return 0;
  },
};
