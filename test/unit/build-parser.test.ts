/**
 * The Dockerfile language as Docker's reference and moby/buildkit's parser define it:
 * directives, continuations, comments, exec and shell forms, flags, errors with lines.
 */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from '../../src/build/parser/parse.js';
import { splitLines } from '../../src/build/parser/lines.js';

const parse = (text: string) => parseDockerfile(text, 'Dockerfile');
const cmds = (text: string) => parse(text).stages.flatMap((s) => [s.from, ...s.commands]);

describe('Dockerfile parser', () => {
  it('joins continuation lines and skips comment and blank lines inside them, keeping line numbers', () => {
    const text = 'FROM x\nRUN echo a \\\n  # a comment inside\n  b \\\n\n  c\nCMD ["sh"]\n';
    const lines = splitLines(text);
    expect(lines.instructions.map((i) => [i.keyword, i.args, i.line])).toEqual([
      ['FROM', 'x', 1],
      ['RUN', 'echo a   b   c', 2],
      ['CMD', '["sh"]', 7],
    ]);
    expect(lines.warnings[0]).toMatch(/empty continuation line/);
  });

  it('takes `# escape=`` ` as the escape and continuation character, so \\ stays a path separator', () => {
    const text = '# escape=`\nFROM x\nCOPY a\\b `\n  c:\\d\\\nRUN dir c:\\\n';
    const list = cmds(text);
    expect(list[1]).toMatchObject({ kind: 'COPY', sources: ['a\\b'], dest: 'c:\\d\\' });
    expect(list[2]).toMatchObject({ kind: 'RUN', command: { json: false, text: 'dir c:\\' } });
  });

  it('ignores # syntax= and # check=, and stops reading directives at the first other line', () => {
    expect(parse('# syntax=docker/dockerfile:1\n# check=skip=all\nFROM x\n').escape).toBe('\\');
    // after a plain comment, "# escape=`" is just a comment: \ continues lines
    const late = parse('# hello\n# escape=`\nFROM x\nRUN a \\\n b\n');
    expect(late.escape).toBe('\\');
    expect(late.stages[0]!.commands[0]).toMatchObject({ command: { text: 'a  b' } });
    expect(() => parse('# escape=\\\n# escape=`\nFROM x\n')).toThrow('Dockerfile:2: only one escape parser directive can be used');
    expect(() => parse('# escape=x\nFROM x\n')).toThrow(/Dockerfile:1: invalid escape token/);
  });

  it('reads instruction names in any case, and a # after the start of a line as text', () => {
    const list = cmds('from x AS Build\nrun echo a # not a comment\n  # a comment\ncmd echo\n');
    expect(list.map((c) => c.kind)).toEqual(['FROM', 'RUN', 'CMD']);
    expect(list[0]).toMatchObject({ name: 'build' });
    expect(list[1]).toMatchObject({ command: { json: false, text: 'echo a # not a comment' } });
  });

  it('tells exec form (a JSON array of strings) from shell form, as Docker does', () => {
    const list = cmds('FROM x\nRUN ["echo", "a b"]\nRUN [not json\nCMD []\nENTRYPOINT ["/bin/sh","-c"]\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\n');
    expect(list[1]).toMatchObject({ command: { json: true, args: ['echo', 'a b'] } });
    expect(list[2]).toMatchObject({ command: { json: false, text: '[not json' } });
    expect(list[3]).toMatchObject({ kind: 'CMD', command: { json: true, args: [] } });
    expect(list[5]).toMatchObject({ kind: 'SHELL', shell: ['/bin/bash', '-o', 'pipefail', '-c'] });
    expect(() => parse('FROM x\nCMD ["a", 1]\n')).toThrow('Dockerfile:2: CMD: when using JSON array syntax, arrays must be comprised of strings only');
    expect(() => parse('FROM x\nSHELL /bin/bash -c\n')).toThrow('Dockerfile:2: SHELL requires the arguments to be in JSON form');
  });

  it('parses ENV and LABEL pairs (quotes kept for substitution) and the legacy `ENV K the value`', () => {
    const list = cmds('FROM x\nENV A=1 B="two words" C=a\\ b\nENV OLD some value here\nLABEL "com.x"="y" z=\n');
    expect(list[1]).toMatchObject({ pairs: [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }, { key: 'C', value: 'a\\ b' }] });
    expect(list[2]).toMatchObject({ pairs: [{ key: 'OLD', value: 'some value here' }] });
    expect(list[3]).toMatchObject({ pairs: [{ key: '"com.x"', value: '"y"' }, { key: 'z', value: '' }] });
    expect(() => parse('FROM x\nENV A=1 B\n')).toThrow(/Dockerfile:2: Syntax error - can't find = in "B"/);
    expect(() => parse('FROM x\nENV A\n')).toThrow('Dockerfile:2: ENV must have two arguments');
  });

  it('reads builder flags and refuses unknown or repeated ones', () => {
    const list = cmds('FROM --platform=linux/amd64 x AS a\nCOPY --from=a --chown=1:2 --chmod=755 s d/\nRUN --network=none true\n');
    expect(list[0]).toMatchObject({ platform: 'linux/amd64', name: 'a' });
    expect(list[1]).toMatchObject({ from: 'a', chown: '1:2', chmod: '755', sources: ['s'], dest: 'd/' });
    expect(list[2]).toMatchObject({ network: 'none' });
    expect(() => parse('FROM x\nCOPY --form=a s d\n')).toThrow(/Dockerfile:2: unknown flag: --form/);
    expect(() => parse('FROM x\nADD --from=a s d\n')).toThrow(/Dockerfile:2: unknown flag: --from/);
    expect(() => parse('FROM x\nRUN --network=bridge true\n')).toThrow(/expected none, host or default/);
  });

  it('puts ARGs before the first FROM apart, and refuses anything else there', () => {
    const file = parse('ARG BASE=x\nARG TAG\nFROM ${BASE}:${TAG}\nARG BASE\n');
    expect(file.metaArgs.flatMap((a) => a.args)).toEqual([{ key: 'BASE', value: 'x' }, { key: 'TAG' }]);
    expect(file.stages[0]!.commands[0]).toMatchObject({ kind: 'ARG', args: [{ key: 'BASE' }] });
    expect(() => parse('RUN x\nFROM y\n')).toThrow(/Dockerfile:1: no build stage in current context/);
  });

  it('parses HEALTHCHECK with its options, and NONE', () => {
    const list = cmds('FROM x\nHEALTHCHECK --interval=30s --timeout=3s --start-period=1m --retries=3 CMD wget -q localhost || exit 1\nHEALTHCHECK NONE\nHEALTHCHECK CMD ["true"]\n');
    expect(list[1]).toMatchObject({ healthcheck: { test: ['CMD-SHELL', 'wget -q localhost || exit 1'], interval: '30s', timeout: '3s', startPeriod: '1m', retries: 3 } });
    expect(list[2]).toMatchObject({ healthcheck: { test: ['NONE'] } });
    expect(list[3]).toMatchObject({ healthcheck: { test: ['CMD', 'true'] } });
    expect(() => parse('FROM x\nHEALTHCHECK --interval=30 CMD true\n')).toThrow(/Dockerfile:2: HEALTHCHECK --interval=30: not a duration/);
    expect(() => parse('FROM x\nHEALTHCHECK --retries=0 CMD true\n')).toThrow(/--retries cannot be less than 1/);
  });

  it('checks ONBUILD triggers when the parent is built', () => {
    expect(cmds('FROM x\nONBUILD RUN echo hi\n')[1]).toMatchObject({ kind: 'ONBUILD', trigger: 'RUN echo hi' });
    expect(() => parse('FROM x\nONBUILD ONBUILD RUN x\n')).toThrow(/Chaining ONBUILD/);
    expect(() => parse('FROM x\nONBUILD FROM y\n')).toThrow(/FROM isn't allowed as an ONBUILD trigger/);
    expect(() => parse('FROM x\nONBUILD COPPY a b\n')).toThrow(/unknown instruction: COPPY/);
  });

  it('names the file and line of an unknown instruction, with a suggestion', () => {
    expect(() => parse('FROM x\nRUN true\nCOPPY a b\n')).toThrow('Dockerfile:3: unknown instruction: COPPY (did you mean COPY?)');
    expect(() => parseDockerfile('FROM x\n\n\nXYZZY bar\n', 'build/Dockerfile.dev')).toThrow(/^build\/Dockerfile\.dev:4: unknown instruction: XYZZY$/);
  });

  it('refuses heredocs with a clear message instead of running them as shell', () => {
    expect(() => parse('FROM x\nRUN <<EOF\necho hi\nEOF\n')).toThrow(/Dockerfile:2: RUN <<EOF: heredocs are a BuildKit feature/);
    expect(() => parse('FROM x\nCOPY <<-"EOT" /a\nx\nEOT\n')).toThrow(/Dockerfile:2: COPY <<-"EOT": heredocs/);
    // a shell's << inside a word is not a heredoc word
    expect(cmds('FROM x\nRUN echo a<<b\n')[1]).toMatchObject({ kind: 'RUN' });
  });

  it('refuses empty files, files without FROM, bad FROM lines and duplicate stage names', () => {
    expect(() => parse('# only a comment\n\n')).toThrow(/file with no instructions/);
    expect(() => parse('ARG A=1\n')).toThrow(/no FROM instruction/);
    expect(() => parse('FROM a b\n')).toThrow('Dockerfile:1: FROM requires either one or three arguments');
    expect(() => parse('FROM a AS 1x\n')).toThrow(/invalid name for build stage/);
    expect(() => parse('FROM a AS s\nFROM b AS S\n')).toThrow('Dockerfile:2: duplicate name s: a build stage name must be unique');
  });

  it('keeps COPY/ADD/VOLUME word lists in both forms', () => {
    const list = cmds('FROM x\nCOPY ["a b", "c"]\nADD a b c /d/\nVOLUME /a /b\nVOLUME ["/c"]\nEXPOSE 80 443/tcp\n');
    expect(list[1]).toMatchObject({ sources: ['a b'], dest: 'c' });
    expect(list[2]).toMatchObject({ sources: ['a', 'b', 'c'], dest: '/d/' });
    expect(list[3]).toMatchObject({ paths: ['/a', '/b'] });
    expect(list[4]).toMatchObject({ paths: ['/c'] });
    expect(list[5]).toMatchObject({ ports: ['80', '443/tcp'] });
    expect(() => parse('FROM x\nCOPY a\n')).toThrow('Dockerfile:2: COPY requires at least two arguments, but got 1');
  });
});
