/**
 * `ts-runc explain -b BUNDLE | --image REF [run flags…] [--json] [--trace]`: every step of
 * a container's birth (src/explain/), numbered, each with its system calls, man page and
 * why. Changes nothing on the host, except with --trace, which runs the container, prints
 * each plan step's duration from the init itself, and deletes it.
 */
import { resolve } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { IMAGE_FLAGS, parseImageInvocation, wantsImage } from '../image-flags.js';
import { NETWORK_FLAGS, networkRequest } from '../network-flags.js';

const FLAGS: FlagSpec[] = [
  { name: 'bundle', short: 'b', type: 'string', help: 'path to the bundle directory' },
  { name: 'json', type: 'bool', help: 'print the steps as JSON' },
  { name: 'trace', type: 'bool', help: 'run the container (then delete it) and print each step\'s result and duration' },
  { name: 'no-pivot', type: 'bool', help: 'as create --no-pivot' },
  { name: 'no-new-keyring', type: 'bool', help: 'as create --no-new-keyring' },
  ...NETWORK_FLAGS,
];

export const command: Command = {
  synopsis: '[options] [container-id]  |  --image REF [run options] [container-id] [-- command...]',
  summary: 'explain every step of a container\'s birth: syscalls, man pages, why',
  description: 'Nothing on the host changes (no cgroup, mount or network is made), except with --trace,\n' +
    'which runs the container from the bundle, reports each plan step\'s duration and deletes it.',
  flags: [...FLAGS, ...IMAGE_FLAGS],
  async run(context, argv) {
    const { explainBundle, explainImage } = await import('../../explain/inputs.js');
    const { formatBirth } = await import('../../explain/birth.js');
    let lines;
    let parsed;
    let traced: Map<number, string> | undefined;
    if (wantsImage(argv)) {
      const invocation = parseImageInvocation(argv, [...FLAGS, ...IMAGE_FLAGS], 'explain');
      parsed = invocation.parsed;
      if (bool(parsed, 'trace')) throw new RuntimeError('explain: --trace runs a bundle (-b); for an image, make one with `ts-runc bundle --image REF DIR`');
      if (invocation.volumes.length > 0) throw new RuntimeError('explain: -v is not explained (volumes make directories); leave it out');
      lines = await explainImage(context.globals.storage, invocation.image, invocation.run, {
        id: invocation.id, root: context.store.root, noPivot: bool(parsed, 'no-pivot'), noNewKeyring: bool(parsed, 'no-new-keyring'),
        network: networkRequest(parsed, true, context.globals.storage),
      });
    } else {
      parsed = parseFlags(argv, FLAGS, 'explain');
      const [given] = checkArgs(parsed, 'explain', '[options] [container-id]');
      const bundle = resolve(str(parsed, 'bundle') ?? '.');
      const common = { noPivot: bool(parsed, 'no-pivot'), noNewKeyring: bool(parsed, 'no-new-keyring'), network: networkRequest(parsed, false, context.globals.storage) };
      if (bool(parsed, 'trace')) {
        const { traceContainer, formatTrace } = await import('../../explain/trace.js');
        const result = await traceContainer(context.store, { bundle, id: given, ...common });
        lines = await explainBundle(bundle, { id: result.id, root: context.store.root, ...common });
        traced = new Map([...result.steps].map(([index, event]) => [index, formatTrace(event)]));
        // execve(2) does not return to report: its line gets the program's exit status instead.
        const last = lines.filter((l) => l.planIndex !== undefined).at(-1);
        if (last?.planIndex !== undefined && !traced.has(last.planIndex)) traced.set(last.planIndex, `the program ran; exit status ${result.exitStatus}`);
        if (bool(parsed, 'json')) {
          for (const line of lines) {
            const event = line.planIndex === undefined ? undefined : result.steps.get(line.planIndex);
            if (event) Object.assign(line, { trace: event });
          }
        }
      } else {
        lines = await explainBundle(bundle, { id: given ?? 'example', root: context.store.root, ...common });
      }
    }
    if (bool(parsed, 'json')) process.stdout.write(`${JSON.stringify(lines, null, 2)}\n`);
    else process.stdout.write(formatBirth(lines, traced));
    return 0;
  },
};
