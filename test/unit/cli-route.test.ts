import { describe, expect, it } from 'vitest';
import { VERBS } from '../../src/cli/light-verbs.js';
import { GLOBAL_FLAGS } from '../../src/cli/global-flags.js';
import { BOOL_FLAGS, LIGHT_VERBS, VALUE_FLAGS, isLightCommand } from '../../src/cli/route.js';

describe('isLightCommand (which bundle entry.ts loads)', () => {
  const light: string[][] = [
    ['state', 'x'],
    ['list'],
    ['--root', '/r', 'kill', 'x', 'KILL'],
    ['--root=/r', '--debug', 'start', 'x'],
    ['-root', '/r', '--log', 'f', '--log-format', 'json', 'state', 'x'],
    ['--systemd-cgroup', 'list', '--help'],
    ['--root', 'state', 'list'], // the root is a directory named state
  ];
  const full: string[][] = [
    [],
    ['create', 'x'],
    ['delete', 'x'],
    ['--help', 'state'],
    ['-h', 'list'],
    ['--version'],
    ['help', 'state'],
    ['--root'],
    ['--debug=true', 'state', 'x'],
    ['--unknown', 'state', 'x'],
    ['--', 'state', 'x'],
    ['-', 'state'],
  ];
  for (const argv of light) it(`light: ${argv.join(' ')}`, () => expect(isLightCommand(argv)).toBe(true));
  for (const argv of full) it(`full: ${argv.join(' ') || '(none)'}`, () => expect(isLightCommand(argv)).toBe(false));
  it('knows every global flag main parses: those with a value, and the bools that leave the verb alone', () => {
    expect([...VALUE_FLAGS].sort()).toEqual(GLOBAL_FLAGS.filter((f) => f.type !== 'bool').map((f) => f.name).sort());
    expect([...BOOL_FLAGS].sort()).toEqual(GLOBAL_FLAGS.filter((f) => f.type === 'bool' && f.name !== 'help' && f.name !== 'version').map((f) => f.name).sort());
  });
  it('light.js holds exactly the verbs routed to it', () => expect([...VERBS].sort()).toEqual([...LIGHT_VERBS].sort()));
});
