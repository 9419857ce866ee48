/**
 * src/cli/code-cache.ts: the one-file bundles run as a vm.Script with a code cache beside
 * them, written after the run, read back only when nobody but the bundle's owner could
 * have written it (a code cache is code: V8 does not verify its bytecode).
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBundle } from '../../src/cli/code-cache.js';

let dir: string;
let bundle: string;
const cacheDir = () => join(dir, '.code-cache');
/** The cache file of `key`: its name ends with the bundle's identity, which the test does not compute. */
const cacheFile = (key = 'run') => {
  const name = readdirSync(cacheDir()).find((n) => n.startsWith(`b.cjs.${key}.`) && n.endsWith('.cache'));
  if (!name) throw new Error(`no cache for ${key}`);
  return join(cacheDir(), name);
};
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-runc-code-cache-'));
  bundle = join(dir, 'b.cjs');
  // a CommonJS module that says it ran, with a function compiled only when called
  writeFileSync(bundle, 'function twice(x) { return 2 * x; }\nglobalThis.__codeCacheRuns = (globalThis.__codeCacheRuns ?? 0) + twice(1) / 2;\n');
  (globalThis as { __codeCacheRuns?: number }).__codeCacheRuns = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** runBundle, returning the cache writer it registered for exit (undefined: none). */
function run(verb: string | undefined): (() => void) | undefined {
  let save: (() => void) | undefined;
  runBundle(bundle, verb, (s) => { save = s; });
  return save;
}

describe('runBundle and its code cache', () => {
  it('runs the bundle, writes the cache at exit (0600, in a 0700 directory) and then reads it without writing again', () => {
    const save = run('run');
    expect((globalThis as { __codeCacheRuns?: number }).__codeCacheRuns).toBe(1);
    expect(save).toBeDefined();
    save!();
    expect(lstatSync(cacheDir()).mode & 0o777).toBe(0o700);
    expect(lstatSync(cacheFile()).mode & 0o777).toBe(0o600);
    expect(run('run')).toBeUndefined();
    expect((globalThis as { __codeCacheRuns?: number }).__codeCacheRuns).toBe(2);
  });

  it('keeps one cache per command, each written once', () => {
    run('run')!();
    const save = run('container _hook init');
    expect(save).toBeDefined();
    save!();
    expect(lstatSync(cacheFile('container-_hook-init')).isFile()).toBe(true);
    expect(run('container _hook init')).toBeUndefined();
    expect(run('run')).toBeUndefined();
  });

  it('ignores a cache that others may write, or one reached through a symlink, and replaces it', () => {
    run('run')!();
    chmodSync(cacheFile(), 0o666);
    const save = run('run');
    expect(save).toBeDefined();
    save!();
    expect(lstatSync(cacheFile()).mode & 0o777).toBe(0o600);

    chmodSync(cacheDir(), 0o777);
    expect(run('run')).toBeDefined();
    chmodSync(cacheDir(), 0o700);

    const elsewhere = join(dir, 'elsewhere');
    const path = cacheFile();
    writeFileSync(elsewhere, readFileSync(path));
    rmSync(path);
    symlinkSync(elsewhere, path);
    expect(run('run')).toBeDefined();
  });

  it('never runs a cache made for another bundle of the same length (V8 would accept it)', () => {
    run('run')!();
    const before = readFileSync(bundle, 'utf8');
    const after = before.replace('2 * x', '3 * x'); // same length, other code
    expect(after).toHaveLength(before.length);
    writeFileSync(bundle, after);
    utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
    const save = run('run');
    expect((globalThis as { __codeCacheRuns?: number }).__codeCacheRuns).toBe(1 + 1.5); // the new code ran, not the cached one (1 + 1)
    expect(save).toBeDefined();
  });

  it('writes no cache for a command that failed', () => {
    const save = run('run');
    const exitCode = process.exitCode;
    process.exitCode = 1;
    try {
      save!();
    } finally {
      process.exitCode = exitCode;
    }
    expect(existsSync(cacheDir()) ? readdirSync(cacheDir()) : []).toEqual([]);
  });
});
