/** .dockerignore as moby/patternmatcher reads it: **, !, parents, last match wins. */
import { describe, expect, it } from 'vitest';
import { IgnoreMatcher, readIgnoreFile } from '../../src/build/context/dockerignore.js';
import { cacheKey } from '../../src/build/cache.js';
import { globRegex } from '../../src/build/context/context.js';

const m = (text: string) => IgnoreMatcher.parse(text);

describe('.dockerignore', () => {
  it('reads patterns: comments, blank lines, leading / and ./ and trailing / cleaned', () => {
    expect(readIgnoreFile('# c\n\n /a/b/ \n./c\n!/d\n  # not a comment\nx/../y\n')).toEqual(['a/b', 'c', '!d', '# not a comment', 'y']);
  });

  it('excludes a directory with everything below it', () => {
    const ig = m('node_modules\nbuild/\n');
    expect(ig.ignores('node_modules')).toBe(true);
    expect(ig.ignores('node_modules/x/y.js')).toBe(true);
    expect(ig.ignores('build/out')).toBe(true);
    expect(ig.ignores('src/node_modules')).toBe(false);
  });

  it('keeps * and ? inside one name, and ** across any number of directories', () => {
    const ig = m('*.log\n**/*.tmp\ndocs/**/draft?.md\n');
    expect(ig.ignores('a.log')).toBe(true);
    expect(ig.ignores('sub/a.log')).toBe(false);
    expect(ig.ignores('x.tmp')).toBe(true);
    expect(ig.ignores('a/b/c/x.tmp')).toBe(true);
    expect(ig.ignores('docs/draft1.md')).toBe(true);
    expect(ig.ignores('docs/a/b/draft2.md')).toBe(true);
    expect(ig.ignores('docs/a/draft10.md')).toBe(false);
  });

  it('lets a later ! pattern bring a path back, and the last match win', () => {
    const ig = m('*.md\n!README.md\nREADME*.md\n!README-keep.md\n');
    expect(ig.ignores('a.md')).toBe(true);
    expect(ig.ignores('README.md')).toBe(true);
    expect(ig.ignores('README-keep.md')).toBe(false);
    const dir = m('secrets\n!secrets/public.txt\n');
    expect(dir.ignores('secrets/key')).toBe(true);
    expect(dir.ignores('secrets/public.txt')).toBe(false);
    expect(dir.hasExclusions).toBe(true);
  });

  it('matches character classes and escapes, never the context root', () => {
    const ig = m('file[0-9].txt\n[!a]*.bin\nweird\\*name\n');
    expect(ig.ignores('file3.txt')).toBe(true);
    expect(ig.ignores('filex.txt')).toBe(false);
    expect(ig.ignores('b.bin')).toBe(true);
    expect(ig.ignores('a.bin')).toBe(false);
    expect(ig.ignores('weird*name')).toBe(true);
    expect(ig.ignores('weirdXname')).toBe(false);
    expect(m('*\n').ignores('.')).toBe(false);
  });
});

describe('COPY wildcards (Go filepath.Match)', () => {
  it('matches whole relative paths, * within a name', () => {
    expect(globRegex('*.txt').test('a.txt')).toBe(true);
    expect(globRegex('*.txt').test('d/a.txt')).toBe(false);
    expect(globRegex('d/?.txt').test('d/a.txt')).toBe(true);
    expect(globRegex('[ab]*').test('b1')).toBe(true);
    expect(globRegex('[^ab]*').test('b1')).toBe(false);
  });
});

describe('build cache key', () => {
  it('depends on the parent, the instruction text and the extra, nothing else', () => {
    const base = cacheKey('sha256:1', '/bin/sh -c #(nop)  ENV A=1');
    expect(cacheKey('sha256:1', '/bin/sh -c #(nop)  ENV A=1')).toBe(base);
    expect(cacheKey('sha256:2', '/bin/sh -c #(nop)  ENV A=1')).not.toBe(base);
    expect(cacheKey('sha256:1', '/bin/sh -c #(nop)  ENV A=2')).not.toBe(base);
    expect(cacheKey('sha256:1', '/bin/sh -c #(nop)  ENV A=1', 'x')).not.toBe(base);
    expect(cacheKey(undefined, 'COPY file:abc in / ')).not.toBe(cacheKey('sha256:1', 'COPY file:abc in / '));
  });
});
