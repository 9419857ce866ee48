/**
 * `container diff CONTAINER` (GET /containers/{id}/changes): what the container changed,
 * read from its writable layer (the overlay's upper directory), as Docker's overlay2
 * driver reads it (moby pkg/archive changes.go, overlayChanges):
 *
 *   a whiteout (a 0:0 character device)      D  the path was deleted
 *   a path the image's layers also have      C  changed (a directory: something in it changed)
 *   a path only the upper layer has          A  added
 *
 * An opaque directory (trusted.overlay.opaque=y: removed and made again) is C if the
 * image had it, and what the image had in it that the upper layer has not is D.
 * Kind is the API's number: 0 changed, 1 added, 2 deleted.
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { lgetxattr } from '../../sys/libc.js';
import { ContainerStore } from '../containers/store.js';

export interface Change {
  Path: string;
  Kind: 0 | 1 | 2;
}

const isWhiteout = (stat: Stats) => stat.isCharacterDevice() && stat.rdev === 0;

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function isOpaque(dir: string): boolean {
  return lgetxattr(dir, 'trusted.overlay.opaque')?.toString() === 'y';
}

/** Whether the image (its layers, top first) shows `path`: the first layer that has it, or a whiteout of it, decides. */
export function inLowers(lowers: string[], path: string): boolean {
  for (const lower of lowers) {
    const stat = lstat(join(lower, path));
    if (stat) return !isWhiteout(stat);
    // an opaque directory on the way hides the layers below
    const parts = path.split('/').filter(Boolean);
    for (let i = parts.length - 1; i > 0; i--) {
      const parent = join(lower, ...parts.slice(0, i));
      if (lstat(parent)?.isDirectory() && isOpaque(parent)) return false;
    }
  }
  return false;
}

/** The changes of an upper directory over `lowers`, sorted by path as docker prints them. */
export function layerChanges(upper: string, lowers: string[]): Change[] {
  const changes: Change[] = [];
  const walk = (relative: string) => {
    let names: string[];
    try {
      names = readdirSync(join(upper, relative));
    } catch {
      return;
    }
    for (const name of names) {
      const path = `${relative}/${name}`;
      const stat = lstat(join(upper, path));
      if (!stat) continue;
      if (isWhiteout(stat)) {
        changes.push({ Path: path, Kind: 2 });
        continue;
      }
      const existed = inLowers(lowers, path);
      changes.push({ Path: path, Kind: existed ? 0 : 1 });
      if (stat.isDirectory()) {
        if (existed && isOpaque(join(upper, path))) {
          // the image's entries that the remade directory no longer has
          const kept = new Set(readdirSync(join(upper, path)));
          const gone = new Set<string>();
          for (const lower of lowers) {
            try {
              for (const n of readdirSync(join(lower, path))) if (!kept.has(n)) gone.add(n);
            } catch {
              // not in this layer
            }
          }
          for (const n of gone) if (inLowers(lowers, `${path}/${n}`)) changes.push({ Path: `${path}/${n}`, Kind: 2 });
        }
        walk(path);
      }
    }
  };
  walk('');
  return changes.sort((a, b) => (a.Path < b.Path ? -1 : a.Path > b.Path ? 1 : 0));
}

/** The container's changes to its image's filesystem. */
export async function containerChanges(storage: string, reference: string): Promise<Change[]> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const { ImageStore } = await import('../../image/store.js');
  const image = new ImageStore(storage).resolve(record.Image);
  const lowers = image.layers.map((l) => l.dir).reverse();
  return layerChanges(store.paths(record.Id).upper, lowers);
}
