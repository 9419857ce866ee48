/**
 * What ADD does beyond COPY (Dockerfile reference, "ADD"):
 *
 *  - a local tar archive (plain, gzip, bzip2, xz or zstd, told by its first bytes, not its
 *    name) is EXTRACTED into the destination, its owners and modes kept, rather than copied;
 *    anything that does not read as a tar is copied as a file. gzip and zstd are undone by
 *    Node's zlib; bzip2 and xz, which Node lacks, by the system's `bzip2 -dc` / `xz -dc`
 *    (Debian's bzip2 and xz-utils), fed the file and writing a plain tar;
 *  - a URL is downloaded with fetch (never extracted), into a file of mode 0600 whose
 *    mtime is the response's Last-Modified; its name is the URL's last path segment when
 *    the destination ends in "/".
 *
 * The archive is unpacked with the layer unpacker (src/image/unpack.ts), whose hostile-tar
 * rules apply; a tar holding whiteout entries (.wh.*) is refused, since that unpacker
 * would read them as deletions.
 */
import { spawn } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, lstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RuntimeError, errorMessage } from '../../errors.js';
import { lgetxattr } from '../../sys/libc.js';

export type ArchiveKind = 'tar' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

/** The archive a local ADD source is, from its first bytes; undefined: copy it as a file. */
export async function archiveKind(file: string): Promise<ArchiveKind | undefined> {
  if (!lstatSync(file).isFile()) return undefined;
  const head = readHead(file, 512);
  let kind: ArchiveKind;
  if (head[0] === 0x1f && head[1] === 0x8b) kind = 'gzip';
  else if (head.subarray(0, 3).toString('latin1') === 'BZh') kind = 'bzip2';
  else if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) kind = 'xz';
  else if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) kind = 'zstd';
  else return isTarHeader(head) ? 'tar' : undefined;
  // Compressed: an archive only if what it holds starts with a tar header.
  const inner = await decompressedHead(file, kind);
  return isTarHeader(inner) ? kind : undefined;
}

function readHead(file: string, size: number): Buffer {
  const head = Buffer.alloc(size);
  const fd = openSync(file, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, size, 0));
  } finally {
    closeSync(fd);
  }
}

/** A tar header: "ustar" magic, or an old-style header whose checksum adds up. */
function isTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  if (block.subarray(257, 262).toString('latin1') === 'ustar') return true;
  const stored = parseInt(block.subarray(148, 156).toString('latin1').replace(/[\0 ]+$/, '').trim(), 8);
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored && block[0] !== 0;
}

function decompress(file: string, kind: ArchiveKind): Readable {
  if (kind === 'bzip2' || kind === 'xz') {
    const input = openSync(file, 'r');
    const child = spawn(kind === 'xz' ? 'xz' : 'bzip2', ['-dc'], { stdio: [input, 'pipe', 'pipe'] });
    closeSync(input);
    const stdout = child.stdout!;
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', (error) => stdout.destroy(new RuntimeError(`ADD: cannot run ${kind === 'xz' ? 'xz' : 'bzip2'} to decompress ${file} (install ${kind === 'xz' ? 'xz-utils' : 'bzip2'}): ${error.message}`)));
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) stdout.destroy(new RuntimeError(`ADD: decompressing ${file}: ${stderr.trim() || `exit status ${code}`}`));
    });
    return stdout;
  }
  return createReadStream(file);
}

async function decompressedHead(file: string, kind: ArchiveKind): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const stream = kind === 'gzip' || kind === 'zstd' ? await zlibStream(file, kind) : decompress(file, kind);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= 512) break;
    }
  } catch {
    return Buffer.alloc(0); // not a valid stream of that kind: not an archive
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, 512);
}

async function zlibStream(file: string, kind: 'gzip' | 'zstd'): Promise<Readable> {
  const zlib = await import('node:zlib');
  const source = createReadStream(file);
  const transform = kind === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
  source.on('error', (error) => transform.destroy(error));
  return source.pipe(transform);
}

/** Unpacks the archive `file` into `dir` (which must not exist) and checks it holds no whiteouts. */
export async function extractArchive(file: string, kind: ArchiveKind, dir: string, tmpTar: string): Promise<void> {
  let tar = file;
  if (kind === 'bzip2' || kind === 'xz') {
    await pipeline(decompress(file, kind), createWriteStream(tmpTar, { mode: 0o600 }));
    tar = tmpTar;
  }
  const { unpackLayer } = await import('../../image/unpack.js');
  await unpackLayer(tar, dir, `ADD ${posix.basename(file)}`);
  const whiteout = findWhiteout(dir, '');
  if (whiteout !== undefined) throw new RuntimeError(`ADD ${posix.basename(file)}: the archive holds a whiteout entry (${whiteout}), which ts-runc does not extract`);
}

function findWhiteout(root: string, rel: string): string | undefined {
  const dir = rel === '' ? root : join(root, rel);
  if (lgetxattr(dir, 'trusted.overlay.opaque') !== undefined) return `${rel}/.wh..wh..opq`;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isCharacterDevice() && lstatSync(join(root, path)).rdev === 0) return `.wh.${path}`;
    if (entry.isDirectory()) {
      const found = findWhiteout(root, path);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** Downloads `url` into `file`; returns its Last-Modified time and the name the URL gives it. */
export async function download(url: string, file: string): Promise<{ mtime?: Date; name: string }> {
  let response: Response;
  try {
    response = await fetch(url, { redirect: 'follow' });
  } catch (error) {
    throw new RuntimeError(`ADD ${url}: ${errorMessage((error as { cause?: unknown }).cause ?? error)}`);
  }
  if (!response.ok || !response.body) throw new RuntimeError(`ADD ${url}: the server answered ${response.status} ${response.statusText}`);
  await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>), createWriteStream(file, { mode: 0o600 }));
  const modified = response.headers.get('last-modified');
  const mtime = modified ? new Date(modified) : undefined;
  const name = posix.basename(new URL(url).pathname);
  return { ...(mtime && !Number.isNaN(mtime.getTime()) ? { mtime } : {}), name };
}
