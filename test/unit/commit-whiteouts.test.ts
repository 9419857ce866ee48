/**
 * commit's layer tar from a crafted overlayfs upper layer: overlay whiteouts (0/0 char
 * devices) and opaque directories become OCI whiteouts, overlay's own xattrs stay out.
 * Needs root: mknod(2) of a character device and trusted.* xattrs (CAP_MKNOD, CAP_SYS_ADMIN).
 */
import { createHash } from 'node:crypto';
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeLayerTar } from '../../src/image/commit.js';
import { unpackLayer } from '../../src/image/unpack.js';
import { lgetxattr, lsetxattr, mknod } from '../../src/sys/libc.js';

const isRoot = process.getuid?.() === 0;
const S_IFCHR = 0o020000;

interface Listed { name: string; type: string; size: number; linkname?: string; pax?: Record<string, string> }

async function list(file: string): Promise<Listed[]> {
  const { extract } = await import('tar-stream');
  const entries: Listed[] = [];
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    entries.push({ name: header.name, type: header.type, size: header.size, ...(header.linkname ? { linkname: header.linkname } : {}), ...(header.pax ? { pax: header.pax as Record<string, string> } : {}) });
    stream.on('end', next);
    stream.resume();
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    ex.end(readFileSync(file));
  });
  return entries;
}

describe.skipIf(!isRoot)('an upper layer as an OCI layer', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('turns whiteouts and opaque dirs into .wh. entries and keeps files, links and user xattrs', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-commit-'));
    const upper = join(dir, 'upper');
    mkdirSync(join(upper, 'etc'), { recursive: true });
    writeFileSync(join(upper, 'etc', 'new'), 'new\n');
    mknod(join(upper, 'etc', 'gone'), S_IFCHR | 0o000, 0);
    mkdirSync(join(upper, 'opaque'));
    lsetxattr(join(upper, 'opaque'), 'trusted.overlay.opaque', Buffer.from('y'));
    lsetxattr(join(upper, 'etc'), 'trusted.overlay.origin', Buffer.from([0, 1, 2, 0xff]));
    writeFileSync(join(upper, 'opaque', 'keep'), 'kept');
    writeFileSync(join(upper, 'a'), 'same inode');
    linkSync(join(upper, 'a'), join(upper, 'b'));
    symlinkSync('/etc/new', join(upper, 'link'));
    lsetxattr(join(upper, 'a'), 'user.note', Buffer.from('hello'));

    const tar = join(dir, 'layer.tar');
    const diffId = await writeLayerTar(upper, tar);
    expect(diffId).toBe(`sha256:${createHash('sha256').update(readFileSync(tar)).digest('hex')}`);
    expect(await list(tar)).toEqual([
      { name: 'a', type: 'file', size: 10, pax: { path: 'a', 'SCHILY.xattr.user.note': 'hello' } },
      { name: 'b', type: 'link', size: 0, linkname: 'a' },
      { name: 'etc/', type: 'directory', size: 0 },
      { name: 'etc/.wh.gone', type: 'file', size: 0 },
      { name: 'etc/new', type: 'file', size: 4 },
      { name: 'link', type: 'symlink', size: 0, linkname: '/etc/new' },
      { name: 'opaque/', type: 'directory', size: 0 },
      { name: 'opaque/.wh..wh..opq', type: 'file', size: 0 },
      { name: 'opaque/keep', type: 'file', size: 4 },
    ]);
    // The same tree gives the same bytes, hence the same layer digest.
    expect(await writeLayerTar(upper, join(dir, 'again.tar'))).toBe(diffId);
  });

  it('keeps binary xattr values (a file capability) byte for byte, through the layer and back', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-commit-'));
    const upper = join(dir, 'upper');
    mkdirSync(upper);
    writeFileSync(join(upper, 'ping'), 'x');
    // security.capability of `setcap cap_net_raw+ep`: a vfs_cap_data struct, with 0x00, 0x0a and bytes over 0x7f
    const capability = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const odd = Buffer.from([0x00, 0x0a, 0x80, 0xff, 0x3d, 0x20]);
    lsetxattr(join(upper, 'ping'), 'security.capability', capability);
    lsetxattr(join(upper, 'ping'), 'user.odd', odd);
    const tar = join(dir, 'layer.tar');
    await writeLayerTar(upper, tar);
    const dest = join(dir, 'unpacked');
    await unpackLayer(tar, dest, 'commit test');
    expect(lgetxattr(join(dest, 'ping'), 'security.capability')).toEqual(capability);
    expect(lgetxattr(join(dest, 'ping'), 'user.odd')).toEqual(odd);
  });

  it('refuses a file whose name would read as a whiteout', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-commit-'));
    mkdirSync(join(dir, 'upper'));
    writeFileSync(join(dir, 'upper', '.wh.sneaky'), '');
    await expect(writeLayerTar(join(dir, 'upper'), join(dir, 'l.tar'))).rejects.toThrow('would read as a whiteout');
  });
});
