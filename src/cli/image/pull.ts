/** `ts-runc image pull HOST[:PORT]/repo[:tag|@digest]`: fetch an image from a registry. */
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'platform', type: 'string', help: 'os/arch[/variant] to take from a manifest list (default: this machine\'s)' },
  { name: 'creds', type: 'string', help: 'user:password for the registry (or TS_RUNC_REGISTRY_CREDS)' },
  { name: 'tls-verify', type: 'bool', help: '--tls-verify=false talks plain HTTP to the registry (loopback registries always do)' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'no progress output' },
];

export const command: Command = {
  synopsis: '[options] HOST[:PORT]/NAME[:TAG|@DIGEST]',
  summary: 'pull an image from a registry',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image pull');
    const [reference] = checkArgs(parsed, 'image pull', command.synopsis) as [string];
    // The registry client (and fetch) are loaded only by the verbs that talk to registries.
    const [{ ImageStore }, { pullImage }, { parseCredentials }, { parsePlatform }, { Progress }] = await Promise.all([
      import('../../image/store.js'), import('../../image/registry/pull.js'), import('../../image/registry/client.js'),
      import('../../image/registry/platform.js'), import('../../image/registry/progress.js'),
    ]);
    const platform = str(parsed, 'platform');
    const progress = Progress.forStderr(bool(parsed, 'quiet'));
    const result = await pullImage(new ImageStore(globals.storage), reference, {
      platform: platform ? parsePlatform(platform) : undefined,
      credentials: parseCredentials(str(parsed, 'creds') ?? process.env.TS_RUNC_REGISTRY_CREDS),
      tlsVerify: parsed.flags.get('tls-verify') !== false,
      progress,
    });
    progress.note(`${result.fetched} blob(s) fetched, ${result.present} already present`);
    process.stdout.write(`Digest: ${result.digest}\n`);
    return 0;
  },
};
