/**
 * The build context: the files COPY and ADD may take, minus what `.dockerignore` leaves out.
 *
 *   a directory     used in place (nothing is copied up front); every walk skips ignored paths
 *   `-` (stdin)     a tar (plain or gzip) unpacked into the build's work directory with the
 *                   layer unpacker's hostile-tar rules, or a lone Dockerfile (no context)
 *   git / URL       refused: ts-runc's builder does not fetch contexts
 *
 * `.dockerignore` and the Dockerfile itself are always readable by the builder, but when
 * ignored, COPY does not see them (Dockerfile reference, ".dockerignore file").
 */
import { closeSync, createWriteStream, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, posix, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RuntimeError, errorCode } from '../../errors.js';
import { resolveInRoot } from '../../image/users.js';
import { IgnoreMatcher } from './dockerignore.js';

export interface BuildContext {
  /** the directory holding the context (the user's, or the unpacked tar) */
  root: string;
  ignore: IgnoreMatcher;
  dockerfile: { name: string; text: string };
}

/** "-" is stdin; a git or URL context is refused. */
export function checkContextArgument(context: string): void {
  if (/^(https?|git|ssh):\/\//.test(context) || /^git@/.test(context) || /\.git(#.*)?$/.test(context) || context.startsWith('github.com/')) {
    throw new RuntimeError(`build context ${context}: git and URL contexts are not supported by ts-runc; clone or download it and give the directory (or a tar on stdin with -)`);
  }
}

/** A directory context; `dockerfile` (-f) is relative to the current directory, default CONTEXT/Dockerfile. */
export function directoryContext(dir: string, dockerfile?: string): BuildContext {
  checkContextArgument(dir);
  const root = resolve(dir);
  let stats;
  try {
    stats = statSync(root);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new RuntimeError(`unable to prepare context: path ${JSON.stringify(dir)} not found`);
    throw error;
  }
  if (!stats.isDirectory()) throw new RuntimeError(`unable to prepare context: ${dir} is not a directory (give a directory, or - for a tar on stdin)`);
  const file = dockerfile !== undefined ? resolve(dockerfile) : join(root, 'Dockerfile');
  return { root, ignore: readIgnore(root), dockerfile: { name: dockerfile ?? 'Dockerfile', text: readDockerfile(file, dockerfile ?? 'Dockerfile') } };
}

/**
 * A context read from `input` into `dir`: a tar (plain, gzip, zstd) is unpacked there; any
 * other text is taken as a Dockerfile with an empty context. `dockerfile` (-f) names the
 * Dockerfile inside the tar.
 */
export async function streamContext(input: NodeJS.ReadableStream, dir: string, dockerfile?: string): Promise<BuildContext> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'context.tar');
  await pipeline(input, createWriteStream(file, { mode: 0o600 }));
  const root = join(dir, 'context');
  if (!looksLikeArchive(file)) {
    mkdirSync(root, { mode: 0o755 });
    return { root, ignore: new IgnoreMatcher([]), dockerfile: { name: 'Dockerfile', text: readFileSync(file, 'utf8') } };
  }
  const { unpackLayer } = await import('../../image/unpack.js');
  await unpackLayer(file, root, 'build context (stdin)');
  const name = dockerfile ?? 'Dockerfile';
  const inside = resolveInRoot(root, name);
  return { root, ignore: readIgnore(root), dockerfile: { name, text: readDockerfile(inside, name) } };
}

