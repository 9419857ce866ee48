import { describe, expect, it } from 'vitest';
import { bool, int, list, parseFlags, str, type FlagSpec } from '../../src/cli/args.js';
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

  it('stops at the first positional, so a command keeps its own flags', () => {
    const p = parseFlags(['-e', 'A=1', '--env', 'B=2', 'web', 'sh', '-c', 'ls -l'], FLAGS, 'exec');
    expect(list(p, 'env')).toEqual(['A=1', 'B=2']);
    expect(p.positionals).toEqual(['web', 'sh', '-c', 'ls -l']);
  });

  it('names an unknown flag and a missing value', () => {
    expect(() => parseFlags(['--nope'], FLAGS, 'run')).toThrow('run: flag provided but not defined: -nope');
    expect(() => parseFlags(['--bundle'], FLAGS, 'run')).toThrow('flag needs an argument: -bundle');
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
});
