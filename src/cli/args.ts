/**
 * A small flag parser with runc's conventions (urfave/cli on Go's flag package): flags
 * come before positional arguments, `-flag` and `--flag` are the same, values follow as
 * `--flag value` or `--flag=value`, and parsing stops at the first positional or `--`,
 * so `exec web sh -c 'ls -l'` keeps `-c` for sh.
 */
import { RuntimeError } from '../errors.js';

export interface FlagSpec {
  name: string;
  short?: string;
  /** bool flags take no value; list flags may repeat */
  type: 'bool' | 'string' | 'list';
  help: string;
}

export interface Parsed {
  flags: Map<string, string | boolean | string[]>;
  positionals: string[];
}

export function parseFlags(argv: string[], specs: FlagSpec[], where: string, stopAtPositional = true): Parsed {
  const flags = new Map<string, string | boolean | string[]>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      if (stopAtPositional) {
        positionals.push(...argv.slice(i));
        break;
      }
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = specs.find((s) => s.name === name || s.short === name);
    if (!spec) throw new RuntimeError(`${where}: flag provided but not defined: -${name}`, { exitCode: 1 });
    if (spec.type === 'bool') {
      flags.set(spec.name, eq >= 0 ? body.slice(eq + 1) !== 'false' : true);
      continue;
    }
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new RuntimeError(`${where}: flag needs an argument: -${name}`);
      value = argv[++i]!;
    }
    if (spec.type === 'list') {
      const list = (flags.get(spec.name) as string[] | undefined) ?? [];
      list.push(value);
      flags.set(spec.name, list);
    } else flags.set(spec.name, value);
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
  if (!/^\d+$/.test(v)) throw new RuntimeError(`invalid value ${JSON.stringify(v)} for flag -${name}: not a number`);
  return Number(v);
}

export function usage(verb: string, synopsis: string, specs: FlagSpec[]): string {
  const lines = specs.map((s) => `   ${s.short ? `-${s.short}, ` : ''}--${s.name}${s.type === 'bool' ? '' : ' value'}\t${s.help}`);
  return `Usage: ts-runc ${verb} ${synopsis}\n\nOptions:\n${lines.join('\n')}\n`;
}
