/**
 * The security decisions of layer unpacking (src/image/layer-tree.ts), without root and
 * without a filesystem: hostile entry names, symlinked parents, hardlinks out of the layer,
 * whiteouts. unpack.ts performs exactly what these return (test/unit/image-unpack.test.ts
 * checks the result on disk as root).
 */
import { describe, expect, it } from 'vitest';
import { LayerTree } from '../../src/image/layer-tree.js';

/** Applies one entry's path decisions the way unpack.ts does; returns the parents it would mkdir. */
function enter(tree: LayerTree, name: string): { rel: string; parents: string[] } {
  const rel = tree.entryPath(name);
  return { rel, parents: tree.missingParents(rel, name) };
}

describe('where a tar entry lands inside the layer', () => {
  it('takes absolute names and "." components as relative to the layer', () => {
    const tree = new LayerTree('t');
    expect(tree.entryPath('/etc/passwd')).toBe('etc/passwd');
    expect(tree.entryPath('./a/./b/')).toBe('a/b');
    expect(tree.entryPath('//a//b')).toBe('a/b');
    expect(tree.entryPath('./')).toBe('');
  });

  it('refuses any ".." component, wherever it is', () => {
    const tree = new LayerTree('layer x');
    for (const name of ['..', '../etc/passwd', 'a/../../b', 'a/..', '/../x', 'a/b/../c']) {
      expect(() => tree.entryPath(name), name).toThrow(/layer x: entry .* has a "\.\." component/);
    }
    // a name merely containing dots is a name
    expect(tree.entryPath('a/..b/...')).toBe('a/..b/...');
  });

  it('makes the missing parents once, outermost first', () => {
    const tree = new LayerTree('t');
    expect(enter(tree, 'a/b/c/file').parents).toEqual(['a', 'a/b', 'a/b/c']);
    expect(enter(tree, 'a/b/other').parents).toEqual([]);
    expect(enter(tree, 'top').parents).toEqual([]);
  });

  it('refuses an entry under a symlink or file this layer made (symlink then file)', () => {
    const tree = new LayerTree('t');
    const { rel } = enter(tree, 'a');
    expect(tree.replace(rel)).toBe(false);
    tree.added(rel); // "a -> /tmp"
    expect(() => enter(tree, 'a/x')).toThrow(/under "a", which is a symlink or file/);
    expect(() => enter(tree, 'a/deep/x')).toThrow(/under "a"/);
    tree.added('f'); // a regular file
    expect(() => enter(tree, '/f/x')).toThrow(/under "f"/);
    // a whiteout is an entry too: ".wh." under a symlink is refused the same way
    expect(() => enter(tree, 'a/.wh.x')).toThrow(/under "a"/);
  });

  it('lets a later entry replace an earlier one, a directory with everything below it', () => {
    const tree = new LayerTree('t');
    enter(tree, 'd/sub/file');
    tree.added('d/sub/file');
    expect(tree.replace('d')).toBe(true); // unpack.ts removes d recursively
    expect(tree.isDirectory('d')).toBe(false);
    expect(tree.isDirectory('d/sub')).toBe(false);
    tree.added('d'); // now a file
    expect(() => enter(tree, 'd/sub/again')).toThrow(/under "d"/);
    expect(tree.replace('never-made')).toBe(false);
    expect(() => tree.replace('')).toThrow(/replace the layer's root/);
  });

  it('makes a directory once, and replaces a file by a directory', () => {
    const tree = new LayerTree('t');
    expect(tree.directory('d')).toEqual({ create: true, remove: false, opaque: false });
    expect(tree.directory('d')).toEqual({ create: false, remove: false, opaque: false });
    tree.added('f');
    expect(tree.directory('f')).toEqual({ create: true, remove: true, opaque: false });
    expect(enter(tree, 'f/x').parents).toEqual([]);
  });
});

describe('hardlinks', () => {
  it('link only to a non-directory this layer already holds', () => {
    const tree = new LayerTree('layer x');
    enter(tree, 'bin/sh');
    tree.added('bin/sh');
    expect(tree.hardlinkTarget('bin/bash', '/bin/sh', 'bin/bash')).toBe('bin/sh');
    expect(tree.hardlinkTarget('bin/bash', './bin/sh', 'bin/bash')).toBe('bin/sh');
    expect(tree.hardlinkTarget('bin/sh', 'bin/sh', 'bin/sh'), 'a link to itself is nothing to do').toBeNull();
    for (const outside of ['../../etc/passwd', 'bin/../../etc/passwd', '/etc/passwd', 'bin', '', 'bin/sh/..']) {
      expect(() => tree.hardlinkTarget('x', outside, 'x'), outside).toThrow(/layer x: hardlink "x" points at .*not a file earlier in this layer/);
    }
  });
});

describe('whiteouts', () => {
  it('.wh.<name> becomes a whiteout device at <name> in the same directory', () => {
    const tree = new LayerTree('t');
    enter(tree, 'etc/.wh.passwd');
    expect(tree.whiteout('etc/.wh.passwd', '.wh.passwd')).toEqual({ kind: 'device', path: 'etc/passwd', remove: false });
    expect(tree.whiteout('.wh.top', '.wh.top')).toEqual({ kind: 'device', path: 'top', remove: false });
  });

  it('.wh..wh..opq marks its directory opaque (the layer root too); other .wh..wh. metadata is ignored', () => {
    const tree = new LayerTree('t');
    expect(tree.whiteout('a/b/.wh..wh..opq', '.wh..wh..opq')).toEqual({ kind: 'opaque', path: 'a/b' });
    expect(tree.whiteout('.wh..wh..opq', '.wh..wh..opq')).toEqual({ kind: 'opaque', path: '' });
    expect(tree.whiteout('.wh..wh.plnk', '.wh..wh.plnk')).toEqual({ kind: 'none' });
  });

  it('refuses a whiteout of "..", "." or nothing', () => {
    const tree = new LayerTree('layer x');
    for (const base of ['.wh...', '.wh..', '.wh.']) {
      expect(() => tree.whiteout(`a/${base}`, base), base).toThrow(/layer x: invalid whiteout/);
    }
    // and "a/.wh.x/.." never gets here: the name has a ".." component
    expect(() => tree.entryPath('a/.wh.x/..')).toThrow(/"\.\." component/);
    expect(() => tree.entryPath('../.wh.etc')).toThrow(/"\.\." component/);
  });

  it('deletes from lower layers only: a file of this layer stays, a directory of this layer becomes opaque', () => {
    const tree = new LayerTree('t');
    tree.added('keep');
    expect(tree.whiteout('.wh.keep', '.wh.keep')).toEqual({ kind: 'none' });
    tree.directory('dir');
    expect(tree.whiteout('.wh.dir', '.wh.dir')).toEqual({ kind: 'opaque', path: 'dir' });
  });

  it('a directory made over a whiteout of this layer replaces the device and is opaque', () => {
    const tree = new LayerTree('t');
    expect(tree.whiteout('.wh.d', '.wh.d')).toEqual({ kind: 'device', path: 'd', remove: false });
    expect(tree.whiteout('.wh.d', '.wh.d'), 'a second whiteout replaces the first').toEqual({ kind: 'device', path: 'd', remove: true });
    expect(tree.directory('d')).toEqual({ create: true, remove: true, opaque: true });
    // once made as a directory it is not a whiteout any more
    expect(tree.whiteout('.wh.d', '.wh.d')).toEqual({ kind: 'opaque', path: 'd' });
  });

  it('a whiteout device cannot be used as a parent', () => {
    const tree = new LayerTree('t');
    tree.whiteout('.wh.w', '.wh.w');
    expect(() => enter(tree, 'w/x')).toThrow(/under "w"/);
  });
});
