/**
 * The parser of Go's text/template (pkg.go.dev/text/template), for the subset people give
 * docker's `--format`: text, `{{pipeline}}`, `{{- trims -}}`, comments, field chains
 * (`.State.Pid`, `$v.IPAddress`, `(index .X "k").IPAddress`), variables (`$x := …`,
 * `$k, $v := range …`), pipelines (`.X | json`), if / else if / else, range / else, with,
 * break / continue. `define`, `template` and `block` are refused by name.
 *
 * Names follow Go's lexer (text/template/parse/lex.go): a field is `.` then letters, digits
 * and `_`, so `.Networks.ts-runc` is an error ("bad character U+002D '-'") in Go as here;
 * a key with a dash or a dot is reached with `index`.
 */
import { RuntimeError } from '../../errors.js';

/** Where a node is: its byte offset in the template and its text, as Go's errors name it. */
export interface At {
  pos: number;
  text: string;
}

export type Arg =
  | { kind: 'field'; names: string[]; at: At }
  | { kind: 'variable'; name: string; names: string[]; at: At }
  | { kind: 'dot'; at?: At }
  | { kind: 'chain'; node: Arg; names: string[]; at: At }
  | { kind: 'identifier'; name: string; at?: At }
  | { kind: 'string'; value: string; at?: At }
  | { kind: 'number'; value: number; text: string; at?: At }
  | { kind: 'bool'; value: boolean; at?: At }
  | { kind: 'nil'; at?: At }
  | { kind: 'pipe'; pipe: Pipe; at?: At };

export interface Command {
  args: Arg[];
  at: At;
}

export interface Pipe {
  /** `$x := …` or `$k, $v := …` (range); `assign` for `$x = …` */
  decl: string[];
  assign: boolean;
  cmds: Command[];
}

export type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe; line: number; source: string }
  | { kind: 'if' | 'range' | 'with'; pipe: Pipe; list: Node[]; elseList?: Node[]; line: number; source: string }
  | { kind: 'break' | 'continue' };

/** Go's messages start "template: NAME:LINE: "; docker names its templates "". */
export function templateError(line: number, message: string): RuntimeError {
  return new RuntimeError(`template: :${line}: ${message}`);
}

type Token = TokenBody & { pos: number };

type TokenBody =
  | { t: 'field'; name: string }
  | { t: 'var'; name: string }
  | { t: 'dot' }
  | { t: 'ident'; name: string }
  | { t: 'string'; value: string }
  | { t: 'number'; value: number; text: string }
  | { t: 'pipe' | 'lparen' | 'rparen' | 'declare' | 'assign' | 'comma' | 'space' };

const isAlnum = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);

function describe(c: string): string {
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${c}'`;
}

