/**
 * ts-runc's Dockerfile parser on moby/buildkit's own parser corpus
 * (test/unit/fixtures/buildkit-parser/, see ORIGIN.md): each Dockerfile is split into
 * instructions by src/build/parser/lines.ts and printed the way buildkit's Node.Dump()
 * prints its AST; the text must equal buildkit's `result` file. That checks directives,
 * comments, continuations, escapes, flags, exec/shell forms and name=value lists against
 * the reference implementation, case by case. Then each file goes through the whole
 * parser (typed instructions), which must accept it or refuse it with a file:line error.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { quotedWords, splitInstruction, splitLines, type RawInstruction } from '../../src/build/parser/lines.js';
import { parseDockerfile } from '../../src/build/parser/parse.js';

const CORPUS = join(import.meta.dirname, 'fixtures/buildkit-parser');

/** Go's strconv.Quote, for the strings of this corpus. */
function goQuote(text: string): string {
  return JSON.stringify(text).replace(/\\u00([0-1][0-9a-f])/g, '\\x$1').replace(/\u007f/g, '\\x7f');
}

/** buildkit's parseJSON: a JSON array of strings, or undefined (then the text is used). */
function jsonList(rest: string): string[] | undefined {
  const text = rest.trimStart();
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  } catch {
    return undefined;
  }
  return undefined;
}

const words = (rest: string) => (rest === '' ? [] : rest.split(/[\t\v\f\r ]+/));

/** The argument nodes buildkit's line parser for this instruction makes (line_parsers.go). */
function args(raw: RawInstruction, escape: string): string[] {
  const rest = raw.args;
  switch (raw.keyword) {
    case 'RUN': case 'CMD': case 'ENTRYPOINT': case 'SHELL':
      return rest === '' ? [] : (jsonList(rest) ?? [rest]);
    case 'ADD': case 'COPY': case 'VOLUME':
      return jsonList(rest) ?? words(rest);
    case 'EXPOSE': case 'FROM':
      return words(rest);
    case 'MAINTAINER': case 'STOPSIGNAL': case 'USER': case 'WORKDIR':
      return rest === '' ? [] : [rest];
    case 'ARG':
      return quotedWords(rest, escape);
    case 'ENV': case 'LABEL': {
      const list = quotedWords(rest, escape);
      if (list.length === 0) return [];
      if (!list[0]!.includes('=')) {
        const key = rest.split(/[\t\v\f\r ]+/)[0] ?? '';
        return [key, rest.slice(key.length).replace(/^[\t\v\f\r ]+/, ''), ''];
      }
      return list.flatMap((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1), '=']);
    }
    case 'HEALTHCHECK': {
      const sep = rest.search(/\s/);
      if (rest === '') return [];
      const type = sep < 0 ? rest : rest.slice(0, sep);
      const cmd = sep < 0 ? '' : rest.slice(sep).trimStart();
      return [type, ...(cmd === '' ? [] : (jsonList(cmd) ?? [cmd]))];
    }
    default:
      return [];
  }
}

function dump(raw: RawInstruction, escape: string): string {
  const flags = raw.flags.length > 0 ? ` [${raw.flags.map(goQuote).join(' ')}]` : '';
  if (raw.keyword === 'ONBUILD') {
    const inner = splitInstruction(raw.args, escape, 'Dockerfile', raw.line, raw.endLine);
    return `(onbuild${flags} (${dump(inner, escape).slice(1, -1)}))`;
  }
  const list = args(raw, escape).map((a) => ` ${goQuote(a)}`).join('');
  return `(${raw.written.toLowerCase()}${flags}${list})`;
}

const cases = readdirSync(CORPUS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();

describe("moby/buildkit's parser corpus", () => {
  it('has its cases', () => {
    expect(cases.length).toBe(33);
  });

  for (const name of cases) {
    it(`reads ${name} as buildkit does`, () => {
      const text = readFileSync(join(CORPUS, name, 'Dockerfile'), 'utf8');
      const expected = readFileSync(join(CORPUS, name, 'result'), 'utf8').trimEnd();
      const { escape, instructions } = splitLines(text);
      expect(instructions.map((i) => dump(i, escape)).join('\n')).toBe(expected);
      // The typed parser accepts it, or refuses it naming the file and line.
      try {
        parseDockerfile(text);
      } catch (error) {
        expect((error as Error).message).toMatch(/^Dockerfile:\d+: /);
      }
    });
  }
});