/** gzip/zstd magic, or a tar header's "ustar" magic at offset 257. */
function looksLikeArchive(file: string): boolean {
  const head = Buffer.alloc(512);
  const fd = openSync(file, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
  if (n >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return true;
  return n >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
}

function readIgnore(root: string): IgnoreMatcher {
  const file = join(root, '.dockerignore');
  return existsSync(file) ? IgnoreMatcher.parse(readFileSync(file, 'utf8')) : new IgnoreMatcher([]);
}

function readDockerfile(file: string, name: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') throw new RuntimeError(`unable to prepare context: cannot find the Dockerfile ${name} (${file})`);
    throw error;
  }
}

/** One source of a COPY/ADD, found in the context. */
export interface SourcePath {
  /** relative to the context's root, "" for the root itself */
  rel: string;
  /** the host path, symlinks of the top-level name resolved inside the context */
  host: string;
}

/**
 * COPY's source words → the context paths they name. A word with * ? or [ is a pattern
 * (Go's filepath.Match, matched against every path of the context); others must exist and
 * not be ignored. Nothing may be outside the context.
 */
export function resolveSources(context: BuildContext, words: string[], instruction: string): SourcePath[] {
  const found: SourcePath[] = [];
  for (const word of words) {
    const rel = cleanRelative(word, instruction);
    if (/[*?[]/.test(word)) {
      const matcher = globRegex(rel);
      const matches: SourcePath[] = [];
      walk(context, '', (path, isDir) => {
        if (matcher.test(path)) {
          matches.push({ rel: path, host: join(context.root, path) });
          return false; // a matched directory is copied whole
        }
        return isDir;
      });
      if (matches.length === 0) throw new RuntimeError(`${instruction} failed: no source files were specified (${word} matches nothing in the build context)`);
      found.push(...matches.sort((a, b) => (a.rel < b.rel ? -1 : 1)));
      continue;
    }
    if (rel !== '' && context.ignore.ignores(rel)) {
      throw new RuntimeError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${word}: file does not exist`);
    }
    const host = resolveInRoot(context.root, rel);
    let stats;
    try {
      stats = lstatSync(host);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') {
        throw new RuntimeError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${word}: file does not exist`);
      }
      throw error;
    }
    // Where a symlink on the way led is what is copied: .dockerignore applies to it too (docker
    // never sends an ignored file, so a link to one finds nothing), and below a directory
    // reached through a link the ignore rules are those of its real path.
    const real = relative(context.root, host);
    if (real !== '' && real !== rel && context.ignore.ignores(real)) {
      throw new RuntimeError(`${instruction} failed: file not found in build context or excluded by .dockerignore: stat ${word}: ${real} is excluded by .dockerignore`);
    }
    found.push({ rel: stats.isDirectory() ? real : rel, host });
  }
  return found;
}

/** "./a/../b/" → "b"; "/x" → "x"; ".." → an error (outside the context). */
export function cleanRelative(word: string, instruction: string): string {
  const normalized = posix.normalize(`/${word}`).replace(/^\/+/, '').replace(/\/+$/, '');
  if (posix.normalize(word).split('/')[0] === '..' && !word.startsWith('/')) {
    throw new RuntimeError(`${instruction} failed: forbidden path outside the build context: ${word}`);
  }
  return normalized;
}

/**
 * Walks the context below `rel` in name order, skipping ignored paths; `visit` returns
 * whether to descend into a directory. A directory that is ignored is still walked when
 * `!` patterns might bring back something below it.
 */
export function walk(context: BuildContext, rel: string, visit: (path: string, isDir: boolean) => boolean): void {
  const dir = rel === '' ? context.root : join(context.root, rel);
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const isDir = entry.isDirectory();
    if (context.ignore.ignores(path)) {
      if (isDir && context.ignore.hasExclusions) walk(context, path, visit);
      continue;
    }
    if (visit(path, isDir) && isDir) walk(context, path, visit);
  }
}

/** Go's filepath.Match over a whole relative path: * and ? stay within one name. */
export function globRegex(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else if (ch === '\\' && i + 1 < pattern.length) out += escapeRegex(pattern[++i]!);
    else if (ch === '[') {
      let end = i + 1;
      if (pattern[end] === '^' || pattern[end] === '!') end++;
      if (pattern[end] === ']') end++;
      while (end < pattern.length && pattern[end] !== ']') end++;
      if (end >= pattern.length) throw new RuntimeError(`syntax error in pattern ${JSON.stringify(pattern)}`);
      let body = pattern.slice(i + 1, end);
      const negate = body.startsWith('^') || body.startsWith('!');
      if (negate) body = body.slice(1);
      out += negate ? `[^/${body.replace(/[\\\]]/g, '\\$&')}]` : `[${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else out += escapeRegex(ch);
  }
  return new RegExp(`${out}$`, 's');
}

function escapeRegex(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
