/**
 * The security decisions of unpacking a layer (unpack.ts), kept apart from the system calls
 * so they can be tested without root (test/unit/layer-tree.test.ts): where an entry name
 * lands inside the layer, whether its parents can be made or would go through a symlink or
 * file, whether a hardlink target is a file of this layer, and what an OCI whiteout becomes.
 *
 * The tree is what this unpack has made so far: the layer directory starts empty, so a path
 * not recorded here does not exist, and a parent recorded as a directory is one the unpack
 * made with mkdir(2), never a symlink. unpack.ts performs exactly the operations these
 * methods return, in order; nothing here touches the filesystem.
 */
import { RuntimeError } from '../errors.js';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE = '.wh..wh..opq';

/** What a whiteout entry turns into (image-spec layer.md "Whiteouts", overlayfs.rst). */
export type WhiteoutAction =
  /** set trusted.overlay.opaque=y on this directory ("" = the layer root) */
  | { kind: 'opaque'; path: string }
  /** other AUFS metadata (.wh..wh.plnk) or a path this layer already holds as a file: nothing to do */
  | { kind: 'none' }
  /** make a 0/0 character device here; `remove` first when this layer had made something there */
  | { kind: 'device'; path: string; remove: boolean };

/** What a directory entry needs: create it (after removing what was there) and make it opaque. */
export interface DirectoryAction {
  create: boolean;
  remove: boolean;
  opaque: boolean;
}

/** Splits a tar name into components without "" and "."; "/etc/x" is relative, as GNU tar takes it. */
function components(name: string): string[] {
  return name.split('/').filter((p) => p !== '' && p !== '.');
}

export class LayerTree {
  /** every path (relative) this layer holds, and which of them are real directories */
  private readonly made = new Set<string>(['']);
  private readonly dirs = new Set<string>(['']);
  /** paths this layer whited out: a directory made there later must hide the lower one */
  private readonly whiteouts = new Set<string>();

  constructor(private readonly where: string) {}

  /** The entry's path inside the layer ("" for the root); refuses a ".." component. */
  entryPath(name: string): string {
    const parts = components(name);
    if (parts.includes('..')) throw new RuntimeError(`${this.where}: entry ${JSON.stringify(name)} has a ".." component, which would reach outside the layer`);
    return parts.join('/');
  }

  /**
   * The parents of `rel` to create with mkdir(2), outermost first, recorded as directories.
   * A parent this layer made as a symlink or file is refused: following it could write
   * anywhere ("a -> /tmp" then "a/x").
   */
  missingParents(rel: string, name: string): string[] {
    const missing: string[] = [];
    let at = rel.indexOf('/');
    while (at >= 0) {
      const parent = rel.slice(0, at);
      if (!this.dirs.has(parent)) {
        if (this.made.has(parent)) throw new RuntimeError(`${this.where}: entry ${JSON.stringify(name)} is under ${JSON.stringify(parent)}, which is a symlink or file in this layer; following it could write outside the layer`);
        this.made.add(parent);
        this.dirs.add(parent);
        missing.push(parent);
      }
      at = rel.indexOf('/', at + 1);
    }
    return missing;
  }

  /**
   * A later entry for the same path replaces the earlier one (tar semantics): true when
   * something this layer made is there and must be removed (recursively) first.
   */
  replace(rel: string): boolean {
    if (rel === '') throw new RuntimeError(`${this.where}: an entry tries to replace the layer's root directory`);
    if (!this.made.has(rel)) return false;
    this.made.delete(rel);
    this.whiteouts.delete(rel);
    if (this.dirs.delete(rel)) {
      const prefix = `${rel}/`;
      for (const p of [...this.made]) if (p.startsWith(prefix)) this.made.delete(p);
      for (const p of [...this.dirs]) if (p.startsWith(prefix)) this.dirs.delete(p);
    }
    return true;
  }

  /** Records a non-directory entry made at `rel`. */
  added(rel: string): void {
    this.made.add(rel);
  }

  isDirectory(rel: string): boolean {
    return this.dirs.has(rel);
  }

  /** A directory entry: made unless this layer already has it as a directory. */
  directory(rel: string): DirectoryAction {
    if (this.dirs.has(rel)) return { create: false, remove: false, opaque: false };
    // `.wh.foo` then `foo/`: the lower foo was deleted and a new one made, so none of the
    // lower foo's files may show through the new directory.
    const opaque = this.whiteouts.has(rel);
    const remove = this.replace(rel);
    this.made.add(rel);
    this.dirs.add(rel);
    return { create: true, remove, opaque };
  }

  /**
   * The path inside the layer a hardlink at `rel` links to, or null when it names itself.
   * The target must be a non-directory this layer already holds: never "../../etc/passwd",
   * never a lower layer's file, never a directory (link(2) refuses those anyway).
   */
  hardlinkTarget(rel: string, linkname: string, name: string): string | null {
    const parts = components(linkname);
    const target = parts.join('/');
    if (parts.includes('..') || !this.made.has(target) || this.dirs.has(target)) {
      throw new RuntimeError(`${this.where}: hardlink ${JSON.stringify(name)} points at ${JSON.stringify(linkname)}, which is not a file earlier in this layer`);
    }
    return target === rel ? null : target;
  }

  /** The whiteout entry at `rel` (whose last component, `base`, starts with ".wh."). */
  whiteout(rel: string, base: string): WhiteoutAction {
    const dir = rel.slice(0, Math.max(0, rel.length - base.length - 1));
    if (base === OPAQUE) return { kind: 'opaque', path: dir };
    if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'none' };
    const hidden = base.slice(WHITEOUT_PREFIX.length);
    if (hidden === '' || hidden === '..' || hidden === '.') throw new RuntimeError(`${this.where}: invalid whiteout ${JSON.stringify(rel)}`);
    const path = dir === '' ? hidden : `${dir}/${hidden}`;
    // A whiteout deletes from the layers BELOW (image-spec layer.md): an entry this layer
    // already made at that path stays. A file or symlink hides the lower one anyway; a
    // directory must also hide the lower directory's files.
    if (this.made.has(path) && !this.whiteouts.has(path)) return this.dirs.has(path) ? { kind: 'opaque', path } : { kind: 'none' };
    const remove = this.replace(path);
    this.made.add(path);
    this.whiteouts.add(path);
    return { kind: 'device', path, remove };
  }
}
