/**
 * Layer unpacking on tars crafted here with tar-stream: content, metadata, OCI whiteouts,
 * compression, and the attacks a malicious layer would try (path traversal, symlinked
 * parents, hardlinks out of the layer, truncated streams).
 * Needs root: lchown, mknod(2) of devices and whiteouts, trusted.* xattrs.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdCompressSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { pack, type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { unpackLayer } from '../../src/image/unpack.js';
import { lgetxattr } from '../../src/sys/libc.js';

const isRoot = process.getuid?.() === 0;
/** Entries owned by whoever runs the test: the refusals below then need no root (no chown to others). */
const OWN_UID = process.getuid?.() ?? 0;
const OWN_GID = process.getgid?.() ?? 0;

type Entry = Partial<Header> & { name: string; content?: string | Buffer; pax?: Record<string, string> };

/** A tar with these entries, in this order. */
async function makeTar(entries: Entry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of tar as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const { content, ...header } of entries) {
    await new Promise<void>((resolve, reject) => tar.entry({ mode: 0o644, mtime: new Date(1_600_000_000_000), uid: OWN_UID, gid: OWN_GID, ...header }, content ?? '', (e) => (e ? reject(e) : resolve())));
  }
  tar.finalize();
  await reading;
  return Buffer.concat(chunks);
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-runc-unpack-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function unpack(bytes: Buffer) {
  const file = join(dir, 'layer.blob');
  writeFileSync(file, bytes);
  const dest = join(dir, 'layer');
  const result = await unpackLayer(file, dest, 'layer test');
  return { dest, result };
}

async function unpackFails(bytes: Buffer, message: RegExp): Promise<void> {
  const file = join(dir, 'layer.blob');
  writeFileSync(file, bytes);
  await expect(unpackLayer(file, join(dir, 'layer'), 'layer test')).rejects.toThrow(message);
  expect(existsSync(join(dir, 'layer')), 'no partial layer directory is left').toBe(false);
}

