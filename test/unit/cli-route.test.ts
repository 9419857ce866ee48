import { describe, expect, it } from 'vitest';
import { VERBS as CONTAINER_BUNDLE_VERBS } from '../../src/cli/container-verbs.js';
import { VERBS as DELETE_BUNDLE_VERBS } from '../../src/cli/delete-verbs.js';
import { VERBS as ENGINE_BUNDLE_VERBS } from '../../src/cli/engine-verbs.js';
import { VERBS } from '../../src/cli/light-verbs.js';
import { GLOBAL_FLAGS } from '../../src/cli/global-flags.js';
import { BOOL_FLAGS, CONTAINER_VERBS, DELETE_VERBS, ENGINE_VERBS, LIGHT_VERBS, VALUE_FLAGS, bundleFor, codeCacheKey, isLightCommand } from '../../src/cli/route.js';
import { VERBS as ALL_VERBS } from '../../src/cli/verbs.js';

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
  it('light.cjs holds exactly the verbs routed to it', () => expect([...VERBS].sort()).toEqual([...LIGHT_VERBS].sort()));
});

describe('bundleFor (the one-file bundles for delete, create, run and exec)', () => {
  const cases: [string[], string][] = [
    [['delete', '--force', 'x'], './delete.cjs'],
    [['--root', '/r', 'delete', 'x'], './delete.cjs'],
    [['create', '-b', 'b', 'x'], './container.cjs'],
    [['--log', 'f', 'run', 'x'], './container.cjs'],
    [['exec', 'x', 'ls'], './container.cjs'],
    [['state', 'x'], './light.cjs'],
    [['--help', 'delete'], './main.js'],
    [['help', 'create'], './main.js'],
    [['--unknown', 'run', 'x'], './main.js'],
    [['-', 'run'], './main.js'],
    [['ps', 'x'], './main.js'],
    [['--storage', '/s', 'container', 'run', 'img'], './engine.cjs'],
    [['--log', 'f', '--log-format', 'json', 'container', '_hook', 'x', 'init'], './engine.cjs'],
    [[], './main.js'],
  ];
  for (const [argv, bundle] of cases) it(`${argv.join(' ') || '(none)'} -> ${bundle}`, () => expect(bundleFor(argv)).toBe(bundle));
  it('each bundle holds exactly the verbs routed to it, all of them verbs of the full CLI', () => {
    expect([...DELETE_BUNDLE_VERBS].sort()).toEqual([...DELETE_VERBS].sort());
    expect([...CONTAINER_BUNDLE_VERBS].sort()).toEqual([...CONTAINER_VERBS].sort());
    expect([...ENGINE_BUNDLE_VERBS].sort()).toEqual([...ENGINE_VERBS].sort());
    for (const verb of [...LIGHT_VERBS, ...DELETE_VERBS, ...CONTAINER_VERBS, ...ENGINE_VERBS]) expect(ALL_VERBS).toContain(verb);
  });
});

describe('codeCacheKey (what a call adds to its bundle\'s code cache)', () => {
  const cases: [string[], string | undefined][] = [
    [['--root', '/r', 'run', '-b', 'b', 'x'], 'run'],
    [['state', 'x'], 'state'],
    [['--storage', '/s', 'container', 'run', '--rm', 'img'], 'container run'],
    [['--log', 'f', '--log-format', 'json', 'container', '_hook', 'abc', 'cleanup'], 'container _hook cleanup'],
    [['container', '--help'], 'container'],
    [['--help'], undefined],
  ];
  for (const [argv, key] of cases) it(`${argv.join(' ')} -> ${key}`, () => expect(codeCacheKey(argv)).toBe(key));
});
