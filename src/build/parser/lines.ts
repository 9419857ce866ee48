/**
 * A Dockerfile's text → its instructions, one per logical line, before any instruction is
 * understood (moby/buildkit frontend/dockerfile/parser/parser.go, directives.go,
 * split_command.go). The rules, from the Dockerfile reference:
 *
 *  - Parser directives (`# escape=\``, `# syntax=…`, `# check=…`) only at the very top, each
 *    once; the first other line (even a blank one or a plain comment) ends them. `syntax`
 *    and `check` pick a BuildKit frontend and lint rules: the classic builder ignores them.
 *  - `#` starts a comment only as a line's first non-blank character; elsewhere it is text.
 *  - The escape character (\ or `) at the end of a line continues it on the next. Comment
 *    lines and blank lines inside a continuation are skipped (Docker warns about the blank).
 *  - An instruction's first word is its name, in any case; then come `--flag=value` words
 *    (the builder flags), then the arguments.
 *  - Heredocs (`RUN <<EOF`) are BuildKit's; they are refused here with a clear message,
 *    rather than run as a shell's `<<` with the document parsed as instructions.
 */
import { RuntimeError } from '../../errors.js';

export interface RawInstruction {
  /** the name, upper-case: "RUN" */
  keyword: string;
  /** the name as written ("run") */
  written: string;
  /** `--flag` words, without their quotes */
  flags: string[];
  /** the arguments after the flags, trimmed, continuations joined */
  args: string;
  /** the logical line as `Step N/M :` prints it */
  original: string;
  /** 1-based first and last physical lines */
  line: number;
  endLine: number;
}

export interface ParsedLines {
  escape: string;
  instructions: RawInstruction[];
  warnings: string[];
}