describe.skipIf(!isRoot)('unpacking a layer', () => {
  it('writes files, directories and symlinks with their owners, modes (setuid too) and mtimes, and reports the diff_id', async () => {
    const tar = await makeTar([
      { name: 'etc/', type: 'directory', mode: 0o755, mtime: new Date(1_500_000_000_000) },
      { name: 'etc/hello', content: 'hi\n', uid: 1000, gid: 1001, mode: 0o640 },
      { name: 'bin/su', content: 'x', mode: 0o4755 },
      { name: 'link', type: 'symlink', linkname: '/etc/hello' },
    ]);
    const { dest, result } = await unpack(tar);
    expect(result.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    expect(result.compression).toBe('none');
    expect(readFileSync(join(dest, 'etc/hello'), 'utf8')).toBe('hi\n');
    const hello = lstatSync(join(dest, 'etc/hello'));
    expect([hello.uid, hello.gid, hello.mode & 0o7777]).toEqual([1000, 1001, 0o640]);
    expect(lstatSync(join(dest, 'bin/su')).mode & 0o7777).toBe(0o4755);
    expect(readlinkSync(join(dest, 'link'))).toBe('/etc/hello');
    expect(lstatSync(join(dest, 'etc')).mtimeMs).toBe(1_500_000_000_000);
    expect(hello.mtimeMs).toBe(1_600_000_000_000);
  });

  it('gives every file the owner and mode of its header, whatever the umask and a setgid directory would give (fchown/fchmod are skipped only when they change nothing)', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'open', content: 'x', mode: 0o666 },
      { name: 'plain', content: 'x', mode: 0o644 },
      { name: 'shared/', type: 'directory', mode: 0o2775, gid: 1234 },
      { name: 'shared/root-file', content: 'x', uid: 0, gid: 0, mode: 0o644 },
      { name: 'shared/sub/deeper', content: 'x', uid: 0, gid: 0, mode: 0o600 },
    ]));
    const stat = (path: string) => { const st = lstatSync(join(dest, path)); return [st.uid, st.gid, st.mode & 0o7777]; };
    expect(stat('open')).toEqual([0, 0, 0o666]);
    expect(stat('plain')).toEqual([0, 0, 0o644]);
    expect(stat('shared')).toEqual([0, 1234, 0o2775]);
    expect(stat('shared/root-file')).toEqual([0, 0, 0o644]);
    expect(stat('shared/sub/deeper')).toEqual([0, 0, 0o600]);
  });

  it('makes hardlinks to files of the same layer', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'a', content: 'same' },
      { name: 'dir/b', type: 'link', linkname: 'a' },
    ]));
    expect(lstatSync(join(dest, 'dir/b')).ino).toBe(lstatSync(join(dest, 'a')).ino);
  });

  it('makes character and block devices and fifos', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660 },
      { name: 'run/fifo', type: 'fifo', mode: 0o600 },
    ]));
    const nul = lstatSync(join(dest, 'dev/null'));
    expect(nul.isCharacterDevice()).toBe(true);
    expect(nul.rdev).toBe(0x103);
    expect(nul.mode & 0o7777).toBe(0o666);
    expect(lstatSync(join(dest, 'dev/loop0')).isBlockDevice()).toBe(true);
    expect(lstatSync(join(dest, 'run/fifo')).isFIFO()).toBe(true);
  });

  it('turns .wh.<name> into an overlayfs whiteout (a 0/0 character device)', async () => {
    const { dest } = await unpack(await makeTar([{ name: 'etc/.wh.passwd', content: '' }]));
    const whiteout = lstatSync(join(dest, 'etc/passwd'));
    expect(whiteout.isCharacterDevice()).toBe(true);
    expect(whiteout.rdev).toBe(0);
    expect(existsSync(join(dest, 'etc/.wh.passwd'))).toBe(false);
  });

  it('turns .wh..wh..opq into trusted.overlay.opaque=y on its directory', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'var/cache/', type: 'directory', mode: 0o755 },
      { name: 'var/cache/.wh..wh..opq', content: '' },
      { name: 'var/cache/new', content: 'n' },
    ]));
    expect(lgetxattr(join(dest, 'var/cache'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readdirSync(join(dest, 'var/cache'))).toEqual(['new']);
  });

  it('applies a whiteout to the lower layers only: an entry of its own layer stays, and a directory re-made over a whiteout is opaque', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'keep/', type: 'directory', mode: 0o755 },
      { name: 'keep/mine', content: 'm' },
      { name: '.wh.keep', content: '' },
      { name: 'file', content: 'f' },
      { name: '.wh.file', content: '' },
      { name: '.wh.fresh', content: '' },
      { name: 'fresh/', type: 'directory', mode: 0o755 },
      { name: 'fresh/new', content: 'n' },
    ]));
    expect(readdirSync(join(dest, 'keep'))).toEqual(['mine']);
    expect(lgetxattr(join(dest, 'keep'), 'trusted.overlay.opaque')?.toString()).toBe('y');
    expect(readFileSync(join(dest, 'file'), 'utf8')).toBe('f');
    expect(lstatSync(join(dest, 'fresh')).isDirectory()).toBe(true);
    expect(lgetxattr(join(dest, 'fresh'), 'trusted.overlay.opaque')?.toString(), 'the lower fresh/ must not show through').toBe('y');
    expect(readdirSync(join(dest, 'fresh'))).toEqual(['new']);
  });

  it('skips user.* xattrs on symlinks (the kernel refuses them) instead of failing the layer', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'target', content: 't' },
      { name: 'link', type: 'symlink', linkname: 'target', pax: { 'SCHILY.xattr.user.note': 'x' } },
    ]));
    expect(readlinkSync(join(dest, 'link'))).toBe('target');
  });

  it('sets extended attributes from PAX SCHILY.xattr records, binary values byte for byte, but not trusted.overlay.*', async () => {
    const capability = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0xff, 0xfe, 0x80, 0x00]);
    const tar = await makeTar([{ name: 'bin/ping', content: 'x', mode: 0o755, pax: { 'SCHILY.xattr.user.note': 'hello', 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } }]);
    const { dest } = await unpack(tar);
    expect(lgetxattr(join(dest, 'bin/ping'), 'user.note')?.toString()).toBe('hello');
    expect(lgetxattr(join(dest, 'bin/ping'), 'trusted.overlay.redirect'), 'overlayfs attributes from the tar are dropped').toBeUndefined();
    // tar-stream writes PAX values as UTF-8, so the binary record is spliced in by hand.
    const binary = await makeTar([{ name: 'bin/ping', content: 'x', mode: 0o755, pax: { 'SCHILY.xattr.user.cap': 'Z'.repeat(capability.length) } }]);
    const at = binary.indexOf('Z'.repeat(capability.length));
    capability.copy(binary, at);
    // the header checksum covers the PAX header block, not its data, so the tar stays valid
    rmSync(dest, { recursive: true });
    const again = await unpack(binary);
    expect(lgetxattr(join(again.dest, 'bin/ping'), 'user.cap')).toEqual(capability);
  });

  it('unpacks gzip and zstd layers, with the diff_id of the uncompressed tar', async () => {
    const tar = await makeTar([{ name: 'f', content: 'compressed' }]);
    const digest = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const gz = await unpack(gzipSync(tar));
    expect(gz.result).toMatchObject({ compression: 'gzip', diffId: digest });
    expect(readFileSync(join(gz.dest, 'f'), 'utf8')).toBe('compressed');
    rmSync(gz.dest, { recursive: true });
    const zst = await unpack(zstdCompressSync(tar));
    expect(zst.result).toMatchObject({ compression: 'zstd', diffId: digest });
  });

  it('takes absolute names as relative to the layer', async () => {
    const { dest } = await unpack(await makeTar([{ name: '/abs/file', content: 'inside' }]));
    expect(readFileSync(join(dest, 'abs/file'), 'utf8')).toBe('inside');
  });

  it('lets a later entry replace a directory (with subdirectories) by a file, as tar does', async () => {
    const { dest } = await unpack(await makeTar([
      { name: 'a/', type: 'directory', mode: 0o755 },
      { name: 'a/b/', type: 'directory', mode: 0o755 },
      { name: 'a', content: 'now a file' },
    ]));
    expect(readFileSync(join(dest, 'a'), 'utf8')).toBe('now a file');
  });
});

