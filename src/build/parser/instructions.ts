/**
 * Each raw instruction (lines.ts) → a typed one, checked for shape: its flags, its
 * arguments, exec (JSON array) or shell form (moby/buildkit frontend/dockerfile/
 * instructions/parse.go and parser/line_parsers.go). Words stay unexpanded: variables
 * are substituted at build time (shell-lex.ts), when ENV and ARG values are known.
 */
import { DockerfileError, quotedWords, splitInstruction, type RawInstruction } from './lines.js';

/** Exec form ["a","b"] (run as is) or shell form (a string for SHELL, default /bin/sh -c). */
export type CommandLine = { json: true; args: string[] } | { json: false; text: string };

export interface KeyValue {
  key: string;
  /** undefined for `ARG NAME` without a default */
  value?: string;
}

export interface Healthcheck {
  /** ["NONE"], or ["CMD", ...] / ["CMD-SHELL", "cmd"] */
  test: string[];
  interval?: string;
  timeout?: string;
  startPeriod?: string;
  startInterval?: string;
  retries?: number;
}

export type Command =
  | { kind: 'FROM'; image: string; name?: string; platform?: string }
  | { kind: 'RUN'; command: CommandLine; network?: string }
  | { kind: 'CMD' | 'ENTRYPOINT'; command: CommandLine }
  | { kind: 'SHELL'; shell: string[] }
  | { kind: 'COPY' | 'ADD'; sources: string[]; dest: string; from?: string; chown?: string; chmod?: string }
  | { kind: 'ENV' | 'LABEL'; pairs: KeyValue[] }
  | { kind: 'ARG'; args: KeyValue[] }
  | { kind: 'EXPOSE'; ports: string[] }
  | { kind: 'VOLUME'; paths: string[] }
  | { kind: 'WORKDIR' | 'USER' | 'STOPSIGNAL' | 'MAINTAINER'; value: string }
  | { kind: 'HEALTHCHECK'; healthcheck: Healthcheck }
  | { kind: 'ONBUILD'; trigger: string };

export type Instruction = Command & {
  /** the logical line as written, for `Step N/M :` */
  original: string;
  line: number;
  file: string;
};

const INSTRUCTIONS = [
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL',
  'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR',
] as const;

export function parseInstruction(raw: RawInstruction, escape: string, file: string): Instruction {
  const fail = (message: string): never => {
    throw new DockerfileError(file, raw.line, message);
  };
  if (!(INSTRUCTIONS as readonly string[]).includes(raw.keyword)) fail(`unknown instruction: ${raw.written}${suggestion(raw.keyword)}`);
  const flags = new Flags(raw, fail);
  const command = parseCommand(raw, escape, file, flags, fail);
  flags.checkAllUsed();
  return { ...command, original: raw.original, line: raw.line, file };
}

