import { describe, expect, it } from 'vitest';
import { HelpRequested, bool, int, list, parseFlags, str, type FlagSpec } from '../../src/cli/args.js';
import { NETWORK_FLAGS } from '../../src/cli/network-flags.js';
import { parseSignal } from '../../src/process/signals.js';

const FLAGS: FlagSpec[] = [
  { name: 'bundle', short: 'b', type: 'string', help: '' },
  { name: 'detach', short: 'd', type: 'bool', help: '' },
  { name: 'env', short: 'e', type: 'list', help: '' },
  { name: 'preserve-fds', type: 'string', help: '' },
];

describe('flags parse as runc (urfave/cli) parses them', () => {
  it('accepts -flag and --flag, with the value after a space or an =', () => {
    const p = parseFlags(['-bundle', '/b', '--preserve-fds=2', '-d', 'web'], FLAGS, 'run');
    expect(str(p, 'bundle')).toBe('/b');
    expect(int(p, 'preserve-fds', 0)).toBe(2);
    expect(bool(p, 'detach')).toBe(true);
    expect(p.positionals).toEqual(['web']);
  });

  it('stops at the first positional when asked (exec), so a command keeps its own flags', () => {
    const p = parseFlags(['-e', 'A=1', '--env', 'B=2', 'web', 'sh', '-c', 'ls -l'], FLAGS, 'exec', 'before-args');
    expect(list(p, 'env')).toEqual(['A=1', 'B=2']);
    expect(p.positionals).toEqual(['web', 'sh', '-c', 'ls -l']);
  });

  it('names an unknown flag and a missing value as they were typed', () => {
    expect(() => parseFlags(['--nope'], FLAGS, 'run')).toThrow(/^run: flag provided but not defined: --nope$/);
    expect(() => parseFlags(['--rm'], FLAGS, 'run')).toThrow('flag provided but not defined: --rm');
    expect(() => parseFlags(['-rm'], FLAGS, 'run')).toThrow('flag provided but not defined: -rm');
    expect(() => parseFlags(['--bundle'], FLAGS, 'run')).toThrow('flag needs an argument: --bundle');
  });

  it('suggests the nearest flag for a typo', () => {
    expect(() => parseFlags(['--bundel', 'x'], FLAGS, 'run')).toThrow('flag provided but not defined: --bundel (did you mean --bundle?)');
    expect(() => parseFlags(['--preserve-fd=1'], FLAGS, 'run')).toThrow('(did you mean --preserve-fds?)');
    expect(() => parseFlags(['-detatch'], FLAGS, 'run')).toThrow('-detatch (did you mean --detach?)');
  });

  it('takes flags after positional words by default, as runc 1.1.5 (urfave/cli) and docker do', () => {
    const p = parseFlags(['web', '-o', 'out.tar', 'db', '--detach'], [...FLAGS, { name: 'output', short: 'o', type: 'string', help: '' }], 'export');
    expect(str(p, 'output')).toBe('out.tar');
    expect(bool(p, 'detach')).toBe(true);
    expect(p.positionals).toEqual(['web', 'db']);
  });

  it('ends the flags at --', () => {
    expect(parseFlags(['-d', '--', 'web', '-b'], FLAGS, 'run').positionals).toEqual(['web', '-b']);
  });

  it('refuses a second value for a one-value flag, and says why when the flag says', () => {
    expect(() => parseFlags(['-b', 'x', '--bundle=y'], FLAGS, 'run')).toThrow('run: --bundle given twice ("x", "y"): it takes one value');
    expect(() => parseFlags(['--network', 'a', '--network', 'b'], NETWORK_FLAGS, 'run'))
      .toThrow('--network given twice ("a", "b"): a ts-runc container joins one network');
  });

  it('reads a boolean value as Go does and refuses anything else', () => {
    expect(bool(parseFlags(['--detach=false'], FLAGS, 'run'), 'detach')).toBe(false);
    expect(bool(parseFlags(['--detach=1'], FLAGS, 'run'), 'detach')).toBe(true);
    expect(() => parseFlags(['--detach=yes'], FLAGS, 'run')).toThrow('invalid boolean value "yes" for --detach');
  });

  it('asks for help on --help or -h among the flags, but not in a command after the id', () => {
    expect(() => parseFlags(['web', '--help'], FLAGS, 'delete')).toThrow(HelpRequested);
    expect(() => parseFlags(['-h'], FLAGS, 'delete')).toThrow(HelpRequested);
    expect(parseFlags(['web', 'ls', '-h'], FLAGS, 'exec', 'before-args').positionals).toEqual(['web', 'ls', '-h']);
  });

  it('refuses a non-numeric number', () => {
    expect(() => int(parseFlags(['--preserve-fds', 'x'], FLAGS, 'run'), 'preserve-fds', 0)).toThrow(/not a number/);
  });
});

describe('signals', () => {
  it('take names with or without SIG, in any case, and numbers', () => {
    expect(parseSignal('TERM')).toBe(15);
    expect(parseSignal('sigkill')).toBe(9);
    expect(parseSignal('10')).toBe(10);
  });
  it('refuse unknown names and numbers out of range', () => {
    expect(() => parseSignal('BOGUS')).toThrow('invalid signal');
    expect(() => parseSignal('0')).toThrow('invalid signal');
    expect(() => parseSignal('65')).toThrow('invalid signal');
  });
  it('take 0 (a liveness probe) only when asked, as `kill` does', () => {
    expect(parseSignal('0', true)).toBe(0);
    expect(() => parseSignal('SIG0', true)).toThrow('invalid signal');
  });
});