// The attacks, end to end through the real unpack, without root: every refusal happens before
// any privileged call (the path decisions are LayerTree's, tested alone in layer-tree.test.ts).
describe('unpacking a hostile or broken layer (no root needed)', () => {
  it('refuses a name with ".." and leaves nothing', async () => {
    await unpackFails(await makeTar([{ name: 'ok', content: '1' }, { name: '../x', content: 'escape' }]), /"\.\.\/x" has a "\.\." component/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
  });

  it('refuses to write through a symlinked parent (a -> /tmp, then a/x)', async () => {
    const target = mkdtempSync(join(tmpdir(), 'ts-runc-unpack-target-'));
    try {
      await unpackFails(await makeTar([
        { name: 'a', type: 'symlink', linkname: target },
        { name: 'a/x', content: 'escape' },
      ]), /under "a", which is a symlink/);
      expect(readdirSync(target)).toEqual([]);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('refuses a hardlink to ../../etc/passwd or to a file the layer does not have', async () => {
    await unpackFails(await makeTar([{ name: 'passwd', type: 'link', linkname: '../../etc/passwd' }]), /hardlink "passwd" points at "\.\.\/\.\.\/etc\/passwd"/);
    await unpackFails(await makeTar([{ name: 'shadow', type: 'link', linkname: '/etc/shadow' }]), /not a file earlier in this layer/);
  });

  it('refuses a truncated gzip stream and leaves nothing', async () => {
    const tar = await makeTar([{ name: 'big', content: Buffer.alloc(200_000, 7) }, { name: 'after', content: 'x' }]);
    const gz = gzipSync(tar);
    await unpackFails(gz.subarray(0, gz.length - 40), /unexpected end of file|corrupt or truncated/i);
  });

  it('refuses a tar cut off in the middle of a file', async () => {
    const tar = await makeTar([{ name: 'big', content: Buffer.alloc(100_000, 7) }]);
    await unpackFails(tar.subarray(0, 50_000), /corrupt or truncated/);
  });

  it('refuses bzip2 layers by name', async () => {
    await unpackFails(Buffer.from('BZh91AY&SY...'), /bzip2-compressed layers are not supported/);
  });

  it('refuses a whiteout of ".." and leaves nothing', async () => {
    await unpackFails(await makeTar([{ name: 'ok', content: '1' }, { name: 'd/.wh...', content: '' }]), /invalid whiteout "d\/\.wh\.\.\."/);
  });
});
