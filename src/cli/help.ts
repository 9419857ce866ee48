/**
 * `--help`, `-h` and `help VERB`: the text comes from the same declarations the parser
 * uses (Command.flags, Command.synopsis), so the help cannot drift from what is accepted.
 * The shape is runc's (urfave/cli): NAME, USAGE, DESCRIPTION, COMMANDS, OPTIONS.
 */
import { RuntimeError } from '../errors.js';
import type { FlagSpec, Parsed } from './args.js';
import type { Command } from './command.js';

const HELP_FLAG: FlagSpec = { name: 'help', short: 'h', type: 'bool', help: 'show help' };

/** "--bundle value, -b value" for one flag, as runc lists it. */
function flagColumn(flag: FlagSpec): string {
  const value = flag.type === 'bool' ? '' : ` ${flag.value ?? 'value'}`;
  const names = [`--${flag.name}${value}`];
  if (flag.short) names.push(`-${flag.short}${value}`);
  return names.join(', ') + (flag.type === 'list' ? ' (may repeat)' : '');
}

/** Two columns, the first padded to its widest cell. */
export function columns(rows: Array<[string, string]>): string {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `   ${left.padEnd(width)}  ${right}`.trimEnd() + '\n').join('');
}

export function flagTable(flags: FlagSpec[]): string {
  const all = flags.some((f) => f.name === 'help') ? flags : [...flags, HELP_FLAG];
  return columns(all.map((flag) => [flagColumn(flag), flag.help]));
}

/** The help of one verb; `path` is how it is called: "delete", "image ls". */
export function commandHelp(path: string, command: Command, subcommands: Array<[string, Command]> = []): string {
  let text = `NAME:\n   ts-runc ${path} - ${command.summary}\n\nUSAGE:\n   ts-runc ${path}${command.synopsis ? ` ${command.synopsis}` : ''}\n`;
  if (command.description) text += `\nDESCRIPTION:\n${command.description.replace(/^/gm, '   ')}\n`;
  if (subcommands.length > 0) text += `\nCOMMANDS:\n${columns(subcommands.map(([name, sub]) => [name, sub.summary]))}`;
  text += `\nOPTIONS:\n${flagTable(command.flags)}`;
  return text;
}

/** The help of a verb with sub-verbs (image, network), listing each one's summary. */
export async function groupHelp(path: string, command: Command): Promise<string> {
  const subs = command.subcommands;
  const listed = subs ? await Promise.all(subs.names.map(async (name): Promise<[string, Command]> => [name, await subs.load(name)])) : [];
  return commandHelp(path, command, listed);
}

export interface Arity {
  min: number;
  max: number;
  /** the positional words, for messages: "<container-id> [signal]" */
  words: string[];
}

/**
 * How many positional arguments a synopsis allows: each `<x>` or bare word (`IMAGE`,
 * `FILE|-`, `TARGET_NAME[:TAG]`) is one required, each `[x]` one optional, and a
 * trailing `...` (or `…`) makes it repeat. `[options]` and bracketed flags (`[-o file]`)
 * are not positional.
 */
export function synopsisArity(synopsis: string): Arity {
  const arity: Arity = { min: 0, max: 0, words: [] };
  for (const token of synopsisTokens(synopsis)) {
    const repeats = /(\.\.\.|…)$/.test(token);
    const word = token.replace(/(\.\.\.|…)$/, '');
    const optional = word.startsWith('[') && word.endsWith(']');
    const inner = optional ? word.slice(1, -1) : word;
    if (inner === 'options' || inner === 'command options' || inner.startsWith('-') || word === '|') continue;
    arity.words.push(token);
    if (!optional) arity.min++;
    arity.max = repeats || arity.max === Infinity ? Infinity : arity.max + 1;
  }
  return arity;
}

/** Split on spaces outside brackets: "[-o file] <id> [PORT[/tcp|udp]]" → 3 tokens. */
function synopsisTokens(synopsis: string): string[] {
  const tokens: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of synopsis) {
    if (ch === '[' || ch === '<') depth++;
    if (ch === ']' || ch === '>') depth--;
    if (/\s/.test(ch) && depth === 0) {
      if (current) tokens.push(current);
      current = '';
    } else current += ch;
  }
  if (current) tokens.push(current);
  return tokens;
}

/**
 * The positional arguments, checked against the verb's synopsis: a missing one is named,
 * and so is every extra one (nothing is silently ignored).
 */
export function checkArgs(parsed: Parsed, where: string, synopsis: string): string[] {
  const { min, max, words } = synopsisArity(synopsis);
  const given = parsed.positionals;
  if (given.length < min) {
    const missing = words.filter((w) => !w.startsWith('['))[given.length] ?? words[0]!;
    throw new RuntimeError(`${where}: ${missing.replace(/(\.\.\.|…)$/, '')} is required (usage: ts-runc ${where} ${synopsis})`);
  }
  if (given.length > max) {
    const extra = given.slice(max).map((w) => JSON.stringify(w)).join(' ');
    const expected = max === 0 ? 'no arguments' : words.join(' ');
    throw new RuntimeError(`${where}: unexpected argument${given.length - max > 1 ? 's' : ''} ${extra} (takes ${expected})`);
  }
  return given;
}
