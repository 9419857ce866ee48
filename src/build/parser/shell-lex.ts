/**
 * Variable substitution in Dockerfile words, as Docker's builder does it (moby/buildkit
 * frontend/dockerfile/shell/lex.go, which the classic builder shares): a small imitation
 * of sh(1) word expansion, applied only by the instructions the Dockerfile reference lists
 * under "Environment replacement" (ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME
 * WORKDIR, and ARG's defaults). RUN, CMD and ENTRYPOINT are left to the shell in the container.
 *
 *   $NAME  ${NAME}                 the value, "" when unset
 *   ${NAME:-word}  ${NAME-word}    word if NAME is unset (or, with ':', empty)
 *   ${NAME:+word}  ${NAME+word}    word if NAME is set (and, with ':', not empty), else ""
 *   ${NAME:?msg}   ${NAME?msg}     an error if NAME is unset (or empty)
 *   ${NAME#pat} ${NAME##pat} ${NAME%pat} ${NAME%%pat}  strip a shell pattern (* ?)
 *   ${NAME/pat/repl} ${NAME//pat/repl}                 replace the first / every match
 *   'single'  "double"              quotes are removed; '…' is literal, "…" expands $
 *   \x (or `x with `# escape=``)    the escape character makes the next one literal
 *
 * processWord keeps the result as one string (spaces included); processWords splits it
 * into words after expansion, as COPY's and EXPOSE's argument lists need. Words coming from
 * a quoted part or an escaped space are not split.
 */
import { RuntimeError } from '../../errors.js';

export type Env = ReadonlyMap<string, string>;

interface Result {
  text: string;
  words: string[];
}

class Words {
  private buf = '';
  private inWord = false;
  readonly words: string[] = [];

  /** a character from an unquoted part: whitespace ends a word */
  add(ch: string): void {
    if (/\s/.test(ch)) {
      if (this.inWord && this.buf.length > 0) {
        this.words.push(this.buf);
        this.buf = '';
        this.inWord = false;
      }
    } else {
      this.raw(ch);
    }
  }

  addString(text: string): void {
    for (const ch of text) this.add(ch);
  }

  /** quoted or escaped text: kept as it is, spaces included */
  raw(text: string): void {
    this.buf += text;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.buf.length > 0) this.words.push(this.buf);
    this.buf = '';
    return this.words;
  }
}

class Lexer {
  private pos = 0;

  constructor(private readonly src: string, private readonly env: Env, private readonly escape: string) {}

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private next(): string | undefined {
    return this.src[this.pos++];
  }

