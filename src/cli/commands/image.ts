/** `ts-runc image load|import|ls|inspect|tag|rm|save|pull|push`: one file per sub-verb in src/cli/image/, loaded when called. */
import { RuntimeError } from '../../errors.js';
import type { Command } from '../command.js';

const SUBVERBS = ['load', 'import', 'ls', 'inspect', 'tag', 'rm', 'save', 'pull', 'push'] as const;
type Subverb = (typeof SUBVERBS)[number];
const ALIASES: Record<string, Subverb> = { list: 'ls', remove: 'rm', rmi: 'rm' };

export const command: Command = {
  synopsis: `${SUBVERBS.join('|')} [options] ...`,
  summary: 'manage images (load, import, list, inspect, tag, remove, save, pull, push)',
  flags: [],
  async run(context, argv) {
    const [given, ...rest] = argv;
    const sub = given === undefined ? undefined : (ALIASES[given] ?? given);
    if (!sub || !(SUBVERBS as readonly string[]).includes(sub)) {
      throw new RuntimeError(`image: ${given === undefined ? 'missing command' : `unknown command ${JSON.stringify(given)}`} (use ${SUBVERBS.join(', ')})`);
    }
    const module = (await import(`../image/${sub as Subverb}.js`)) as { command: Command };
    return module.command.run(context, rest);
  },
};
