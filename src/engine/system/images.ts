/**
 * The engine's view of images: which are used by containers, `image prune` (POST
 * /images/prune) and `image history` (GET /images/{name}/history), and image sizes for
 * `system df`. An image is in use while any container record names it, whatever its state.
 */
import { RuntimeError, errorMessage } from '../../errors.js';
import { ImageStore } from '../../image/store.js';
import { ContainerStore } from '../containers/store.js';
import { treeSize } from '../list/summary.js';
import type { Filters } from '../list/filters.js';
import { labelsMatch, parseTimestamp } from '../list/filters.js';

/** Image ids used by a container record. */
export function imagesInUse(storage: string): Set<string> {
  return new Set(new ContainerStore(storage).list().map((r) => r.Image));
}

/** Every layer blob of every image: digest → size, for what a removal frees. */
function layerSizes(store: ImageStore): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const image of store.list()) {
    try {
      for (const layer of store.resolve(image.id).manifest.layers) sizes.set(layer.digest, layer.size);
    } catch {
      // an image whose blobs are damaged: its layers are not counted
    }
  }
  return sizes;
}

export interface ImageDeleteEntry {
  Untagged?: string;
  Deleted?: string;
}

export interface ImagePruneResult {
  ImagesDeleted: ImageDeleteEntry[];
  SpaceReclaimed: number;
}

/**
 * Removes dangling images (no name), or with `all` every image no container uses;
 * filters: until=T, label=k[=v], label!=k[=v], dangling=true|false (docker's).
 */
export function pruneImages(storage: string, options: { all?: boolean; filters?: Filters } = {}): ImagePruneResult {
  const filters = options.filters ?? {};
  for (const key of Object.keys(filters)) {
    if (!['until', 'label', 'label!', 'dangling'].includes(key)) throw new RuntimeError(`invalid filter '${key}' (image prune takes until, label, label!, dangling)`);
  }
  let all = options.all ?? false;
  const dangling = filters['dangling']?.[0];
  if (dangling !== undefined) {
    if (!['true', 'false', '1', '0'].includes(dangling)) throw new RuntimeError(`invalid filter 'dangling=${dangling}' (true or false)`);
    all = dangling === 'false' || dangling === '0';
  }
  const store = new ImageStore(storage);
  const used = imagesInUse(storage);
  const before = layerSizes(store);
  const result: ImagePruneResult = { ImagesDeleted: [], SpaceReclaimed: 0 };
  for (const image of store.list()) {
    if (used.has(image.id)) continue;
    if (!all && image.names.length > 0) continue;
    const config = store.blobs.readJson<{ created?: string; config?: { Labels?: Record<string, string> } }>(image.id);
    const labels = config.config?.Labels;
    if (filters['label'] && !labelsMatch(filters['label'], labels)) continue;
    if (filters['label!'] && filters['label!'].some((l) => labelsMatch([l], labels))) continue;
    const created = Date.parse(config.created ?? image.added);
    if ((filters['until'] ?? []).some((u) => created >= parseTimestamp(u))) continue;
    try {
      for (const line of store.remove(image.id, { force: true })) {
        const [verb, ...rest] = line.split(': ');
        result.ImagesDeleted.push(verb === 'Untagged' ? { Untagged: rest.join(': ') } : { Deleted: rest.join(': ') });
      }
    } catch (error) {
      throw new RuntimeError(`image prune: ${image.id}: ${errorMessage(error)}`, { cause: error });
    }
  }
  const after = layerSizes(store);
  for (const [digest, size] of before) if (!after.has(digest)) result.SpaceReclaimed += size;
  return result;
}

export interface HistoryEntry {
  /** the image id for the top entry, "<missing>" below (docker's) */
  Id: string;
  /** unix seconds */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  /** bytes of the layer this step made (0 for a step that made none) */
  Size: number;
  Comment: string;
}

/** The image's history, newest first, each step with the size of the layer it made. */
export function imageHistory(storage: string, reference: string): HistoryEntry[] {
  const store = new ImageStore(storage);
  const image = store.resolve(reference);
  type Step = NonNullable<typeof image.config.history>[number];
  const history: Step[] = image.config.history ?? image.layers.map((): Step => ({}));
  const layers = [...image.layers];
  const entries: HistoryEntry[] = history.map((step) => {
    const layer = step.empty_layer ? undefined : layers.shift();
    return {
      Id: '<missing>',
      Created: Math.floor(Date.parse(step.created ?? '') / 1000) || 0,
      CreatedBy: step.created_by ?? '',
      Tags: null,
      Size: layer ? treeSize(layer.dir) : 0,
      Comment: step.comment ?? '',
    };
  }).reverse();
  if (entries[0]) {
    entries[0].Id = image.id;
    entries[0].Tags = image.names.length > 0 ? image.names : null;
  }
  return entries;
}