/** The tokens of one action's text (between the delimiters). */
function lexAction(text: string, line: number, base = 0): Token[] {
  const bodies: Array<[TokenBody, number]> = [];
  const tokens = {
    push(body: TokenBody) {
      bodies.push([body, start]);
    },
  };
  let i = 0;
  let start = 0;
  // Go: a field or variable name must end at a space, `.`, `,`, `|`, `:`, `(`, `)` or the end.
  const atTerminator = () => i >= text.length || /[\s.,|:()=]/.test(text[i]!);
  while (i < text.length) {
    start = i;
    const c = text[i]!;
    if (/\s/.test(c)) {
      while (i < text.length && /\s/.test(text[i]!)) i++;
      tokens.push({ t: 'space' });
    } else if (c === '.' && isAlnum(text[i + 1]) && !/[0-9]/.test(text[i + 1]!)) {
      let j = i + 1;
      while (isAlnum(text[j])) j++;
      tokens.push({ t: 'field', name: text.slice(i + 1, j) });
      i = j;
      if (!atTerminator()) throw templateError(line, `bad character ${describe(text[i]!)}`);
    } else if (c === '.' && !/[0-9]/.test(text[i + 1] ?? '')) {
      tokens.push({ t: 'dot' });
      i++;
    } else if (c === '$') {
      let j = i + 1;
      while (isAlnum(text[j])) j++;
      tokens.push({ t: 'var', name: text.slice(i, j) });
      i = j;
      if (!atTerminator()) throw templateError(line, `bad character ${describe(text[i]!)}`);
    } else if (c === '"' || c === '`') {
      const [value, end] = c === '"' ? readQuoted(text, i, line) : readRaw(text, i, line);
      tokens.push({ t: 'string', value });
      i = end;
    } else if (/[0-9+\-.]/.test(c)) {
      const match = /^[+-]?(0x[0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+([eE][+-]?[0-9]+)?)/.exec(text.slice(i));
      const literal = match?.[0] ?? '';
      if (literal === '' || isAlnum(text[i + literal.length])) {
        throw templateError(line, `bad number syntax: ${JSON.stringify(text.slice(i, i + literal.length + 1))}`);
      }
      tokens.push({ t: 'number', value: Number(literal.replaceAll('_', '')), text: literal });
      i += literal.length;
    } else if (isAlnum(c)) {
      let j = i;
      while (isAlnum(text[j])) j++;
      tokens.push({ t: 'ident', name: text.slice(i, j) });
      i = j;
      if (!atTerminator()) throw templateError(line, `bad character ${describe(text[i]!)}`);
    } else if (c === ':' && text[i + 1] === '=') {
      tokens.push({ t: 'declare' });
      i += 2;
    } else {
      const single: Record<string, TokenBody['t']> = { '|': 'pipe', '(': 'lparen', ')': 'rparen', '=': 'assign', ',': 'comma' };
      const t = single[c];
      if (!t) throw templateError(line, `unexpected ${describe(c)} in command`);
      tokens.push({ t } as TokenBody);
      i++;
    }
  }
  return bodies.map(([body, at]) => ({ ...body, pos: base + at }));
}

/** Go's String() of nodes: how an error names where it happened. */
export function argText(arg: Arg): string {
  switch (arg.kind) {
    case 'field': return `.${arg.names.join('.')}`;
    case 'variable': return [arg.name, ...arg.names].join('.');
    case 'chain': return `${argText(arg.node)}.${arg.names.join('.')}`;
    case 'dot': return '.';
    case 'identifier': return arg.name;
    case 'string': return JSON.stringify(arg.value);
    case 'number': return arg.text;
    case 'bool': return String(arg.value);
    case 'nil': return 'nil';
    case 'pipe': return `(${pipeText(arg.pipe)})`;
  }
}

export function commandText(cmd: Command): string {
  return cmd.args.map(argText).join(' ');
}

export function pipeText(pipe: Pipe): string {
  const decl = pipe.decl.length > 0 ? `${pipe.decl.join(', ')} ${pipe.assign ? '=' : ':='} ` : '';
  return decl + pipe.cmds.map(commandText).join(' | ');
}

function readQuoted(text: string, start: number, line: number): [string, number] {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\') i++;
    i++;
  }
  if (i >= text.length) throw templateError(line, 'unterminated quoted string');
  const literal = text.slice(start, i + 1);
  try {
    // Go's escapes (\n, \t, \", \\, \u00e9) read as JSON's, plus \x41 and \a \v.
    const json = literal.replace(/\\x([0-9a-fA-F]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(/\\v/g, '\\u000b');
    return [JSON.parse(json) as string, i + 1];
  } catch {
    throw templateError(line, `bad quoted string ${literal}`);
  }
}

function readRaw(text: string, start: number, line: number): [string, number] {
  const end = text.indexOf('`', start + 1);
  if (end < 0) throw templateError(line, 'unterminated raw quoted string');
  return [text.slice(start + 1, end), end + 1];
}

/** Reads the tokens of one action into a pipeline (with its declaration, if any). */
class ActionParser {
  private i = 0;
  constructor(private readonly tokens: Token[], private readonly line: number) {}

  private peek(): Token | undefined {
    while (this.tokens[this.i]?.t === 'space') this.i++;
    return this.tokens[this.i];
  }

  private error(message: string): RuntimeError {
    return templateError(this.line, message);
  }

  pipeline(context: string, inParens = false): Pipe {
    const pipe: Pipe = { decl: [], assign: false, cmds: [] };
    // `$x :=`, `$x =`, `$k, $v :=`
    const save = this.i;
    const first = this.peek();
    if (first?.t === 'var') {
      this.i++;
      const next = this.peek();
      if (next?.t === 'declare' || next?.t === 'assign') {
        pipe.decl = [first.name];
        pipe.assign = next.t === 'assign';
        this.i++;
      } else if (next?.t === 'comma' && context === 'range') {
        this.i++;
        const second = this.peek();
        if (second?.t !== 'var') throw this.error('range can only initialize variables');
        this.i++;
        if (this.peek()?.t !== 'declare') throw this.error('expected := after range variables');
        this.i++;
        pipe.decl = [first.name, second.name];
      } else this.i = save;
    }
    for (;;) {
      const token = this.peek();
      if (token === undefined || (inParens && token.t === 'rparen')) break;
      pipe.cmds.push(this.command());
      const after = this.peek();
      if (after?.t === 'pipe') {
        this.i++;
        continue;
      }
    }
    if (pipe.cmds.length === 0) throw this.error(`missing value for ${context}`);
    return pipe;
  }

  private command(): Command {
    const args: Arg[] = [];
    const pos = this.peek()?.pos ?? 0;
    for (;;) {
      const token = this.peek();
      if (token === undefined || token.t === 'pipe' || token.t === 'rparen') break;
      args.push(this.operand());
      // Operands are separated by spaces: `.A .B` is two, `.A.B` one.
      const next = this.tokens[this.i];
      if (next !== undefined && next.t !== 'space' && next.t !== 'pipe' && next.t !== 'rparen') {
        throw this.error(`unexpected ${next.t} in operand`);
      }
    }
    if (args.length === 0) throw this.error('empty command');
    const cmd: Command = { args, at: { pos, text: '' } };
    cmd.at.text = commandText(cmd);
    return cmd;
  }

  private operand(): Arg {
    const node = this.term();
    const names: string[] = [];
    // Go: a chain's position is that of its first added field
    const chainPos = this.tokens[this.i]?.pos ?? 0;
    while (this.tokens[this.i]?.t === 'field') names.push((this.tokens[this.i++] as { name: string }).name);
    if (names.length === 0) return node;
    let out: Arg;
    switch (node.kind) {
      case 'field':
        out = { kind: 'field', names: [...node.names, ...names], at: { pos: chainPos, text: '' } };
        break;
      case 'variable':
        out = { kind: 'variable', name: node.name, names: [...node.names, ...names], at: { pos: chainPos, text: '' } };
        break;
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        throw this.error(`unexpected . after term ${JSON.stringify(node.kind)}`);
      default:
        out = { kind: 'chain', node, names, at: { pos: chainPos, text: '' } };
    }
    out.at.text = argText(out);
    return out;
  }

  private term(): Arg {
    const token = this.peek();
    if (!token) throw this.error('unexpected end of action');
    this.i++;
    switch (token.t) {
      case 'field':
        return { kind: 'field', names: [token.name], at: { pos: token.pos, text: `.${token.name}` } };
      case 'var':
        return { kind: 'variable', name: token.name, names: [], at: { pos: token.pos, text: token.name } };
      case 'dot':
        return { kind: 'dot', at: { pos: token.pos, text: '.' } };
      case 'string':
        return { kind: 'string', value: token.value, at: { pos: token.pos, text: JSON.stringify(token.value) } };
      case 'number':
        return { kind: 'number', value: token.value, text: token.text, at: { pos: token.pos, text: token.text } };
      case 'ident':
        if (token.name === 'true' || token.name === 'false') return { kind: 'bool', value: token.name === 'true', at: { pos: token.pos, text: token.name } };
        if (token.name === 'nil') return { kind: 'nil', at: { pos: token.pos, text: 'nil' } };
        return { kind: 'identifier', name: token.name, at: { pos: token.pos, text: token.name } };
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', true);
        if (this.peek()?.t !== 'rparen') throw this.error('unclosed left paren');
        this.i++;
        return { kind: 'pipe', pipe, at: { pos: token.pos, text: `(${pipeText(pipe)})` } };
      }
      default:
        throw this.error(`unexpected ${token.t === 'rparen' ? 'right paren' : token.t} in operand`);
    }
  }

  done(): boolean {
    return this.peek() === undefined;
  }
}

interface RawAction {
  text: string;
  line: number;
  /** byte offset of `text` in the template */
  offset: number;
}

/** Splits the source into text and actions, applying `{{-`/`-}}` trimming. */
function split(source: string): Array<string | RawAction> {
  const parts: Array<string | RawAction> = [];
  let i = 0;
  let line = 1;
  let trimNext = false;
  while (i <= source.length) {
    const open = source.indexOf('{{', i);
    let text = source.slice(i, open < 0 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      if (text) parts.push(text);
      break;
    }
    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw templateError(line, 'unclosed action');
    let inner = source.slice(open + 2, close);
    let offset = open + 2;
    // Go: a trim marker is "- " after {{ or " -" before }} (the space is required)
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
      offset++;
    }
    trimNext = /\s-$/.test(inner);
    if (trimNext) inner = inner.slice(0, -1);
    if (text) parts.push(text);
    line += (source.slice(i, open).match(/\n/g) ?? []).length;
    parts.push({ text: inner, line, offset });
    line += (inner.match(/\n/g) ?? []).length;
    i = close + 2;
  }
  return parts;
}

