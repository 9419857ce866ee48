/**
 * docker's one-dash groups (spf13/pflag): `-aq` is `-a -q`, `-n5` is `-n 5`, `-it` is
 * `-i -t`. args.ts reads `-word` as the long flag `--word` (runc's convention), so the
 * container verbs split a group first: a word after one dash that is no long flag, whose
 * first letter is a short flag, is read letter by letter; a letter that takes a value takes
 * the rest of the word (or, at the end, the next word).
 */
import type { FlagSpec } from './args.js';

export function splitShortFlags(argv: string[], specs: FlagSpec[], stopAtFirstArg = false): string[] {
  const out: string[] = [];
  const short = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const long = new Set(specs.map((s) => s.name));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtFirstArg) {
        out.push(...argv.slice(i));
        break;
      }
      out.push(arg);
      continue;
    }
    const body = arg.slice(1);
    if (arg.startsWith('--') || body.length < 2 || long.has(body.split('=')[0]!) || !short.has(body[0]!)) {
      out.push(arg);
      continue;
    }
    for (let j = 0; j < body.length; j++) {
      const spec = short.get(body[j]!);
      if (!spec) {
        out.push(`-${body.slice(j)}`); // args.ts names the unknown flag
        break;
      }
      if (spec.type === 'bool') {
        out.push(`-${body[j]}`);
        continue;
      }
      const rest = body.slice(j + 1).replace(/^=/, '');
      out.push(`-${body[j]}`);
      if (rest !== '') out.push(rest);
      break;
    }
  }
  return out;
}
