/**
 * BlobStore.sweepAbandoned: the half-written downloads of a writer that is gone (killed -9
 * mid-pull) are deleted; those of live writers, this process included, are left alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../src/image/blob-store.js';

describe('BlobStore.sweepAbandoned', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('deletes only the temporary files of writers that no longer exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-runc-blobs-'));
    dirs.push(dir);
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    // a pid that surely ended: a child we ran and reaped
    const dead = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout.trim();
    const files = { dead: `${dead}-aaaaaaaaaaaa`, self: `${process.pid}-bbbbbbbbbbbb`, parent: `${process.ppid}-cccccccccccc`, odd: 'not-a-pid' };
    for (const f of Object.values(files)) writeFileSync(join(tmp, f), 'partial');
    new BlobStore(dir).sweepAbandoned();
    expect(existsSync(join(tmp, files.dead))).toBe(false);
    expect(existsSync(join(tmp, files.self))).toBe(true);
    expect(existsSync(join(tmp, files.parent))).toBe(true);
    expect(existsSync(join(tmp, files.odd))).toBe(true);
  });

  it('does nothing when there is no tmp directory yet', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-runc-blobs-'));
    dirs.push(dir);
    expect(() => new BlobStore(dir).sweepAbandoned()).not.toThrow();
  });
});
