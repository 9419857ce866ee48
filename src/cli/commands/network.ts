/** `ts-runc network create|ls|inspect|rm`: one file per sub-verb in src/cli/network/, loaded when called. */
import { RuntimeError } from '../../errors.js';
import type { Command } from '../command.js';

const SUBVERBS = ['create', 'ls', 'inspect', 'rm'] as const;
type Subverb = (typeof SUBVERBS)[number];
const ALIASES: Record<string, Subverb> = { list: 'ls', remove: 'rm' };

export const command: Command = {
  synopsis: 'create|ls|inspect|rm [options] [NAME]',
  summary: 'manage networks (bridges with a subnet, NAT and name resolution)',
  flags: [],
  async run(context, argv) {
    const [given, ...rest] = argv;
    const sub = given === undefined ? undefined : (ALIASES[given] ?? given);
    if (!sub || !(SUBVERBS as readonly string[]).includes(sub)) {
      throw new RuntimeError(`network: ${given === undefined ? 'missing' : `unknown`} command${given ? ` ${JSON.stringify(given)}` : ''} (use ${SUBVERBS.join(', ')})`);
    }
    const module = (await import(`../network/${sub as Subverb}.js`)) as { command: Command };
    return module.command.run(context, rest);
  },
};