  /** Up to `stop` (consumed) or the end; `raw` keeps escape characters (patterns need them). */
  run(stop: string | undefined, raw = false): Result {
    let text = '';
    const words = new Words();
    while (this.peek() !== undefined) {
      const ch = this.peek()!;
      if (stop !== undefined && ch === stop) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.dollar();
        text += value;
        words.addString(value);
      } else if (ch === "'") {
        const value = this.singleQuote();
        text += value;
        words.raw(value);
      } else if (ch === '"') {
        const value = this.doubleQuote();
        text += value;
        words.raw(value);
      } else {
        this.next();
        if (ch === this.escape) {
          if (raw) text += ch;
          const escaped = this.next();
          if (escaped === undefined) break; // an escape at the very end is dropped
          words.raw(escaped);
          text += escaped;
        } else {
          words.add(ch);
          text += ch;
        }
      }
    }
    if (stop !== undefined) throw new RuntimeError(`unexpected end of statement while looking for matching ${stop}`);
    return { text, words: words.finish() };
  }

  private singleQuote(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new RuntimeError('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return out;
      out += ch;
    }
  }

  /** sh(1): inside "…" only $, the escape before " $ or itself, and the closing quote are special. */
  private doubleQuote(): string {
    this.next();
    let out = '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new RuntimeError('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        this.next();
        return out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.next();
      if (ch === this.escape) {
        const following = this.peek();
        if (following === undefined) continue;
        if (following === '"' || following === '$' || following === this.escape) {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  private name(): string {
    let name = '';
    const first = this.peek();
    if (first !== undefined && /[0-9]/.test(first)) {
      while (this.peek() !== undefined && /[0-9]/.test(this.peek()!)) name += this.next();
      return name;
    }
    if (first !== undefined && '@*#?-$!0'.includes(first)) return this.next()!;
    while (this.peek() !== undefined && /[\p{L}\p{N}_]/u.test(this.peek()!)) name += this.next();
    return name;
  }

  private dollar(): string {
    this.next();
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      return this.env.get(name) ?? '';
    }
    this.next();
    const first = this.peek();
    if (first === undefined) throw new RuntimeError("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new RuntimeError('syntax error: bad substitution');
    const name = this.name();
    let op = this.next();
    if (op === undefined) throw new RuntimeError("syntax error: missing '}'");
    if (op === '}') return this.env.get(name) ?? '';
    const value = this.env.get(name);
    const set = value !== undefined;
    let colon = false;
    if (op === ':') {
      colon = true;
      op = this.next();
      if (op === undefined) throw new RuntimeError("syntax error: missing '}'");
    }
    const modifier = `${colon ? ':' : ''}${op}`;
    switch (op) {
      case '-':
      case '+':
      case '?': {
        const word = this.until('}');
        const usable = set && !(colon && value === '');
        if (op === '-') return usable ? value! : word;
        if (op === '+') return usable ? word : '';
        if (!set) throw new RuntimeError(`${name}: ${word || 'is not allowed to be unset'}`);
        if (colon && value === '') throw new RuntimeError(`${name}: ${word || 'is not allowed to be empty'}`);
        return value!;
      }
      case '#':
      case '%': {
        if (colon) throw new RuntimeError(`unsupported modifier (${modifier}) in substitution`);
        let pattern = this.until('}', true);
        const greedy = pattern.startsWith(op);
        if (greedy) pattern = pattern.slice(1);
        return op === '#' ? trimPrefix(value ?? '', pattern, greedy) : trimSuffix(value ?? '', pattern, greedy);
      }
      case '/': {
        if (colon) throw new RuntimeError(`unsupported modifier (${modifier}) in substitution`);
        const all = this.peek() === '/';
        if (all) this.next();
        const pattern = this.until('/', true, "syntax error: missing '/' in ${}");
        const replacement = this.until('}', true);
        const re = new RegExp(patternToRegex(pattern, true, false), all ? 'gs' : 's');
        return (value ?? '').replace(re, () => replacement);
      }
      default:
        throw new RuntimeError(`unsupported modifier (${modifier}) in substitution`);
    }
  }

  private until(stop: string, raw = false, missing = "syntax error: missing '}'"): string {
    try {
      return this.run(stop, raw).text;
    } catch (error) {
      if (this.peek() === undefined) throw new RuntimeError(missing);
      throw error;
    }
  }
}

/** A shell pattern (* and ? only, \ escapes) as a regular expression. */
function patternToRegex(pattern: string, greedy: boolean, anchored: boolean): string {
  let out = anchored ? '^' : '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') out += greedy ? '.*' : '.*?';
    else if (ch === '?') out += '.';
    else if (ch === '\\' && i + 1 < pattern.length) out += escapeRegex(pattern[++i]!);
    else out += escapeRegex(ch);
  }
  return out;
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function trimPrefix(value: string, pattern: string, greedy: boolean): string {
  const match = new RegExp(patternToRegex(pattern, greedy, true), 's').exec(value);
  return match ? value.slice(match[0].length) : value;
}

/** The shortest (or longest) match at the END: reverse both and strip a prefix. */
function trimSuffix(value: string, pattern: string, greedy: boolean): string {
  const reversedPattern = reversePattern(pattern);
  const reversed = [...value].reverse().join('');
  return [...trimPrefix(reversed, reversedPattern, greedy)].reverse().join('');
}

function reversePattern(pattern: string): string {
  const tokens: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\' && i + 1 < pattern.length) tokens.push(`\\${pattern[++i]}`);
    else tokens.push(pattern[i]!);
  }
  return tokens.reverse().join('');
}

/** `word` with its variables substituted and quotes removed, as one string. */
export function processWord(word: string, env: Env, escape = '\\'): string {
  return wrap(word, () => new Lexer(word, env, escape).run(undefined).text);
}

/** `word` substituted, then split into words at unquoted whitespace. */
export function processWords(word: string, env: Env, escape = '\\'): string[] {
  return wrap(word, () => new Lexer(word, env, escape).run(undefined).words);
}

function wrap<T>(word: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof RuntimeError) throw new RuntimeError(`failed to process ${JSON.stringify(word)}: ${error.message}`);
    throw error;
  }
}
