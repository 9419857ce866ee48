/**
 * The flag parser every verb uses, with runc's conventions (urfave/cli v1 on Go's flag
 * package): `-flag` and `--flag` are the same, values follow as `--flag value` or
 * `--flag=value`, and `--` ends the flags.
 *
 * Where flags may stand (`order`):
 * - 'anywhere' (the default): flags may follow positional words, as runc 1.1.5 accepts
 *   them (urfave/cli moves every `-word` before the others: `runc delete ID -f` works) and
 *   as docker's verbs take them (`export ID -o FILE`).
 * - 'before-args': parsing stops at the first positional word, which keeps the flags of a
 *   command for the command (`exec web sh -c 'ls -l'`; runc's exec and ps set
 *   SkipArgReorder for that).
 *
 * Nothing is silently dropped: an unknown flag is an error that names it as it was typed
 * and the nearest known flag; a flag that takes one value may be given once.
 * `--help` and `-h` are understood by every verb (see help.ts).
 */
import { RuntimeError } from '../errors.js';
import { didYouMean } from './suggest.js';

export interface FlagSpec {
  name: string;
  short?: string;
  /** bool flags take no value; list flags may repeat; string flags take one value, once */
  type: 'bool' | 'string' | 'list';
  help: string;
  /** what the value is called in help ("FILE"); "value" when not given, as runc says */
  value?: string;
  /** for a string flag: why a second value is refused (the error says it) */
  once?: string;
}

export type FlagOrder = 'anywhere' | 'before-args';

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  positionals: string[];
}

/** Thrown by parseFlags when `--help`/`-h` stands among the flags; the dispatcher prints the help. */
export class HelpRequested extends Error {
  constructor() {
    super('help requested');
    this.name = 'HelpRequested';
  }
}

/** How the flag is written in messages: `--bundle`, or `-b` for a one-letter name. */
export function flagLabel(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

// strconv.ParseBool, which Go's flag package uses for `--flag=value`
const TRUE = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'false', 'FALSE', 'False']);

export function parseFlags(argv: string[], specs: FlagSpec[], where: string, order: FlagOrder = 'anywhere'): Parsed {
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  const known = (name: string) => specs.find((s) => s.name === name || s.short === name);
  const helpIsBuiltIn = known('help') === undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (order === 'before-args') {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const typed = eq >= 0 ? arg.slice(0, arg.indexOf('=')) : arg;
    if (helpIsBuiltIn && (name === 'help' || name === 'h')) throw new HelpRequested();
    const spec = known(name);
    if (!spec) {
      const names = [...specs.map((s) => `--${s.name}`), ...specs.filter((s) => s.short).map((s) => `-${s.short}`), '--help'];
      throw new RuntimeError(`${where}: flag provided but not defined: ${typed}${didYouMean(typed.startsWith('--') || name.length === 1 ? typed : `-${typed}`, names)}`);
    }
    if (spec.type === 'bool') {
      const value = eq >= 0 ? body.slice(eq + 1) : 'true';
      if (!TRUE.has(value) && !FALSE.has(value)) {
        throw new RuntimeError(`${where}: invalid boolean value ${JSON.stringify(value)} for ${typed}: use true or false`);
      }
      flags.set(spec.name, TRUE.has(value));
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new RuntimeError(`${where}: flag needs an argument: ${typed}`);
      value = argv[++i]!;
    }
    if (spec.type === 'list') {
      const list = (flags.get(spec.name) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(spec.name, list);
      continue;
    }
    const before = flags.get(spec.name);
    if (typeof before === 'string') {
      // Go's flag and docker's pflag keep the last value; a repeated one is more often a
      // mistake than a wish, and the issue is that one of them would be ignored.
      throw new RuntimeError(`${where}: ${flagLabel(spec.name)} given twice (${JSON.stringify(before)}, ${JSON.stringify(value)}): ${spec.once ?? 'it takes one value'}`);
    }
    flags.set(spec.name, value);
  }
  return { flags, positionals };
}

export function str(parsed: Parsed, name: string): string | undefined {
  const v = parsed.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function bool(parsed: Parsed, name: string): boolean {
  return parsed.flags.get(name) === true;
}

export function list(parsed: Parsed, name: string): string[] {
  const v = parsed.flags.get(name);
  return Array.isArray(v) ? v : [];
}

export function int(parsed: Parsed, name: string, fallback: number): number {
  const v = str(parsed, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) throw new RuntimeError(`invalid value ${JSON.stringify(v)} for flag ${flagLabel(name)}: not a number`);
  return Number(v);
}
