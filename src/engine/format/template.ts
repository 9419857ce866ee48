/**
 * Go's text/template, run: what `--format` does in docker (docker/cli templates/templates.go).
 * The functions are Go's builtins (and, or, not, len, index, slice, eq, ne, lt, le, gt, ge,
 * print, printf, println) and docker's (json, join, split, title, lower, upper, pad,
 * truncate). Data is JSON-shaped (go-print.ts): a map's missing key prints "<no value>", as
 * docker's inspect prints it from the raw JSON; an object marked asStruct (the `ps` row)
 * answers a missing field with Go's error instead.
 */
import { RuntimeError } from '../../errors.js';
import { goJson, goSprint, goSprintf, goSprintln, goType, isGoNil, isMap, isOmitted, isStringMap, printValue, structType, type Value } from './go-print.js';
import { parseTemplate, templateError, type Arg, type At, type Command, type Node, type Pipe } from './template-parse.js';

export type { Value } from './go-print.js';
type Func = (...args: Value[]) => Value;

class ExecError extends Error {}
class Break {}
class Continue {}

function need(kind: 'string' | 'number', value: Value, name: string): void {
  if (value === undefined) throw new ExecError(`invalid value; expected ${kind === 'number' ? 'int' : 'string'}`);
  if (typeof value !== kind) throw new ExecError(`wrong type for value; expected ${kind === 'number' ? 'int' : 'string'}; got ${goType(value)} (in ${name})`);
}

function stringList(value: Value, name: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new ExecError(`wrong type for value; expected []string; got ${goType(value)} (in ${name})`);
  }
  return value as string[];
}

/** strings.Title: the first letter of each word upper-cased. */
function title(text: string): string {
  return text.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, before: string, letter: string) => before + letter.toUpperCase());
}

/** Go's truth: false, 0, nil, "" and empty lists and maps are false; anything else true. */
export function truth(value: Value): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isMap(value)) return structType(value) !== undefined || Object.keys(value).length > 0;
  return true;
}

function compare(op: string, a: Value, b: Value): boolean {
  const basic = (v: Value) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  if (op === 'eq' || op === 'ne') {
    if (a === null || b === null || a === undefined || b === undefined) return op === 'eq' ? a == b : a != b; // eslint-disable-line eqeqeq
    if (!basic(a) || !basic(b)) throw new ExecError('non-comparable type');
    if (typeof a !== typeof b) throw new ExecError('incompatible types for comparison');
    return op === 'eq' ? a === b : a !== b;
  }
  if (!basic(a) || !basic(b) || typeof a !== typeof b || typeof a === 'boolean') throw new ExecError('incompatible types for comparison');
  const x = a as string | number;
  const y = b as string | number;
  return op === 'lt' ? x < y : op === 'le' ? x <= y : op === 'gt' ? x > y : x >= y;
}

function index(item: Value, ...keys: Value[]): Value {
  let value = item;
  for (const key of keys) {
    // docker's inspect ends on its raw-JSON retry, where a nil slice is an untyped nil
    if (isGoNil(value)) throw new ExecError('error calling index: index of untyped nil');
    if (Array.isArray(value) || typeof value === 'string') {
      if (typeof key !== 'number' || !Number.isInteger(key)) throw new ExecError(`cannot index slice/array with type ${goType(key)}`);
      if (key < 0 || key >= value.length) throw new ExecError(`error calling index: index out of range: ${key}`);
      value = typeof value === 'string' ? value.charCodeAt(key) : value[key];
    } else if (isMap(value) && structType(value) === undefined) {
      if (typeof key !== 'string') throw new ExecError(`value has type ${goType(key)}; should be string`);
      // a missing key gives the map's zero value: "" for a map of strings, else nil
      value = Object.hasOwn(value, key) ? value[key] : isStringMap(value) ? '' : null;
    } else if (value === null || value === undefined) {
      throw new ExecError('error calling index: index of untyped nil');
    } else throw new ExecError(`error calling index: can't index item of type ${goType(value)}`);
  }
  return value;
}

