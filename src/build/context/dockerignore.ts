/**
 * `.dockerignore`, with Docker's rules (moby/patternmatcher and its ignorefile package):
 *
 *  - one pattern a line; a line starting with `#` is a comment; blank lines are skipped;
 *  - each pattern is trimmed and cleaned (`a/../b` → `b`), a leading `/` is dropped, so
 *    patterns are always relative to the context's root;
 *  - Go's filepath.Match syntax (`*` and `?` never cross a `/`, `[a-z]`, `\` escapes),
 *    plus `**`, which matches any number of directories, none included;
 *  - `!pattern` re-includes what an earlier pattern excluded; the LAST matching line wins;
 *  - a pattern that matches a directory excludes everything below it (a file is excluded
 *    when the pattern matches the file or any of its parent directories).
 */
import { posix } from 'node:path';
import { RuntimeError } from '../../errors.js';

interface Pattern {
  text: string;
  exclusion: boolean;
  regex: RegExp;
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];
  /** whether any `!` line exists: an excluded directory must then still be walked */
  readonly hasExclusions: boolean;

  constructor(lines: string[]) {
    this.patterns = lines.map(compile);
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(readIgnoreFile(text));
  }

  /** Whether `path` (relative, slash-separated) is left out of the context. */
  ignores(path: string): boolean {
    const file = posix.normalize(path);
    if (file === '.' || file === '') return false; // "Don't let them exclude everything"
    const parents = posix.dirname(file) === '.' ? [] : posix.dirname(file).split('/');
    let matched = false;
    for (const pattern of this.patterns) {
      // An inclusion cannot change a path already excluded, nor an exclusion one not excluded.
      if (pattern.exclusion !== matched) continue;
      let match = pattern.regex.test(file);
      for (let i = 0; !match && i < parents.length; i++) match = pattern.regex.test(parents.slice(0, i + 1).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

/** The patterns of a .dockerignore file (ignorefile.ReadAll). */
export function readIgnoreFile(text: string): string[] {
  const patterns: string[] = [];
  for (const [index, rawLine] of text.replace(/^\uFEFF/, '').split('\n').entries()) {
    void index;
    if (rawLine.startsWith('#')) continue;
    let pattern = rawLine.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = posix.normalize(pattern);
      if (pattern.length > 1 && pattern.endsWith('/')) pattern = pattern.slice(0, -1);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

function compile(line: string): Pattern {
  let text = line.trim();
  const exclusion = text.startsWith('!');
  if (exclusion) {
    text = text.slice(1);
    if (text === '') throw new RuntimeError('.dockerignore: illegal exclusion pattern: "!"');
  }
  return { text, exclusion, regex: new RegExp(patternRegex(text), 's') };
}

/** patternmatcher's Pattern.compile: `**` any directories, `*` `?` within one name. */
function patternRegex(pattern: string): string {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        out += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        out += '[^/]*';
      }
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '\\') {
      out += i + 1 < pattern.length ? escapeChar(pattern[++i]!) : '\\\\';
    } else if (ch === '[') {
      const end = classEnd(pattern, i);
      if (end < 0) throw new RuntimeError(`.dockerignore: syntax error in pattern ${JSON.stringify(pattern)}`);
      out += charClass(pattern.slice(i + 1, end));
      i = end;
    } else {
      out += escapeChar(ch);
    }
  }
  return `${out}$`;
}

function escapeChar(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The index of the `]` closing the class that opens at `start`, or -1. */
export function classEnd(pattern: string, start: number): number {
  let i = start + 1;
  if (pattern[i] === '^' || pattern[i] === '!') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  return -1;
}

/** Go's class syntax ([^a-z], \ escapes) as a JS regex class that never matches `/`. */
export function charClass(body: string): string {
  let negate = false;
  let rest = body;
  if (rest.startsWith('^') || rest.startsWith('!')) {
    negate = true;
    rest = rest.slice(1);
  }
  let out = '';
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i]!;
    if (ch === '\\' && i + 1 < rest.length) out += `\\${rest[++i]}`;
    else if (ch === ']' || ch === '[' || ch === '^' || ch === '\\') out += `\\${ch}`;
    else out += ch;
  }
  return negate ? `[^/${out}]` : `(?!/)[${out}]`;
}
