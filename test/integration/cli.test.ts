/**
 * The CLI says what it does (issue 9 items 17-19): every verb answers --help, no argument
 * is silently ignored, a closed stdout ends a verb quietly, and the versions agree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VERBS } from '../../src/cli/verbs.js';
import { REPO, TS_RUNC, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture ? describe : describe.skip;

suite('cli: help', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  it('every verb answers --help (and -h, help VERB) with its usage, exit 0', () => {
    // -h and help VERB for every verb are the unit tests' (cli-help.test.ts); a few here
    const calls = [...VERBS.map((verb) => [verb, '--help']), ['help', 'create'], ['kill', '-h'], ['help', 'image']];
    for (const argv of calls) {
      const verb = argv[0] === 'help' ? argv[1]! : argv[0]!;
      const r = box.run(argv);
      expect(r.status, argv.join(' ')).toBe(0);
      expect(r.stdout, argv.join(' ')).toMatch(new RegExp(`USAGE:\\n   ts-runc ${verb}`));
    }
    const sub = box.run(['image', 'ls', '--help']);
    expect(sub.status).toBe(0);
    expect(sub.stdout).toContain('ts-runc image ls [options] [REPOSITORY[:TAG]]');
    expect(box.run(['help', 'network', 'create']).stdout).toContain('--subnet value');
  });

  it('a mistyped verb, sub-verb or flag is answered with the nearest one', () => {
    expect(box.run(['dleete', 'x']).stderr).toContain('unknown command "dleete" (did you mean delete?)');
    expect(box.run(['image', 'lss']).stderr).toContain('unknown command "lss" (did you mean ls?)');
    const r = box.run(['delete', '--froce', 'x']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('ts-runc: delete: flag provided but not defined: --froce (did you mean --force?)\n');
  });

  it('--version names the runtime-spec version that spec writes', () => {
    const spec = box.run(['--version']).stdout.match(/^spec: (.+)$/m)?.[1];
    expect(box.run(['spec', '--bundle', box.dir]).status).toBe(0);
    const config = JSON.parse(readFileSync(join(box.dir, 'config.json'), 'utf8')) as { ociVersion: string };
    expect(spec).toBe(config.ociVersion);
  });
});

suite('cli: no argument is silently ignored', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  it('export ID -o FILE writes the file (flags after the id, as docker takes them)', () => {
    expect(box.run(['create', '-b', box.bundle(['sleep', '30']), 'ex']).status).toBe(0);
    const file = join(box.dir, 'ex.tar');
    const r = box.run(['export', 'ex', '-o', file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(statSync(file).size).toBeGreaterThan(0);
    expect(spawnSync('tar', ['-tf', file], { encoding: 'utf8' }).stdout.split('\n')).toContain('bin/busybox');
  });

  it('delete -f a b deletes both; delete of missing ids names each and exits 1', () => {
    for (const id of ['a', 'b']) expect(box.run(['create', '-b', box.bundle(['sleep', '30']), id]).status).toBe(0);
    const r = box.run(['delete', '-f', 'a', 'b']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(box.run(['list', '-q']).stdout).toBe('');
    const missing = box.run(['delete', 'a', 'b']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/container a does not exist.*container b does not exist/);
  });

  it('runc\'s flag after the id is honoured: delete ID -f', () => {
    expect(box.run(['run', '-d', '-b', box.bundle(['sleep', '30']), 'late']).status).toBe(0);
    expect(box.run(['delete', 'late', '-f']).status).toBe(0);
    expect(box.run(['list', '-q']).stdout).toBe('');
  });

  it('an extra argument is an error that names it', () => {
    const r = box.run(['state', 'a', 'b']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('ts-runc: state: unexpected argument "b" (takes <container-id>)\n');
    expect(box.run(['list', 'x']).stderr).toContain('list: unexpected argument "x"');
  });

  it.runIf(existsSync(IMAGE_TAR))('image ls REPOSITORY[:TAG] lists only that repository', () => {
    expect(box.run(['image', 'load', '-i', IMAGE_TAR]).status).toBe(0);
    expect(box.run(['image', 'tag', 'fixture:3layers', 'other:1']).status).toBe(0);
    const rows = (argv: string[]) => box.run(['image', 'ls', ...argv]).stdout.trim().split('\n').slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(':'));
    expect(rows([])).toEqual(expect.arrayContaining(['fixture:3layers', 'other:1']));
    expect(rows(['fixture'])).toEqual(['fixture:3layers']);
    expect(rows(['other:1'])).toEqual(['other:1']);
    expect(rows(['fixture:nope'])).toEqual([]);
    expect(box.run(['image', 'ls', '-q', 'nothing']).stdout).toBe('');
  });
});

suite('cli: a closed stdout', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  /**
   * Runs `ts-runc ARGS` with stdout a FIFO whose only reader has gone: every write fails
   * with EPIPE at once (what `| head -1` does once head has exited, without the race).
   */
  function withClosedStdout(args: string[]): { status: number; stderr: string } {
    const fifo = join(box.dir, 'fifo');
    if (!existsSync(fifo)) expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const script = `exec 3<>'${fifo}'; exec 4>'${fifo}'; exec 3<&-; '${TS_RUNC}' --root '${box.root}' --storage '${box.storage}' ${quoted} >&4`;
    const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 20_000 });
    return { status: r.status ?? 128, stderr: r.stderr };
  }

  it('plan, list and --version end quietly with 141 (128 + SIGPIPE), as tools stopped by SIGPIPE do', () => {
    const bundle = box.bundle(['true']);
    for (const args of [['plan', '-b', bundle], ['list'], ['--help'], ['--version']]) {
      const r = withClosedStdout(args);
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.status, args.join(' ')).toBe(141);
    }
  });

  it('export to a closed stdout ends quietly and leaves the container running, not paused', () => {
    expect(box.run(['run', '-d', '-b', box.bundle(['sleep', '30']), 'ep']).status).toBe(0);
    const r = withClosedStdout(['export', 'ep']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(141);
    expect(JSON.parse(box.run(['state', 'ep']).stdout)).toMatchObject({ status: 'running' });
  });

  it.runIf(existsSync(IMAGE_TAR))('image save to a closed stdout ends quietly', () => {
    expect(box.run(['image', 'load', '-i', IMAGE_TAR]).status).toBe(0);
    const r = withClosedStdout(['image', 'save', 'fixture:3layers']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(141);
  });
});
