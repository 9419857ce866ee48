/**
 * The CLI surface as runc 1.1.5 shows it (issue 10 item 10): `--version`'s lines, `help`
 * for an unknown topic, exec's 255 for a runtime failure, and `--debug`'s log lines,
 * the init's own steps included (runc's nsexec logs through _LIBCONTAINER_LOGPIPE; ours
 * through TSRUNC_LOG_FD). Where runc is installed, it answers the same calls.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_ROOTFS, REPO, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;

/** A logrus text line, as runc writes them: time="…" level=debug msg="…". */
const LOGRUS_TEXT = /^time="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ" level=(debug|info|warning|error) msg="/;

suite('the CLI as runc shows it', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  const runc = (args: string[]) => spawnSync('runc', ['--root', join(box.dir, 'runc-state'), ...args], { encoding: 'utf8', timeout: 20_000 });

  it('--version prints version, commit (from the build, no git at run time) and spec lines', () => {
    const lines = box.run(['--version']).stdout.split('\n');
    expect(lines[0]).toMatch(/^ts-runc version \d+\.\d+\.\d+$/);
    // The line is what make build wrote into dist/version.js, read at run time without git.
    expect(lines[1]).toMatch(/^commit: \S+$/);
    expect(readFileSync(join(REPO, 'dist/version.js'), 'utf8')).toContain(`BUILD_COMMIT = '${lines[1]!.slice('commit: '.length)}'`);
    // What make build writes there: the checkout's `git describe --always --dirty`.
    const copy = join(box.dir, 'version.js');
    copyFileSync(join(REPO, 'dist/version.js'), copy);
    expect(spawnSync(join(REPO, 'scripts/write-commit.sh'), [copy], { cwd: REPO }).status).toBe(0);
    const describe = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: REPO, encoding: 'utf8' }).stdout.trim();
    if (describe) expect(readFileSync(copy, 'utf8')).toContain(`BUILD_COMMIT = '${describe}';`);
    expect(lines[2]).toMatch(/^spec: \d+\.\d+\.\d+/);
    if (RUNC) {
      const theirs = runc(['--version']).stdout.split('\n');
      expect(lines.slice(0, 3).map((l) => l.replace(/ .*/, ''))).toEqual(theirs.slice(0, 3).map((l) => l.replace(/ .*/, '').replace('runc', 'ts-runc')));
    }
  });

  it("help for an unknown topic says runc's words, with status 3", () => {
    const r = box.run(['help', 'foo']);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain("No help topic for 'foo'");
    expect(box.run(['help', 'dleete']).stderr).toContain("No help topic for 'dleete' (did you mean delete?)");
    expect(box.run(['help', 'exec']).stdout).toContain('ts-runc exec');
    // A bare call and `--help` with any word print the main help and exit 0, as runc's do.
    for (const args of [[], ['--help', 'foo'], ['-h']]) {
      const r = box.run(args);
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('USAGE:');
      if (RUNC) expect(runc(args).status, `runc ${args.join(' ')}`).toBe(0);
    }
    if (RUNC) {
      const theirs = runc(['help', 'foo']);
      expect(theirs.status).toBe(3);
      expect(theirs.stderr).toContain("No help topic for 'foo'");
    }
  });

  it('exec exits 255 when the runtime fails and with the process status otherwise', () => {
    const missing = box.run(['exec', 'nosuch', 'true']);
    expect(missing.status).toBe(255);
    expect(missing.stderr).toContain('exec failed: container nosuch does not exist');
    // Flag errors come before the exec and stay 1, as runc's do.
    expect(box.run(['exec', '--bogus', 'nosuch', 'true']).status).toBe(1);
    if (RUNC) {
      expect(runc(['exec', 'nosuch', 'true']).status).toBe(255);
      expect(runc(['exec', '--bogus', 'nosuch', 'true']).status).toBe(1);
    }
    const bundle = box.bundle(['sleep', '100']);
    expect(box.run(['run', '-d', '-b', bundle, 'ex']).status).toBe(0);
    expect(box.run(['exec', 'ex', 'sh', '-c', 'exit 7']).status).toBe(7);
    const noProgram = box.run(['exec', 'ex', '/no/such/program']);
    expect(noProgram.status).toBe(255);
    expect(noProgram.stderr).toContain('exec failed:');
    box.run(['kill', 'ex', 'KILL']);
  });

  it("--debug writes runc's text lines to stderr, the init's steps included, and json lines to --log", () => {
    const bundle = box.bundle(['ls', '/proc/self/fd'], (spec) => { spec.root = { path: realpathSync(FIXTURE_ROOTFS), readonly: true }; });
    const r = box.run(['--debug', 'run', '-b', bundle, 'dbg']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    for (const line of lines) expect(line).toMatch(LOGRUS_TEXT);
    // The init reports each step, with its pid in the container's pid namespace (1).
    expect(r.stderr).toMatch(/level=debug msg="ts-runc-init\[1\]: step 1\/\d+ make \/ rslave: start"/);
    expect(r.stderr).toMatch(/level=debug msg="ts-runc-init\[1\]: step \d+\/\d+ pivot_root[^"]*: done( in \d+ ns)?"/);
    // The log pipe is close-on-exec: the container's process has only stdio (and ls's own
    // directory fd), as without --debug.
    expect(r.stdout).toBe(box.run(['run', '-b', bundle, 'quiet']).stdout);

    const logFile = join(box.dir, 'debug.json');
    expect(box.run(['--debug', '--log', logFile, '--log-format', 'json', 'run', '-b', bundle, 'dbg2']).status).toBe(0);
    const records = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string; time: string });
    expect(records.some((x) => x.level === 'debug' && /^ts-runc-init\[1\]: step \d+\/\d+ exec ls: start$/.test(x.msg))).toBe(true);
    for (const x of records) expect(x.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    if (RUNC) {
      const theirs = runc(['--debug', 'run', '-b', bundle, 'dbg-runc']);
      expect(theirs.status, theirs.stderr).toBe(0);
      expect(theirs.stderr.trim().split('\n').filter((l) => l.includes('level=debug')).length).toBeGreaterThan(0);
      for (const line of theirs.stderr.trim().split('\n').filter((l) => l.startsWith('time='))) expect(line).toMatch(LOGRUS_TEXT);
    }
  });
});
