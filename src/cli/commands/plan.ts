/**
 * `ts-runc plan [--bundle dir] [--json] [id]`: print the steps the init would run for a
 * bundle, without running anything. For learners, and for debugging a config.
 */
import { resolve } from 'node:path';
import { cgroupViews } from '../../cgroups/views.js';
import { compilePlan } from '../../plan/compile.js';
import { describeStep } from '../../plan/steps.js';
import { log } from '../../log.js';
import { loadSpec } from '../../spec/load.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';

const FLAGS: FlagSpec[] = [
  { name: 'bundle', short: 'b', type: 'string', help: 'path to the bundle directory' },
  { name: 'json', type: 'bool', help: 'print the steps as JSON' },
  { name: 'no-pivot', type: 'bool', help: 'as create --no-pivot' },
];

export const command: Command = {
  synopsis: '[options] [container-id]',
  summary: 'print the plan the init would run',
  flags: FLAGS,
  async run(context, argv) {
    const parsed = parseFlags(argv, FLAGS, 'plan');
    const [given] = checkArgs(parsed, 'plan', command.synopsis);
    const bundle = resolve(str(parsed, 'bundle') ?? '.');
    const spec = await loadSpec(bundle);
    const id = given ?? 'example';
    const plan = compilePlan(spec, {
      bundle,
      rootfs: resolve(bundle, spec.root?.path ?? 'rootfs'),
      noPivot: bool(parsed, 'no-pivot'),
      noNewKeyring: false,
      containerId: id,
      hookState: '{}',
      hasConsoleSocket: true,
      cgroups: cgroupViews({ cgroupsPath: spec.linux?.cgroupsPath, id, root: context.store.root }),
    });
    for (const warning of plan.warnings ?? []) log().warn(warning);
    if (bool(parsed, 'json')) {
      process.stdout.write(JSON.stringify(plan.steps, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) + '\n');
    } else {
      plan.steps.forEach((step, i) => process.stdout.write(`${String(i + 1).padStart(3)}  ${describeStep(step)}\n`));
    }
    return 0;
  },
};
