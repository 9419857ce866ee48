/**
 * `ts-runc image build [options] CONTEXT|-`: an image from a Dockerfile, as
 * `DOCKER_BUILDKIT=0 docker build` makes it (src/build/build.ts). CONTEXT is a directory;
 * `-` reads a tar (or a lone Dockerfile) from stdin. SIGINT or SIGTERM stops the build:
 * the RUN container gets the signal, and nothing of the build stays but the cached steps.
 */
import { RuntimeError } from '../../errors.js';
import { bool, list, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'tag', short: 't', type: 'list', value: 'NAME[:TAG]', help: 'name the image' },
  { name: 'file', short: 'f', type: 'string', value: 'FILE', help: 'the Dockerfile (default CONTEXT/Dockerfile; in a tar context, its path inside)' },
  { name: 'build-arg', type: 'list', value: 'K=V', help: 'a value for an ARG; K alone takes it from our environment' },
  { name: 'target', type: 'string', help: 'build up to this stage (and the stages it needs)' },
  { name: 'no-cache', type: 'bool', help: 'do not use the build cache' },
  { name: 'label', type: 'list', value: 'K=V', help: 'a label on the image' },
  { name: 'quiet', short: 'q', type: 'bool', help: 'print only the image id' },
  { name: 'network', type: 'string', help: 'the network of RUN steps: none (default), host or default (the default bridge)' },
  { name: 'platform', type: 'string', help: 'os/arch: the platform of FROM scratch and the one base images must have' },
];

function pairs(values: string[], flag: string, fromEnv: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq === 0) throw new RuntimeError(`--${flag} ${value}: the name is empty`);
    if (eq < 0) {
      if (!fromEnv) throw new RuntimeError(`--${flag} ${value}: expected KEY=VALUE`);
      if (process.env[value] !== undefined) out[value] = process.env[value];
      continue;
    }
    out[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return out;
}

export const command: Command = {
  synopsis: '[options] CONTEXT|-',
  summary: 'build an image from a Dockerfile',
  flags: FLAGS,
  async run({ globals, store }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'image build');
    const [contextArg] = checkArgs(parsed, 'image build', command.synopsis) as [string];
    const network = str(parsed, 'network') ?? 'none';
    if (network !== 'none' && network !== 'host' && network !== 'default') throw new RuntimeError(`image build --network ${network}: expected none, host or default`);
    const quiet = bool(parsed, 'quiet');
    const [{ buildImage }, { textOutput }, { checkContextArgument }] = await Promise.all([
      import('../../build/build.js'), import('../../build/output.js'), import('../../build/context/context.js'),
    ]);
    checkContextArgument(contextArg);
    const dockerfile = str(parsed, 'file');
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      const result = await buildImage(globals.storage, {
        context: contextArg === '-' ? { stream: process.stdin, ...(dockerfile ? { dockerfile } : {}) } : { dir: contextArg, ...(dockerfile ? { dockerfile } : {}) },
        tags: list(parsed, 'tag'),
        buildArgs: pairs(list(parsed, 'build-arg'), 'build-arg', true),
        labels: pairs(list(parsed, 'label'), 'label', false),
        ...(str(parsed, 'target') !== undefined ? { target: str(parsed, 'target') } : {}),
        ...(str(parsed, 'platform') !== undefined ? { platform: str(parsed, 'platform') } : {}),
        noCache: bool(parsed, 'no-cache'),
        network,
        root: store.root,
        signal: abort.signal,
      }, textOutput((text) => process.stdout.write(text), quiet));
      if (quiet) process.stdout.write(`${result.id}\n`);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
