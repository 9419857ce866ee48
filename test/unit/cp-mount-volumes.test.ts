/**
 * `container cp` of a stopped container mounts its volumes on a temporary root
 * (src/engine/cp/container-root.ts, mountVolumes). A volume shared with a running container
 * can change under it: here, between finding the mount point and mount(2), /data/sub is
 * swapped for a symlink to a directory outside the root (the race of runc's CVE-2021-30465).
 * The mount must still land on the directory that was found, never where the link points.
 * mount(2) is replaced by a double that makes the swap and records where its target leads.
 */
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const landed: string[] = [];
let swap: (() => void) | undefined;

vi.mock('../../src/sys/libc.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/sys/libc.js')>();
  return {
    ...original,
    mount: (_source: string, target: string) => {
      swap?.();
      landed.push(realpathSync(target));
    },
  };
});

const { mountVolumes } = await import('../../src/engine/cp/container-root.js');

describe('mountVolumes (cp of a stopped container)', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    landed.length = 0;
    swap = undefined;
  });

  it('mounts on the directory it found, even if a path component becomes a symlink out of the root before mount(2)', () => {
    const base = mkdtempSync(join(tmpdir(), 'ts-runc-cp-mounts-'));
    dirs.push(base);
    const root = join(base, 'root');
    const outside = join(base, 'host-dir');
    const source = join(base, 'volume');
    mkdirSync(join(root, 'data', 'sub'), { recursive: true });
    mkdirSync(outside);
    mkdirSync(source);
    swap = () => {
      renameSync(join(root, 'data', 'sub'), join(root, 'data', 'moved'));
      symlinkSync(outside, join(root, 'data', 'sub'));
    };
    mountVolumes({ Id: 'x'.repeat(64), Mounts: [{ Type: 'bind', Source: source, Destination: '/data/sub', Mode: '', RW: true, Propagation: 'rprivate' }] }, root);
    expect(landed).toEqual([realpathSync(join(root, 'data', 'moved'))]);
  });

  it('resolves a symlink on the way inside the root, and skips a mount point that does not exist', () => {
    const base = mkdtempSync(join(tmpdir(), 'ts-runc-cp-mounts-'));
    dirs.push(base);
    const root = join(base, 'root');
    const source = join(base, 'volume');
    mkdirSync(join(root, 'real'), { recursive: true });
    mkdirSync(join(base, 'real')); // where an absolute link would lead on the host
    mkdirSync(source);
    symlinkSync('/real', join(root, 'link'));
    mountVolumes({ Id: 'x'.repeat(64), Mounts: [
      { Type: 'bind', Source: source, Destination: '/link', Mode: '', RW: true, Propagation: 'rprivate' },
      { Type: 'bind', Source: source, Destination: '/missing', Mode: '', RW: true, Propagation: 'rprivate' },
    ] }, root);
    expect(landed).toEqual([realpathSync(join(root, 'real'))]);
  });
});