function parseCommand(raw: RawInstruction, escape: string, file: string, flags: Flags, fail: (m: string) => never): Command {
  const { keyword, args } = raw;
  switch (keyword) {
    case 'FROM': {
      const platform = flags.string('platform');
      const words = args.split(/[\t\v\f\r ]+/).filter(Boolean);
      if (words.length === 0) fail('FROM requires either one or three arguments');
      if (words.length === 2 || words.length > 3) fail('FROM requires either one or three arguments');
      if (words.length === 3 && words[1]!.toUpperCase() !== 'AS') fail('FROM requires either one or three arguments');
      const name = words[2]?.toLowerCase();
      if (name !== undefined && !/^[a-z][a-z0-9-_.]*$/.test(name)) fail(`invalid name for build stage: ${JSON.stringify(words[2])}, name can't start with a number or contain symbols`);
      return { kind: 'FROM', image: words[0]!, ...(name !== undefined ? { name } : {}), ...(platform !== undefined ? { platform } : {}) };
    }
    case 'RUN': {
      const network = flags.string('network');
      if (network !== undefined && !['none', 'host', 'default'].includes(network)) fail(`RUN --network=${network}: expected none, host or default`);
      if (args === '') fail('RUN requires at least one argument');
      return { kind: 'RUN', command: commandLine(args, keyword, fail), ...(network !== undefined ? { network } : {}) };
    }
    case 'CMD':
    case 'ENTRYPOINT':
      return { kind: keyword, command: args === '' ? { json: true, args: [] } : commandLine(args, keyword, fail) };
    case 'SHELL': {
      const line = commandLine(args, keyword, fail);
      if (!line.json) fail('SHELL requires the arguments to be in JSON form');
      if (line.json && line.args.length === 0) fail('SHELL requires at least one argument');
      return { kind: 'SHELL', shell: line.json ? line.args : [] };
    }
    case 'COPY':
    case 'ADD': {
      const from = keyword === 'COPY' ? flags.string('from') : undefined;
      const chown = flags.string('chown');
      const chmod = flags.string('chmod');
      const words = listForm(args, keyword, fail);
      if (words.length < 2) fail(`${keyword} requires at least two arguments, but got ${words.length}`);
      return {
        kind: keyword, sources: words.slice(0, -1), dest: words[words.length - 1]!,
        ...(from !== undefined ? { from } : {}), ...(chown !== undefined ? { chown } : {}), ...(chmod !== undefined ? { chmod } : {}),
      };
    }
    case 'ENV':
    case 'LABEL':
      return { kind: keyword, pairs: nameValues(args, keyword, escape, fail) };
    case 'ARG': {
      const words = quotedWords(args, escape);
      if (words.length === 0) fail('ARG requires at least one argument');
      return {
        kind: 'ARG',
        args: words.map((word) => {
          const eq = word.indexOf('=');
          const key = eq < 0 ? word : word.slice(0, eq);
          if (key === '') fail(`ARG names can not be blank`);
          return eq < 0 ? { key } : { key, value: word.slice(eq + 1) };
        }),
      };
    }
    case 'EXPOSE': {
      const ports = args.split(/[\t\v\f\r ]+/).filter(Boolean);
      if (ports.length === 0) fail('EXPOSE requires at least one argument');
      return { kind: 'EXPOSE', ports };
    }
    case 'VOLUME': {
      const paths = listForm(args, keyword, fail);
      if (paths.length === 0) fail('VOLUME requires at least one argument');
      return { kind: 'VOLUME', paths };
    }
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
    case 'MAINTAINER':
      if (args === '') fail(`${keyword} requires exactly one argument`);
      if (keyword === 'STOPSIGNAL' && /\s/.test(args)) fail('STOPSIGNAL requires exactly one argument');
      return { kind: keyword, value: args };
    case 'HEALTHCHECK':
      return { kind: 'HEALTHCHECK', healthcheck: healthcheck(args, flags, fail) };
    case 'ONBUILD': {
      if (args === '') fail('ONBUILD requires at least one argument');
      // The trigger is parsed now (so a typo fails this build, not the child's), run later.
      const inner = splitInstruction(args, escape, file, raw.line, raw.endLine);
      if (inner.keyword === 'ONBUILD') fail('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (inner.keyword === 'FROM' || inner.keyword === 'MAINTAINER') fail(`${inner.keyword} isn't allowed as an ONBUILD trigger`);
      parseInstruction(inner, escape, file);
      return { kind: 'ONBUILD', trigger: inner.original };
    }
    default:
      return fail(`unknown instruction: ${raw.written}`);
  }
}

/** JSON array of strings (exec form), or the text as it is (shell form). */
function commandLine(args: string, keyword: string, fail: (m: string) => never): CommandLine {
  const json = jsonArray(args, keyword, fail);
  return json !== undefined ? { json: true, args: json } : { json: false, text: args };
}

/** A JSON array of strings, or undefined when the text is not a JSON array at all (then it is shell form). */
function jsonArray(args: string, keyword: string, fail: (m: string) => never): string[] | undefined {
  const text = args.trimStart();
  if (!text.startsWith('[')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // Docker: not JSON → shell form, brackets and all
  }
  if (!Array.isArray(value)) return undefined;
  if (!value.every((v) => typeof v === 'string')) fail(`${keyword}: when using JSON array syntax, arrays must be comprised of strings only`);
  return value as string[];
}

/** COPY/ADD/VOLUME: a JSON array, or whitespace-separated words. */
function listForm(args: string, keyword: string, fail: (m: string) => never): string[] {
  return jsonArray(args, keyword, fail) ?? args.split(/[\t\v\f\r ]+/).filter(Boolean);
}

/** ENV/LABEL: `K=V K2="v 2"`, or the legacy `K the rest of the line`. */
function nameValues(args: string, keyword: string, escape: string, fail: (m: string) => never): KeyValue[] {
  const words = quotedWords(args, escape);
  if (words.length === 0) fail(`${keyword} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const parts = args.split(/[\t\v\f\r ]+/);
    if (parts.length < 2) fail(`${keyword} must have two arguments`);
    const key = parts[0]!;
    return [{ key, value: args.slice(args.indexOf(key) + key.length).replace(/^[\t\v\f\r ]+/, '') }];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq < 0) fail(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    if (eq === 0) fail(`${keyword} names can not be blank`);
    return { key: word.slice(0, eq), value: word.slice(eq + 1) };
  });
}

function healthcheck(args: string, flags: Flags, fail: (m: string) => never): Healthcheck {
  const interval = flags.duration('interval');
  const timeout = flags.duration('timeout');
  const startPeriod = flags.duration('start-period');
  const startInterval = flags.duration('start-interval');
  const retriesText = flags.string('retries');
  const space = args.search(/\s/);
  const type = (space < 0 ? args : args.slice(0, space)).toUpperCase();
  const rest = space < 0 ? '' : args.slice(space).trim();
  if (type === 'NONE') {
    if (rest !== '') fail('HEALTHCHECK NONE takes no arguments');
    if ([interval, timeout, startPeriod, startInterval, retriesText].some((v) => v !== undefined)) fail('HEALTHCHECK NONE takes no options');
    return { test: ['NONE'] };
  }
  if (type !== 'CMD') fail(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
  if (rest === '') fail('Missing command after HEALTHCHECK CMD');
  const line = commandLine(rest, 'HEALTHCHECK', fail);
  let retries: number | undefined;
  if (retriesText !== undefined) {
    if (!/^\d+$/.test(retriesText)) fail(`HEALTHCHECK --retries=${retriesText}: not a number`);
    retries = Number(retriesText);
    if (retries < 1) fail('--retries cannot be less than 1');
  }
  return {
    test: line.json ? ['CMD', ...line.args] : ['CMD-SHELL', line.text],
    ...(interval !== undefined ? { interval } : {}),
    ...(timeout !== undefined ? { timeout } : {}),
    ...(startPeriod !== undefined ? { startPeriod } : {}),
    ...(startInterval !== undefined ? { startInterval } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}

/** Builder flags of one instruction: each must be known to it and given once. */
class Flags {
  private readonly values = new Map<string, string>();
  private readonly used = new Set<string>();

  constructor(private readonly raw: RawInstruction, private readonly fail: (m: string) => never) {
    for (const flag of raw.flags) {
      const match = /^--([a-zA-Z][a-zA-Z0-9-]*)(?:=(.*))?$/s.exec(flag);
      if (!match) fail(`${raw.keyword}: bad flag ${JSON.stringify(flag)}`);
      const [, name = '', value] = match!;
      if (this.values.has(name)) fail(`${raw.keyword}: duplicate flag specified: ${name}`);
      if (value === undefined) fail(`${raw.keyword}: missing a value on flag: ${name}`);
      this.values.set(name, value!);
    }
  }

  string(name: string): string | undefined {
    this.used.add(name);
    return this.values.get(name);
  }

  /** A Go duration ("30s", "1m30s"); checked here, kept as written. */
  duration(name: string): string | undefined {
    const value = this.string(name);
    if (value !== undefined && parseGoDuration(value) === undefined) this.fail(`${this.raw.keyword} --${name}=${value}: not a duration (like 30s or 1m30s)`);
    return value;
  }

  checkAllUsed(): void {
    for (const name of this.values.keys()) {
      if (!this.used.has(name)) this.fail(`unknown flag: --${name} (${this.raw.keyword} takes ${[...this.used].map((n) => `--${n}`).join(', ') || 'no flags'})`);
    }
  }
}

/** Go's time.ParseDuration, in nanoseconds (h m s ms us µs ns, decimals allowed). */
export function parseGoDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let match: RegExpExecArray | null;
  while ((match = re.exec(text)) !== null) {
    total += Number(match[1]) * units[match[2]!]!;
    matched = re.lastIndex;
  }
  return matched === text.length && matched > 0 ? Math.round(total) : undefined;
}

/** " (did you mean COPY?)" for a near miss. */
function suggestion(keyword: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of INSTRUCTIONS) {
    const d = distance(keyword, name);
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
