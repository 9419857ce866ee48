/**
 * Running a one-file CommonJS bundle (dist/bundle/light.cjs, delete.cjs, container.cjs,
 * engine.cjs) with a complete V8 code cache (issue 14).
 *
 * Node's compile cache (module.enableCompileCache) keeps what V8 compiled when a module was
 * first compiled: its top level. Every function is compiled at its first call, and that code
 * is never cached: `run` compiled some 500 functions on every call, ~14 ms of its 80 (the
 * cache below took `run` from 81 to 67 ms, measured side by side). A vm.Script takes the
 * code cache made *after* it ran (script.createCachedData(), node:vm "Script"), which holds
 * every function compiled by then. V8 rejects a cache made by another V8 version, with other
 * flags or for a source of another length (`cachedDataRejected`), and the script then
 * compiles as if there were none; it does not compare the source itself (see Which).
 *
 * Where: dist/bundle/.code-cache/, beside the bundle and as trusted as it: V8 does not
 * verify the bytecode in a cache, so whoever can write one can run code as the next caller.
 * A cache is read only if it and its directory belong to the bundle's owner and nobody else
 * may write them; it is written by that owner or by root (and then given to the owner).
 * Anything else (a read-only install, another user) runs the bundle without a cache.
 *
 * Which: one cache per bundle, command (route.ts codeCacheKey: the verb, or the engine's
 * sub-verb) and bundle identity (size, mtime, inode: a bundle changed in place to one of the
 * same length must not run the old bytecode), written at the exit of a command that
 * succeeded when there was none or V8 rejected it. V8 deserializes every function in a
 * cache when the script is compiled, so one cache shared by `run`, `exec` and the monitor's
 * hooks would cost each of them the others' functions.
 */
import { closeSync, constants, fchownSync, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { isAscii } from 'node:buffer';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';

/**
 * Run `file` as a CommonJS module, with the code cache of `key` (route.ts codeCacheKey).
 * `atExit` is when the cache is written (a seam for the unit test).
 */
export function runBundle(file: string, key: string | undefined, atExit: (save: () => void) => void = (save) => process.on('exit', save)): void {
  // scripts/bundle.mjs makes the bundles ASCII, which latin1 reads without UTF-8 decoding
  const bytes = readFileSync(file);
  const source = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  const owner = statSync(file);
  const dir = join(dirname(file), '.code-cache');
  // V8 checks a cache against the source's length only (a cache of another source of the
  // same length is accepted and runs the old code), and against its own flags: so the name
  // holds the bundle's identity (size, mtime, inode) and Node's flags.
  const identity = [owner.size, Math.floor(owner.mtimeMs), owner.ino, fnv1a(`${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`)]
    .map((n) => n.toString(36)).join('-');
  const cacheFile = join(dir, `${basename(file)}.${(key ?? 'other').replace(/[^a-z0-9_-]+/gi, '-')}.${identity}.cache`);
  const cachedData = readTrusted(cacheFile, dir, owner);
  // CommonJS's module wrapper (what node:module's Module.wrap gives)
  const wrapped = `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
  const script = new Script(wrapped, {
    filename: file,
    ...(cachedData ? { cachedData } : {}),
    // No importModuleDynamically: the bundle has no import() left (scripts/bundle.mjs
    // checks), which spares Node 26's ExperimentalWarning for the option that allows it.
  });
  // Written by a command that succeeded (a failed one may have stopped early and compiled
  // little), by those who may write it, and serialized only then.
  const euid = process.geteuid?.();
  if ((!cachedData || script.cachedDataRejected === true) && (euid === owner.uid || euid === 0)) {
    atExit(() => {
      if (!process.exitCode) writeTrusted(dir, owner, cacheFile, () => script.createCachedData());
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
}

/** FNV-1a, 32 bits: a name for Node's flags (not a secret; sha256 in JavaScript cost 1 ms here). */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}

/** Owned by the bundle's owner and writable by nobody else. */
function trusted(stats: Stats, owner: Stats): boolean {
  return stats.uid === owner.uid && (stats.mode & 0o022) === 0;
}

function readTrusted(path: string, dir: string, owner: Stats): Buffer | undefined {
  let fd: number | undefined;
  try {
    const dirStats = lstatSync(dir);
    if (!dirStats.isDirectory() || !trusted(dirStats, owner)) return undefined;
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    const stats = fstatSync(fd);
    return stats.isFile() && trusted(stats, owner) ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** The file replaced by rename(2) of a new one (mode 0600, the owner's); on any error, nothing. */
function writeTrusted(dir: string, owner: Stats, path: string, data: () => Buffer): void {
  const euid = process.geteuid?.();
  if (euid !== owner.uid && euid !== 0) return;
  try {
    try {
      mkdirSync(dir, { mode: 0o700 });
      if (euid !== owner.uid) fchownDir(dir, owner);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return;
    }
    const dirStats = lstatSync(dir);
    if (!dirStats.isDirectory() || !trusted(dirStats, owner)) return;
    const temp = `${path}.${process.pid}.tmp`;
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      try {
        writeFileSync(fd, data());
        if (euid !== owner.uid) fchownSync(fd, owner.uid, owner.gid);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, path);
    } catch (error) {
      unlinkSync(temp);
      throw error;
    }
  } catch {
    // a cache is only ever a saving
  }
}

function fchownDir(dir: string, owner: Stats): void {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    fchownSync(fd, owner.uid, owner.gid);
  } finally {
    closeSync(fd);
  }
}
