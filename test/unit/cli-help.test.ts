import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HelpRequested, parseFlags } from '../../src/cli/args.js';
import type { Command, Context } from '../../src/cli/command.js';
import { VERBS, loadVerb } from '../../src/cli/verbs.js';
import { checkArgs, commandHelp, synopsisArity } from '../../src/cli/help.js';
import { nameMatchesFilter } from '../../src/cli/image/ls.js';
import { editDistance, nearest } from '../../src/cli/suggest.js';
import { StateStore } from '../../src/state/container-state.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-runc-help-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context: Context = {
  globals: { root: join(dir, 'root'), storage: join(dir, 'storage'), logFormat: 'text', debug: false, systemdCgroup: false },
  store: new StateStore(join(dir, 'root')),
};

/** Every verb and sub-verb, as [how it is called, its Command]. */
async function allCommands(): Promise<Array<[string, Command]>> {
  const found: Array<[string, Command]> = [];
  for (const verb of VERBS) {
    const command = await loadVerb(verb);
    if (!command.subcommands) found.push([verb, command]);
    else for (const name of command.subcommands.names) found.push([`${verb} ${name}`, await command.subcommands.load(name)]);
  }
  return found;
}

/** Verbs where -h is --hostname, as docker's `run -h NAME` and `create -h NAME`. */
const HOSTNAME_H = ['container run', 'container create'];

describe('help comes from the declarations the parser uses', () => {
  it('every verb and sub-verb asks for help on --help and -h before doing anything', async () => {
    for (const [path, command] of await allCommands()) {
      await expect(command.run(context, ['--help']), path).rejects.toBeInstanceOf(HelpRequested);
      // docker's run and create take -h as --hostname (their help is --help only)
      if (!HOSTNAME_H.includes(path)) await expect(command.run(context, ['-h']), path).rejects.toBeInstanceOf(HelpRequested);
      if (path === 'create' || path === 'run' || path === 'bundle') {
        await expect(command.run(context, ['--image', 'x', '--help']), path).rejects.toBeInstanceOf(HelpRequested);
      }
    }
  });

  it('every verb\'s help lists its synopsis and each of its flags', async () => {
    for (const [path, command] of await allCommands()) {
      const text = commandHelp(path, command);
      expect(text, path).toContain(`USAGE:\n   ts-runc ${path} ${command.synopsis}`.trimEnd());
      for (const flag of command.flags) {
        expect(text, `${path} --${flag.name}`).toContain(`--${flag.name}`);
        if (flag.short) expect(text, `${path} -${flag.short}`).toContain(`-${flag.short}`);
      }
      expect(text).toContain(HOSTNAME_H.includes(path) ? '--help' : '--help, -h');
    }
  });

  it('lists a flag in runc\'s shape: long and short names with the value, then the help', () => {
    const text = commandHelp('export', { synopsis: '[options] <container-id>', summary: 'x', flags: [{ name: 'output', short: 'o', type: 'string', help: 'the file', value: 'FILE' }], run: async () => 0 });
    expect(text).toContain('   --output FILE, -o FILE  the file\n');
  });
});

describe('positional arguments are counted from the synopsis', () => {
  it('reads required, optional and repeated words, and skips [options] and bracketed flags', () => {
    expect(synopsisArity('<container-id>')).toMatchObject({ min: 1, max: 1 });
    expect(synopsisArity('[options] <container-id> [signal]')).toMatchObject({ min: 1, max: 2 });
    expect(synopsisArity('[options] <container-id>...')).toMatchObject({ min: 1, max: Infinity });
    expect(synopsisArity('[--stats] [--interval 5s] <container-id>')).toMatchObject({ min: 1, max: 1 });
    expect(synopsisArity('<container-id> [PORT[/tcp|udp]]')).toMatchObject({ min: 1, max: 2 });
    expect(synopsisArity('SOURCE_IMAGE TARGET_NAME[:TAG]')).toMatchObject({ min: 2, max: 2 });
    expect(synopsisArity('[options] FILE|- [NAME[:TAG]]')).toMatchObject({ min: 1, max: 2 });
    expect(synopsisArity('NAME...')).toMatchObject({ min: 1, max: Infinity });
    expect(synopsisArity('')).toMatchObject({ min: 0, max: 0 });
  });

  it('names a missing argument and every extra one', () => {
    const parse = (argv: string[]) => parseFlags(argv, [], 'x');
    expect(() => checkArgs(parse([]), 'state', '<container-id>')).toThrow('state: <container-id> is required');
    expect(() => checkArgs(parse(['a', 'b', 'c']), 'state', '<container-id>')).toThrow('state: unexpected arguments "b" "c" (takes <container-id>)');
    expect(() => checkArgs(parse(['x']), 'list', '[options]')).toThrow('list: unexpected argument "x" (takes no arguments)');
    expect(checkArgs(parse(['a', 'b']), 'delete', '[options] <container-id>...')).toEqual(['a', 'b']);
  });
});

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('dleete', 'delete')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('finds the nearest verb or flag, and nothing for a word far from all', () => {
    expect(nearest('dleete', VERBS)).toBe('delete');
    expect(nearest('exce', VERBS)).toBe('exec');
    expect(nearest('--netwrok', ['--network', '--network-alias'])).toBe('--network');
    expect(nearest('--pub', ['--publish', '--publish-all', '--pid-file'])).toBeUndefined(); // two begin so
    expect(nearest('--publish-a', ['--publish', '--publish-all'])).toBe('--publish-all');
    expect(nearest('checkpoint', VERBS)).toBeUndefined();
    expect(nearest('-9', ['-a'])).toBeUndefined();
  });
});

describe('image ls REPOSITORY[:TAG]', () => {
  it('matches a repository\'s tags, one tag, and short names of pulled images', () => {
    expect(nameMatchesFilter('fixture:3layers', 'fixture')).toBe(true);
    expect(nameMatchesFilter('fixture:3layers', 'fixture:3layers')).toBe(true);
    expect(nameMatchesFilter('fixture:3layers', 'fixture:latest')).toBe(false);
    expect(nameMatchesFilter('other:3layers', 'fixture')).toBe(false);
    expect(nameMatchesFilter('fixture-two:1', 'fixture')).toBe(false);
    expect(nameMatchesFilter('127.0.0.1:5000/team/app:v2', 'team/app')).toBe(true);
    expect(nameMatchesFilter('127.0.0.1:5000/team/app:v2', '127.0.0.1:5000/team/app:v2')).toBe(true);
    expect(nameMatchesFilter('registry.example/library/busybox:1', 'busybox')).toBe(true);
  });
});