/** Docker's functions (templates.go basicFunctions) and Go's builtins that take values. */
export const FUNCTIONS: Record<string, Func> = {
  json: (v) => goJson(v),
  join: (list, sep) => (need('string', sep, 'join'), stringList(list, 'join').join(sep as string)),
  split: (s, sep) => (need('string', s, 'split'), need('string', sep, 'split'), (s as string).split(sep as string)),
  title: (s) => (need('string', s, 'title'), title(s as string)),
  lower: (s) => (need('string', s, 'lower'), (s as string).toLowerCase()),
  upper: (s) => (need('string', s, 'upper'), (s as string).toUpperCase()),
  pad: (s, prefix, suffix) => (need('string', s, 'pad'), need('number', prefix, 'pad'), need('number', suffix, 'pad'),
    ' '.repeat(prefix as number) + (s as string) + ' '.repeat(suffix as number)),
  truncate: (s, n) => (need('string', s, 'truncate'), need('number', n, 'truncate'),
    (s as string).length < (n as number) ? s : (s as string).slice(0, n as number)),
  not: (v) => !truth(v),
  len: (v) => {
    if (typeof v === 'string') return Buffer.byteLength(v);
    if (Array.isArray(v)) return v.length;
    if (isMap(v) && structType(v) === undefined) return Object.keys(v).length;
    throw new ExecError(`error calling len: len of type ${goType(v)}`);
  },
  index,
  slice: (item, ...bounds) => {
    if (typeof item !== 'string' && !Array.isArray(item)) throw new ExecError(`error calling slice: can't slice item of type ${goType(item)}`);
    const [from = 0, to = item.length] = bounds as number[];
    if (from < 0 || to > item.length || from > to) throw new ExecError(`error calling slice: index out of range: ${to}`);
    return item.slice(from, to);
  },
  print: (...args) => goSprint(args),
  printf: (format, ...args) => (need('string', format, 'printf'), goSprintf(format as string, args)),
  println: (...args) => goSprintln(args),
  eq: (a, ...bs) => {
    if (bs.length === 0) throw new ExecError('wrong number of args for eq: want at least 2 got 1');
    return bs.some((b) => compare('eq', a, b));
  },
  ne: (a, b) => compare('ne', a, b),
  lt: (a, b) => compare('lt', a, b),
  le: (a, b) => compare('le', a, b),
  gt: (a, b) => compare('gt', a, b),
  ge: (a, b) => compare('ge', a, b),
  html: (v) => printValue(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;'),
  urlquery: (...args) => encodeURIComponent(goSprint(args)),
};

/** docker's HeaderFunctions: in a table's header row, each function shows its argument as it is. */
export const HEADER_FUNCTIONS: Record<string, Func> = Object.fromEntries(
  ['json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate'].map((name) => [name, (v: Value) => v]),
);

interface Scope {
  vars: Array<[string, Value]>;
}

class Executor {
  private out = '';
  /** the receiver of the field being read (for isOmitted) */
  private parent: Value;
  /** the node being evaluated, as Go's state.at(node): errors name it */
  private current: At | undefined;
  constructor(private readonly funcs: Record<string, Func>, private readonly source: string) {}

  run(nodes: Node[], dot: Value): string {
    this.list(nodes, dot, { vars: [['$', dot]] });
    return this.out;
  }

  private list(nodes: Node[], dot: Value, scope: Scope): void {
    const mark = scope.vars.length;
    try {
      for (const node of nodes) this.node(node, dot, scope);
    } finally {
      scope.vars.length = mark;
    }
  }

  private node(node: Node, dot: Value, scope: Scope): void {
    switch (node.kind) {
      case 'text':
        this.out += node.text;
        return;
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
      case 'action':
        this.at(node.line, node.source, () => {
          const value = this.pipe(node.pipe, dot, scope);
          if (node.pipe.decl.length === 0) this.out += printValue(value);
        });
        return;
      case 'if': case 'with': {
        const mark = scope.vars.length;
        const value = this.at(node.line, node.source, () => this.pipe(node.pipe, dot, scope));
        if (truth(value)) this.list(node.list, node.kind === 'with' ? value : dot, scope);
        else if (node.elseList) this.list(node.elseList, dot, scope);
        scope.vars.length = mark;
        return;
      }
      case 'range':
        this.range(node, dot, scope);
        return;
    }
  }

  private range(node: Extract<Node, { list: Node[] }>, dot: Value, scope: Scope): void {
    const mark = scope.vars.length;
    const decl = node.pipe.decl;
    const value = this.at(node.line, node.source, () => this.pipe({ ...node.pipe, decl: [] }, dot, scope));
    let entries: Array<[Value, Value]>;
    if (Array.isArray(value)) entries = value.map((v, i) => [i, v]);
    else if (isMap(value) && structType(value) === undefined) entries = Object.keys(value).sort().map((k) => [k, value[k]]);
    else if (typeof value === 'number' && Number.isInteger(value)) entries = Array.from({ length: Math.max(0, value) }, (_, i) => [i, i]);
    else if (value === undefined || value === null) entries = [];
    else throw this.fail(node.line, node.source, `range can't iterate over ${printValue(value)}`);
    for (const [key, element] of entries) {
      scope.vars.length = mark;
      if (decl.length === 1) scope.vars.push([decl[0]!, element]);
      if (decl.length === 2) scope.vars.push([decl[0]!, key], [decl[1]!, element]);
      try {
        this.list(node.list, element, scope);
      } catch (signal) {
        if (signal instanceof Break) break;
        if (!(signal instanceof Continue)) throw signal;
      }
    }
    scope.vars.length = mark;
    if (entries.length === 0 && node.elseList) this.list(node.elseList, dot, scope);
  }

  private at<T>(line: number, source: string, work: () => T): T {
    this.current = undefined;
    try {
      return work();
    } catch (error) {
      if (error instanceof ExecError) throw this.fail(line, source, error.message);
      throw error;
    }
  }

  /** Go's ErrorContext: ":LINE:COL" of the node being evaluated (COL counts bytes from the line's start). */
  private fail(line: number, source: string, message: string): RuntimeError {
    const at = this.current;
    if (!at) return new RuntimeError(`template: :${line}: executing "" at <${source}>: ${message}`);
    const before = Buffer.from(this.source).subarray(0, at.pos).toString();
    const newline = before.lastIndexOf('\n');
    const lineNum = 1 + (before.match(/\n/g) ?? []).length;
    const col = newline < 0 ? Buffer.byteLength(before) : Buffer.byteLength(before.slice(newline + 1));
    return new RuntimeError(`template: :${lineNum}:${col}: executing "" at <${at.text}>: ${message}`);
  }

  private pipe(pipe: Pipe, dot: Value, scope: Scope): Value {
    let value: Value;
    let piped = false;
    for (const cmd of pipe.cmds) {
      value = this.command(cmd, dot, scope, piped ? [value] : []);
      piped = true;
    }
    if (pipe.decl.length === 1) {
      const name = pipe.decl[0]!;
      if (pipe.assign) {
        const slot = [...scope.vars].reverse().find(([n]) => n === name);
        if (!slot) throw new ExecError(`undefined variable: ${name}`);
        slot[1] = value;
      } else scope.vars.push([name, value]);
    }
    return value;
  }

  private command(cmd: Command, dot: Value, scope: Scope, piped: Value[]): Value {
    const [first, ...rest] = cmd.args;
    if (first!.kind === 'identifier') {
      const name = first!.name;
      // and/or stop at the first operand that decides (Go 1.18)
      if (name === 'and' || name === 'or') {
        const operands = [...rest.map((a) => () => this.arg(a, dot, scope)), ...piped.map((v) => () => v)];
        if (operands.length === 0) throw new ExecError(`wrong number of args for ${name}: want at least 1 got 0`);
        let value: Value;
        for (const operand of operands) {
          value = operand();
          if (truth(value) === (name === 'or')) return value;
        }
        return value;
      }
      const fn = this.funcs[name];
      if (!fn) throw new ExecError(`function ${JSON.stringify(name)} not defined`);
      this.current = first!.at;
      const values = [...rest.map((a) => this.arg(a, dot, scope)), ...piped];
      try {
        return fn(...values);
      } catch (error) {
        // Go: a failed call is reported at the command
        if (error instanceof ExecError) this.current = cmd.at;
        throw error;
      }
    }
    const args = [...rest.map((a) => this.arg(a, dot, scope)), ...piped];
    switch (first!.kind) {
      case 'field':
        this.current = first!.at;
        return this.fields(dot, first!.names, args);
      case 'variable':
        this.current = first!.at;
        return this.fields(this.variable(first!.name, scope), first!.names, args);
      case 'chain': {
        this.current = first!.at;
        return this.fields(this.arg(first!.node, dot, scope), first!.names, args);
      }
      default:
        if (args.length > 0) throw new ExecError(`can't give argument to non-function ${describeArg(first!)}`);
        return this.arg(first!, dot, scope);
    }
  }

  private variable(name: string, scope: Scope): Value {
    for (let i = scope.vars.length - 1; i >= 0; i--) if (scope.vars[i]![0] === name) return scope.vars[i]![1];
    throw new ExecError(`undefined variable: ${name}`);
  }

  private arg(arg: Arg, dot: Value, scope: Scope): Value {
    if (arg.at) this.current = arg.at;
    switch (arg.kind) {
      case 'dot': return dot;
      case 'string': return arg.value;
      case 'number': return arg.value;
      case 'bool': return arg.value;
      case 'nil': throw new ExecError('nil is not a command');
      case 'field': return this.fields(dot, arg.names, []);
      case 'variable': return this.fields(this.variable(arg.name, scope), arg.names, []);
      case 'chain': {
        // Go evaluates the chain's pipeline first; a field error then names the last node it saw
        const receiver = this.arg(arg.node, dot, scope);
        return this.fields(receiver, arg.names, []);
      }
      case 'pipe': return this.pipe(arg.pipe, dot, { vars: [...scope.vars] });
      case 'identifier': {
        const fn = this.funcs[arg.name];
        if (!fn) throw new ExecError(`function ${JSON.stringify(arg.name)} not defined`);
        return fn();
      }
    }
  }

  /** `.A.B.C` from `receiver`; `args` go to the last name when it is a method. */
  private fields(receiver: Value, names: string[], args: Value[]): Value {
    let value = receiver;
    names.forEach((name, i) => {
      const last = i === names.length - 1;
      // past an unset pointer field docker ends on its raw-JSON retry, where the key is absent
      if (i > 0 && value === null && isOmitted(this.parent, names[i - 1]!)) throw new ExecError(`map has no entry for key ${JSON.stringify(names[i - 1])}`);
      this.parent = value;
      value = this.field(value, name, last ? args : []);
    });
    if (names.length === 0 && args.length > 0) throw new ExecError(`can't give argument to non-function`);
    return value;
  }

  private field(receiver: Value, name: string, args: Value[]): Value {
    if (receiver === undefined) return undefined;
    // (docker inspect's raw-JSON retry runs with missingkey=error: a nil receiver says this)
    if (receiver === null) throw new ExecError(`nil data; no entry for key ${JSON.stringify(name)}`);
    if (!isMap(receiver)) throw new ExecError(`can't evaluate field ${name} in type ${goType(receiver)}`);
    const struct = structType(receiver);
    if (!Object.hasOwn(receiver, name)) {
      if (struct) throw new ExecError(`can't evaluate field ${name} in type ${struct}`);
      if (struct === '') throw new ExecError(`map has no entry for key ${JSON.stringify(name)}`);
      return undefined;
    }
    const value = receiver[name];
    if (typeof value === 'function') {
      if (value.length !== args.length) throw new ExecError(`wrong number of args for ${name}: want ${value.length} got ${args.length}`);
      return value(...args);
    }
    if (args.length > 0) throw new ExecError(`${name} is not a method but has arguments`);
    return value;
  }
}

function describeArg(arg: Arg): string {
  return arg.kind === 'string' ? JSON.stringify(arg.value) : arg.kind === 'number' ? arg.text : arg.kind;
}

const KNOWN = new Set([...Object.keys(FUNCTIONS), 'and', 'or']);

/** The first function a template calls that does not exist (Go's parser refuses it). */
function undefinedFunction(nodes: Node[]): { name: string; line: number } | undefined {
  const inPipe = (pipe: Pipe, line: number): { name: string; line: number } | undefined => {
    for (const cmd of pipe.cmds) {
      for (const arg of cmd.args) {
        if (arg.kind === 'identifier' && !KNOWN.has(arg.name)) return { name: arg.name, line };
        if (arg.kind === 'pipe') {
          const found = inPipe(arg.pipe, line);
          if (found) return found;
        }
        if (arg.kind === 'chain' && arg.node.kind === 'pipe') {
          const found = inPipe(arg.node.pipe, line);
          if (found) return found;
        }
      }
    }
    return undefined;
  };
  for (const node of nodes) {
    if (node.kind === 'action') {
      const found = inPipe(node.pipe, node.line);
      if (found) return found;
    }
    if (node.kind === 'if' || node.kind === 'range' || node.kind === 'with') {
      const found = inPipe(node.pipe, node.line) ?? undefinedFunction(node.list) ?? (node.elseList ? undefinedFunction(node.elseList) : undefined);
      if (found) return found;
    }
  }
  return undefined;
}

export interface Template {
  execute(data: Value, funcs?: Record<string, Func>): string;
}

/** Parses `source`; a syntax error is thrown here, before any container is looked at. */
export function compileTemplate(source: string): Template {
  let nodes: Node[];
  try {
    nodes = parseTemplate(source);
  } catch (error) {
    // docker's words for a template that does not parse
    if (error instanceof RuntimeError) throw new RuntimeError(`template parsing error: ${error.message}`);
    throw error;
  }
  const unknown = undefinedFunction(nodes);
  if (unknown) throw new RuntimeError(`template parsing error: ${templateError(unknown.line, `function ${JSON.stringify(unknown.name)} not defined`).message}`);
  return {
    execute(data, funcs = FUNCTIONS) {
      return new Executor({ ...FUNCTIONS, ...funcs }, source).run(nodes, data);
    },
  };
}
