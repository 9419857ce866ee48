/**
 * `ts-runc container cp [-a] [-L] CONTAINER:SRC DEST|-` and `… SRC|- CONTAINER:DEST`:
 * docker cp's rules for where things land (docs.docker.com/reference/cli/docker/container/cp):
 *
 *   SRC a file:  DEST missing → written as DEST (its parent must exist; "DEST/" must exist);
 *                DEST a file → overwritten; DEST a directory → DEST/<basename of SRC>
 *   SRC a dir:   DEST missing → made, with SRC's contents; DEST a file → error;
 *                DEST a directory → DEST/<basename of SRC>, or SRC's contents with "SRC/."
 *   "-"          a tar stream on stdin (extracted into the directory DEST) or stdout (SRC as a tar)
 *
 * -L follows a symlink that SRC names; otherwise a symlink is copied as a link. -a keeps
 * the archive's uid/gid; without it files copied into a container belong to its root, and
 * files copied out to whoever runs ts-runc. The work is src/engine/cp/archive.ts.
 */
import { closeSync, constants, openSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { RuntimeError, errorCode } from '../../errors.js';
import { archiveGet, archivePut, archiveStat } from '../../engine/cp/archive.js';
import { extractInto } from '../../engine/cp/extract.js';
import { locate, lstatIn } from '../../engine/cp/in-root.js';
import { packPath } from '../../engine/cp/pack.js';
import { isDirMode, pathStat, type PathStat } from '../../engine/cp/stat.js';
import { bool, parseFlags, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';

const FLAGS: FlagSpec[] = [
  { name: 'archive', short: 'a', type: 'bool', help: 'keep the uid/gid of the files copied' },
  { name: 'follow-link', short: 'L', type: 'bool', help: 'follow a symlink that SRC names' },
];

interface Place {
  container?: string;
  path: string;
}

/** "web:/etc/x" names a container path; a path with "/" before any ":" (or "-") is local, as docker's splitCpArg. */
function place(arg: string): Place {
  if (arg === '-' || arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) || '/' };
}

/** Where to extract and under which top name, by docker's rules above. */
function destination(src: PathStat, srcPath: string, dstPath: string, dst: PathStat | undefined): { dir: string; as: string } {
  const srcIsDir = isDirMode(src.mode);
  const contentsOnly = srcIsDir && /(^|\/)\.$/.test(srcPath);
  if (dst && isDirMode(dst.mode)) return { dir: dstPath, as: contentsOnly || src.name === '/' ? '.' : src.name };
  if (dst) {
    if (srcIsDir) throw new RuntimeError(`cannot copy a directory to a file: ${dstPath}`);
    return { dir: dirname(dstPath), as: basename(dstPath) };
  }
  if (dstPath.endsWith('/') && !srcIsDir) throw new RuntimeError(`destination directory ${dstPath} must exist`);
  const trimmed = dstPath.replace(/(.)\/+$/, '$1');
  return { dir: dirname(trimmed), as: basename(trimmed) };
}

function localStat(path: string): PathStat | undefined {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  return pathStat(basename(path) || '/', st);
}

async function fromContainer(storage: string, src: Place & { container: string }, dest: string, archive: boolean, follow: boolean): Promise<void> {
  if (dest === '-') {
    await archiveGet(storage, src.container, src.path, process.stdout, { followLink: follow });
    return;
  }
  const stat = await archiveStat(storage, src.container, src.path);
  const target = resolve(dest);
  const plan = destination(follow && stat.linkTarget ? { ...stat, mode: (await archiveStat(storage, src.container, stat.linkTarget)).mode } : stat, src.path, dest.endsWith('/') ? `${target}/` : target, localStat(target));
  const parent = localStat(plan.dir);
  if (!parent || !isDirMode(parent.mode)) throw new RuntimeError(`${plan.dir}: no such directory`);
  const dirFd = openSync(plan.dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const pass = new PassThrough();
    const getting = archiveGet(storage, src.container, src.path, pass, { followLink: follow, as: plan.as })
      .then(() => pass.end(), (error: unknown) => {
        pass.destroy(error as Error);
        throw error;
      });
    // the destination directory is this extraction's root: nothing in the archive leaves it
    const extracting = extractInto(dirFd, '/', pass, { noOverwriteDirNonDir: true, owner: archive ? 'archive' : 'none' }, `copy to ${dest}`);
    await Promise.all([getting, extracting]);
  } finally {
    closeSync(dirFd);
  }
}

async function toContainer(storage: string, source: string, dst: Place & { container: string }, archive: boolean, follow: boolean): Promise<void> {
  const options = { noOverwriteDirNonDir: true, copyUIDGID: archive };
  if (source === '-') {
    await archivePut(storage, dst.container, dst.path, process.stdin, options);
    return;
  }
  const local = resolve(source);
  const hostRoot = openSync('/', constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    const { dirFd, name } = locate(hostRoot, local, follow, `copy ${source}`);
    try {
      const st = lstatIn(dirFd, name);
      if (!st) throw new RuntimeError(`${source}: no such file or directory`, { code: 'ENOENT' });
      const srcStat = pathStat(name, st);
      let dstStat: PathStat | undefined;
      try {
        dstStat = await archiveStat(storage, dst.container, dst.path);
        if (dstStat.linkTarget) dstStat = await archiveStat(storage, dst.container, dstStat.linkTarget);
      } catch (error) {
        if (!(error instanceof RuntimeError) || error.code !== 'ENOENT') throw error;
      }
      const plan = destination(srcStat, source, dst.path, dstStat);
      const { pack: makePack } = await import('tar-stream');
      const pack = makePack();
      const stream = new PassThrough();
      pack.pipe(stream);
      pack.on('error', (error: Error) => stream.destroy(error)); // reported through the promises below
      const putting = archivePut(storage, dst.container, plan.dir, stream, options);
      // a refused destination ends the copy: stop packing, and report it (not as unhandled)
      putting.catch((error: unknown) => pack.destroy(error as Error));
      try {
        await packPath(dirFd, name, plan.as, pack, `copy ${source}`);
        pack.finalize();
      } catch (error) {
        pack.destroy(error as Error);
        await putting; // its error, if it failed first, says why
        throw error;
      }
      await putting;
    } finally {
      closeSync(dirFd);
    }
  } finally {
    closeSync(hostRoot);
  }
}

export const command: Command = {
  synopsis: '[options] CONTAINER:SRC_PATH DEST_PATH|- | SRC_PATH|- CONTAINER:DEST_PATH',
  summary: 'copy files between a container and the host (a tar stream with -)',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'container cp');
    if (parsed.positionals.length !== 2) throw new RuntimeError(`container cp: expected 2 arguments, got ${parsed.positionals.length} (ts-runc container cp ${command.synopsis})`);
    const [from, to] = parsed.positionals.map(place) as [Place, Place];
    const archive = bool(parsed, 'archive');
    const follow = bool(parsed, 'follow-link');
    if (from.container !== undefined && to.container !== undefined) throw new RuntimeError('container cp: copying between containers is not supported (docker neither)');
    if (from.container !== undefined) await fromContainer(globals.storage, { ...from, container: from.container }, to.path, archive, follow);
    else if (to.container !== undefined) await toContainer(globals.storage, from.path, { ...to, container: to.container }, archive, follow);
    else throw new RuntimeError('container cp: one of the two paths must name a container (CONTAINER:PATH)');
    return 0;
  },
};