/** Parses a whole template into its node list. */
export function parseTemplate(source: string): Node[] {
  const parts = split(source);
  let index = 0;
  // Returns the list and the word that ended it (end / else …).
  const list = (inside: string | undefined, inRange = false): { nodes: Node[]; end: 'end' | 'else' | 'eof'; elseAction?: RawAction } => {
    const nodes: Node[] = [];
    while (index < parts.length) {
      const part = parts[index++]!;
      if (typeof part === 'string') {
        nodes.push({ kind: 'text', text: part });
        continue;
      }
      const text = part.text.trim();
      if (text.startsWith('/*')) {
        if (!text.endsWith('*/')) throw templateError(part.line, 'unclosed comment');
        continue;
      }
      const tokens = lexAction(part.text, part.line, part.offset);
      const first = tokens.find((t) => t.t !== 'space');
      const keyword = first?.t === 'ident' ? first.name : undefined;
      const rest = () => new ActionParser(tokens.slice(tokens.indexOf(first!) + 1), part.line);
      switch (keyword) {
        case 'end':
          if (!inside) throw templateError(part.line, 'unexpected {{end}}');
          return { nodes, end: 'end' };
        case 'else':
          if (!inside) throw templateError(part.line, 'unexpected {{else}}');
          return { nodes, end: 'else', elseAction: part };
        case 'if': case 'range': case 'with':
          nodes.push(control(keyword, rest(), part, inRange));
          continue;
        case 'break': case 'continue':
          if (!inRange) throw templateError(part.line, `{{${keyword}}} outside {{range}}`);
          nodes.push({ kind: keyword });
          continue;
        case 'define': case 'template': case 'block':
          throw templateError(part.line, `{{${keyword}}} is not supported by ts-runc's --format`);
      }
      const parser = new ActionParser(tokens, part.line);
      nodes.push({ kind: 'action', pipe: parser.pipeline('command'), line: part.line, source: part.text.trim() });
    }
    if (inside) throw templateError(parts.length > 0 ? lastLine(parts) : 1, `unexpected EOF`);
    return { nodes, end: 'eof' };
  };
  const control = (keyword: 'if' | 'range' | 'with', parser: ActionParser, part: RawAction, inRange: boolean): Node => {
    const pipe = parser.pipeline(keyword);
    const body = list(keyword, inRange || keyword === 'range');
    const node: Node = { kind: keyword, pipe, list: body.nodes, line: part.line, source: part.text.trim() };
    if (body.end === 'else') {
      const tokens = lexAction(body.elseAction!.text, body.elseAction!.line, body.elseAction!.offset);
      const words = tokens.filter((t) => t.t !== 'space');
      const chained = words[1]?.t === 'ident' && (words[1].name === 'if' || words[1].name === 'with') ? words[1].name : undefined;
      if (chained) {
        // {{else if x}} is {{else}}{{if x}}…{{end}} sharing the one {{end}}
        const sub = new ActionParser(tokens.slice(tokens.indexOf(words[1]!) + 1), body.elseAction!.line);
        node.elseList = [control(chained as 'if' | 'with', sub, body.elseAction!, inRange)];
      } else {
        const elseBody = list(keyword, inRange);
        if (elseBody.end !== 'end') throw templateError(part.line, `expected end; found {{else}}`);
        node.elseList = elseBody.nodes;
      }
    }
    return node;
  };
  const result = list(undefined);
  return result.nodes;
}

function lastLine(parts: Array<string | RawAction>): number {
  for (let i = parts.length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (typeof part !== 'string') return part.line;
  }
  return 1;
}