/** Errors carry the file and line: "Dockerfile:3: unknown instruction: COPPY". */
export class DockerfileError extends RuntimeError {
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

const DIRECTIVE = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const KNOWN_DIRECTIVES = new Set(['syntax', 'escape', 'check']);
const HEREDOC_WORD = /^(\d*)<<(-?)\s*([^<]*)$/;
const HEREDOC_INSTRUCTIONS = new Set(['RUN', 'COPY', 'ADD']);

export function splitLines(text: string, file = 'Dockerfile'): ParsedLines {
  const physical = text.replace(/^\uFEFF/, '').split('\n').map((l) => l.replace(/\r$/, ''));
  let escape = '\\';
  let directivesDone = false;
  const seen = new Set<string>();
  const warnings: string[] = [];
  const instructions: RawInstruction[] = [];

  let i = 0;
  // Parser directives: consecutive "# key=value" lines at the top.
  for (; i < physical.length && !directivesDone; i++) {
    const match = DIRECTIVE.exec(physical[i]!);
    const key = match?.[1]?.toLowerCase();
    if (!match || !key || !KNOWN_DIRECTIVES.has(key)) {
      directivesDone = true;
      break;
    }
    if (seen.has(key)) throw new DockerfileError(file, i + 1, `only one ${key} parser directive can be used`);
    seen.add(key);
    if (key === 'escape') {
      const value = match[2]!;
      if (value !== '`' && value !== '\\') throw new DockerfileError(file, i + 1, `invalid escape token '${value}' does not match \` or \\`);
      escape = value;
    }
  }

  const continuation = new RegExp(`(^|[^${reEscape(escape)}])${reEscape(escape)}[ \\t]*$`);
  const isComment = (line: string) => /^\s*#/.test(line);
  const trimContinuation = (line: string): [string, boolean] => {
    const match = continuation.exec(line);
    if (!match) return [line, true];
    return [line.slice(0, match.index) + match[1], false];
  };

  while (i < physical.length) {
    const start = i;
    let line = physical[i++]!.replace(/^\s+/, '');
    if (isComment(line)) continue;
    let [text, ended] = trimContinuation(line);
    if (ended && text.trim() === '') continue;
    let joined = text;
    let blankContinuation = false;
    while (!ended && i < physical.length) {
      line = physical[i++]!;
      if (isComment(line)) continue;
      if (line.trim() === '') {
        blankContinuation = true;
        continue;
      }
      [text, ended] = trimContinuation(line);
      joined += text;
    }
    if (blankContinuation) warnings.push(`${file}:${i}: empty continuation line found in: ${joined.trim()}`);
    if (joined.trim() === '') continue;
    instructions.push(splitInstruction(joined, escape, file, start + 1, i));
  }
  if (instructions.length === 0) throw new DockerfileError(file, Math.max(1, physical.length), 'file with no instructions');
  return { escape, instructions, warnings };
}

function reEscape(ch: string): string {
  return ch.replace(/[\\^$.*+?()[\]{}|`]/g, '\\$&');
}

/** "COPY --from=a x y" → keyword COPY, flags ["--from=a"], args "x y". */
export function splitInstruction(joined: string, escape: string, file: string, line: number, endLine: number): RawInstruction {
  const trimmed = joined.trim();
  const space = trimmed.search(/[\t\v\f\r ]/);
  const written = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space).replace(/^[\t\v\f\r ]+/, '');
  const { flags, args } = extractFlags(rest, escape);
  const keyword = written.toUpperCase();
  if (HEREDOC_INSTRUCTIONS.has(keyword) && !args.startsWith('[') && args.includes('<<')) {
    const heredoc = args.split(/\s+/).find((word) => {
      const match = HEREDOC_WORD.exec(word);
      return match !== null && match[3] !== '';
    });
    if (heredoc !== undefined) {
      throw new DockerfileError(file, line, `${keyword} ${heredoc}: heredocs are a BuildKit feature that ts-runc's builder (the classic builder) does not support; write the file into the build context and COPY it, or use printf in RUN`);
    }
  }
  return { keyword, written, flags, args: args.trim(), original: trimmed, line, endLine };
}

/**
 * The leading `--name=value` words (quotes removed, the escape character honoured), and the
 * rest of the line untouched. A bare `--` ends the flags.
 */
export function extractFlags(line: string, escape: string): { flags: string[]; args: string } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && /\s/.test(line[pos]!)) pos++;
    if (!line.startsWith('--', pos)) return { flags, args: line.slice(pos) };
    let word = '';
    let quote = '';
    let end = pos;
    for (; end < line.length; end++) {
      const ch = line[end]!;
      if (!quote && /\s/.test(ch)) break;
      if (!quote && (ch === '"' || ch === "'")) {
        quote = ch;
        continue;
      }
      if (quote && ch === quote) {
        quote = '';
        continue;
      }
      if (ch === escape && end + 1 < line.length) {
        word += line[++end];
        continue;
      }
      word += ch;
    }
    pos = end;
    if (word === '--') return { flags, args: line.slice(pos).trimStart() };
    flags.push(word);
  }
}

/**
 * Words separated by whitespace, quotes KEPT (they are removed later by the variable
 * substitution, which needs to see them): ENV's, LABEL's and ARG's name=value lists.
 */
export function quotedWords(rest: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  for (let pos = 0; pos < rest.length; pos++) {
    const ch = rest[pos]!;
    if (!inWord) {
      if (/\s/.test(ch)) continue;
      inWord = true;
    }
    if (quote) {
      if (ch === quote) quote = '';
      else if (ch === escape && quote !== "'") {
        if (pos + 1 === rest.length) {
          quote = '';
          continue;
        }
        word += ch;
        word += rest[++pos];
        continue;
      }
      word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (blankOk || word.length > 0) words.push(word);
      word = '';
      blankOk = false;
      inWord = false;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      blankOk = true;
    }
    if (ch === escape) {
      if (pos + 1 === rest.length) continue;
      word += ch;
      word += rest[++pos];
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}
