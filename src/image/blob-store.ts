/**
 * Content-addressed blobs: <images>/blobs/sha256/<hex>, the file named by the sha256 of its
 * bytes (image-spec descriptor.md "digests"). A blob is hashed WHILE it streams into a
 * temporary file beside the store and renamed into place only if digest and size match, so
 * a blob file that exists is always complete and correct, and two writers of the same blob
 * simply both rename identical content.
 */
import { crypto } from '../crypto.js';
import { createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';

const DIGEST = /^sha256:([a-f0-9]{64})$/;

/** "sha256:<hex>" → "<hex>"; anything else is an error (it would become a path). */
export function digestHex(digest: string): string {
  const match = DIGEST.exec(digest);
  if (!match) throw new RuntimeError(`invalid digest ${JSON.stringify(digest)}: expected sha256:<64 hex digits>`);
  return match[1]!;
}

export class BlobStore {
  readonly dir: string;

  /** `dir` is <storage>/images/blobs */
  constructor(dir: string) {
    this.dir = dir;
  }

  path(digest: string): string {
    return join(this.dir, 'sha256', digestHex(digest));
  }

  has(digest: string): boolean {
    return existsSync(this.path(digest));
  }

  size(digest: string): number {
    return statSync(this.path(digest)).size;
  }

  /** Streams `data` in, hashing as it goes; with `expect`, a different digest or size is an error and stores nothing. */
  async put(data: NodeJS.ReadableStream | Buffer, expect: { digest?: string; size?: number } = {}): Promise<{ digest: string; size: number; existed: boolean }> {
    if (expect.digest !== undefined) digestHex(expect.digest);
    // Owner-only, like /var/lib/docker (CVE-2021-41091): the unpacked layers beside the
    // blobs hold the images' setuid binaries and device nodes, which host users must not reach.
    mkdirSync(join(this.dir, 'sha256'), { recursive: true, mode: 0o700 });
    mkdirSync(join(this.dir, 'tmp'), { recursive: true, mode: 0o700 });
    const tmp = join(this.dir, 'tmp', `${process.pid}-${crypto().randomBytes(6).toString('hex')}`);
    const hash = crypto().createHash('sha256');
    let size = 0;
    const file = await open(tmp, 'wx', 0o644);
    try {
      const source = Buffer.isBuffer(data) ? [data] : (data as AsyncIterable<Buffer | string>);
      for await (const chunk of source) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(bytes);
        size += bytes.length;
        if (expect.size !== undefined && size > expect.size) throw new RuntimeError(`blob ${expect.digest ?? ''}: more than the expected ${expect.size} bytes`);
        await file.write(bytes);
      }
      await file.close();
      const digest = `sha256:${hash.digest('hex')}`;
      if (expect.size !== undefined && size !== expect.size) throw new RuntimeError(`blob ${expect.digest ?? digest}: got ${size} bytes, expected ${expect.size} (truncated?)`);
      if (expect.digest !== undefined && digest !== expect.digest) throw new RuntimeError(`blob ${expect.digest}: the content's digest is ${digest} (corrupt or tampered with)`);
      const existed = existsSync(this.path(digest));
      renameSync(tmp, this.path(digest));
      return { digest, size, existed };
    } catch (error) {
      await file.close().catch(() => undefined);
      rmSync(tmp, { force: true });
      throw error;
    }
  }

  /**
   * Deletes the temporary files of writers that are gone: a process killed mid-download
   * (SIGKILL, so no catch ran) leaves its blobs/tmp/<pid>-<random> behind, which no image
   * lists and nothing else would ever remove. A live writer's file is left alone
   * (kill(2) with signal 0: ESRCH means no such process).
   */
  sweepAbandoned(): void {
    const tmp = join(this.dir, 'tmp');
    let entries: string[];
    try {
      entries = readdirSync(tmp);
    } catch {
      return;
    }
    for (const entry of entries) {
      const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
      if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
      rmSync(join(tmp, entry), { force: true });
    }
  }

  readJson<T>(digest: string): T {
    const path = this.path(digest);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw new RuntimeError(`blob ${digest} is not in the store (${path})`);
    }
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new RuntimeError(`blob ${digest} is not valid JSON: ${(error as Error).message}`);
    }
  }

  open(digest: string): NodeJS.ReadableStream {
    if (!this.has(digest)) throw new RuntimeError(`blob ${digest} is not in the store`);
    return createReadStream(this.path(digest));
  }

  remove(digest: string): void {
    rmSync(this.path(digest), { force: true });
  }
}

/** The digest and size of bytes in memory (manifests, configs) as a descriptor needs them. */
export function digestOf(bytes: Buffer): string {
  return `sha256:${crypto().createHash('sha256').update(bytes).digest('hex')}`;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
