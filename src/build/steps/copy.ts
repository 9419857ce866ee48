/**
 * COPY and ADD, as the Dockerfile reference describes them:
 *
 *  - sources are paths in the build context (or, with COPY --from, in another stage's or
 *    image's file system), wildcards allowed; a directory source copies its CONTENTS;
 *  - the destination is relative to WORKDIR unless absolute; with several sources it must
 *    end in "/"; a file goes to dest/name when dest ends in "/" or is a directory, else to
 *    dest itself; missing parent directories are created;
 *  - files get uid/gid 0 unless --chown=user[:group] (names from the image's /etc/passwd
 *    and /etc/group; a user alone means gid = uid), their modes kept unless --chmod;
 *    files from another stage or image (--from) keep their owners unless --chown;
 *  - ADD also extracts local archives and downloads URLs (add-sources.ts).
 *
 * The step is planned first (sources found, a checksum of their contents computed: the
 * history's "COPY file:<sha256> in /dest" text and the cache key), so that a cached step
 * does no copying at all.
 */
import { lstatSync, mkdirSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { RuntimeError } from '../../errors.js';
import { readEtcFiles, resolveInRoot, parsePasswd, parseGroup } from '../../image/users.js';
import { sourcesChecksum } from '../context/checksum.js';
import { resolveSources, type BuildContext, type SourcePath } from '../context/context.js';
import { IgnoreMatcher } from '../context/dockerignore.js';
import { archiveKind, download, extractArchive, isUrl, type ArchiveKind } from './add-sources.js';
import { copyInto, ensureDirInRoot, writeNewFile } from './copy-files.js';

export interface CopyRequest {
  kind: 'COPY' | 'ADD';
  /** expanded source words and destination */
  sources: string[];
  dest: string;
  chown?: string;
  chmod?: string;
  /** the stage's WorkingDir */
  workdir: string;
  /** the build context, or the root of the --from image mounted */
  from: { context: BuildContext } | { rootfs: string; id: string };
  /** a scratch directory of this step (downloads, extracted archives) */
  scratch: string;
}

export interface CopyPlan {
  /** Docker's history text: "COPY file:<hex> in /dest " */
  createdBy: string;
  /** the part of the cache key beyond the parent and createdBy */
  keyExtra: string;
  apply(rootfs: string): Promise<void>;
}

interface Source {
  path: SourcePath;
  /** ADD of a local archive */
  archive?: ArchiveKind;
  /** ADD of a URL: the downloaded file */
  url?: { url: string; name: string; mtime?: Date };
}

export async function planCopy(request: CopyRequest): Promise<CopyPlan> {
  const { kind } = request;
  const context: BuildContext = 'context' in request.from ? request.from.context : { root: request.from.rootfs, ignore: new IgnoreMatcher([]), dockerfile: { name: '', text: '' } };
  const chmod = parseChmod(request.chmod, kind);
  const sources: Source[] = [];
  mkdirSync(request.scratch, { recursive: true, mode: 0o700 });
  let downloads = 0;
  for (const word of request.sources) {
    if (isUrl(word)) {
      if (kind === 'COPY') throw new RuntimeError(`COPY ${word}: COPY takes no URLs; use ADD (or curl in a RUN step)`);
      const file = join(request.scratch, `download-${downloads++}`);
      const got = await download(word, file);
      sources.push({ path: { rel: '', host: file }, url: { url: word, ...got } });
      continue;
    }
    for (const path of resolveSources(context, [word], kind)) {
      const archive = kind === 'ADD' && 'context' in request.from ? await archiveKind(path.host) : undefined;
      sources.push({ path, ...(archive ? { archive } : {}) });
    }
  }
  let dest = request.dest;
  if (!dest.startsWith('/')) dest = posix.join(request.workdir || '/', dest) + (dest.endsWith('/') || dest === '.' ? '/' : '');
  const toDir = dest.endsWith('/');
  if (sources.length > 1 && !toDir) throw new RuntimeError(`When using ${kind} with more than one source file, the destination must be a directory and end with a /`);

  const checksum = sourcesChecksum('context' in request.from ? context : undefined, sources.map((s) => s.path));
  const from = 'id' in request.from ? request.from.id : 'context';
  return {
    createdBy: `${kind} ${checksum} in ${request.dest} `,
    keyExtra: JSON.stringify({ from, chown: request.chown ?? '', chmod: request.chmod ?? '', urls: sources.map((s) => s.url?.url ?? '') }),
    async apply(rootfs) {
      const owner = parseChown(request.chown, rootfs, kind);
      // The classic builder keeps the owners of files taken from another stage or image
      // unless --chown says otherwise (moby dispatchCopy: preserveOwnership).
      const fileOwner = 'id' in request.from && request.chown === undefined ? undefined : owner;
      const ignore = 'context' in request.from ? context.ignore : undefined;
      const skip = ignore ? (rel: string) => ignore.ignores(rel) : undefined;
      const links = new Map<string, string>();
      for (const source of sources) {
        const stats = lstatSync(source.path.host);
        if (stats.isDirectory() || source.archive) {
          const target = ensureDirInRoot(rootfs, dest, owner);
          if (source.archive) {
            const extracted = join(request.scratch, `archive-${sources.indexOf(source)}`);
            await extractArchive(source.path.host, source.archive, extracted, `${extracted}.tar`);
            copyInto(extracted, target, '', { ...(chmod !== undefined ? { chmod } : {}), links });
          } else {
            copyInto(source.path.host, target, source.path.rel, { ...(fileOwner ? { owner: fileOwner } : {}), ...(chmod !== undefined ? { chmod } : {}), ...(skip ? { skip } : {}), links });
          }
          continue;
        }
        const name = source.url ? source.url.name : posix.basename(source.path.rel || source.path.host);
        let file = resolveInRoot(rootfs, dest);
        if (toDir || isDirectory(file)) {
          if (source.url && name === '') throw new RuntimeError(`ADD ${source.url.url}: cannot tell a file name from the URL; give the destination file's path`);
          file = join(ensureDirInRoot(rootfs, dest, owner), name);
        } else {
          ensureDirInRoot(rootfs, `/${relative(rootfs, dirname(file))}`, owner);
        }
        if (source.url) {
          const data = readFileSync(source.path.host);
          writeNewFile(file, (fd) => writeAll(fd, data), owner, chmod ?? 0o600, source.url.mtime);
        } else {
          copyInto(source.path.host, file, source.path.rel, { ...(fileOwner ? { owner: fileOwner } : {}), ...(chmod !== undefined ? { chmod } : {}), links });
        }
      }
    },
  };
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

function writeAll(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** --chmod=0755 (octal). */
function parseChmod(text: string | undefined, kind: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[0-7]{1,4}$/.test(text)) throw new RuntimeError(`${kind} --chmod=${text}: expected an octal mode such as 755 or 0644`);
  return parseInt(text, 8);
}

/**
 * --chown=user[:group] against the image's /etc/passwd and /etc/group (Docker's
 * parseChownFlag): names or numbers; without a group, the gid is the uid.
 */
export function parseChown(text: string | undefined, rootfs: string, kind: string): { uid: number; gid: number } {
  if (text === undefined || text === '') return { uid: 0, gid: 0 };
  const [user = '', group, ...rest] = text.split(':');
  if (rest.length > 0 || user === '') throw new RuntimeError(`${kind} --chown=${text}: expected user[:group]`);
  const etc = readEtcFiles(rootfs);
  const lookupUser = (name: string): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const entry = parsePasswd(etc.passwd ?? '').find((e) => e.name === name);
    if (!entry) throw new RuntimeError(`${kind} --chown=${text}: unable to find user ${name}: ${etc.passwd === undefined ? 'the image has no /etc/passwd' : 'no matching entries in passwd file'}`);
    return entry.uid;
  };
  const lookupGroup = (name: string): number => {
    if (/^\d+$/.test(name)) return Number(name);
    const entry = parseGroup(etc.group ?? '').find((e) => e.name === name);
    if (!entry) throw new RuntimeError(`${kind} --chown=${text}: unable to find group ${name}: ${etc.group === undefined ? 'the image has no /etc/group' : 'no matching entries in group file'}`);
    return entry.gid;
  };
  const uid = lookupUser(user);
  return { uid, gid: group === undefined || group === '' ? uid : lookupGroup(group) };
}
