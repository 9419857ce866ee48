/**
 * `system df [-v]` (GET /system/df): what images, containers, volumes and build cache take
 * on disk, and how much of it is reclaimable (not used by a running container / by any
 * container), as docker's DiskUsage.
 */
import { ImageStore } from '../../image/store.js';
import { ContainerStore } from '../containers/store.js';
import { containerView } from '../containers/status.js';
import { summarize, treeSize, type ContainerSummary } from '../list/summary.js';
import { queryVolumes } from '../volumes/list.js';
import type { Volume } from '../volumes/store.js';

export interface ImageUsage {
  Id: string;
  RepoTags: string[];
  Created: number;
  /** bytes of all its layers */
  Size: number;
  /** bytes of its layers that other images share */
  SharedSize: number;
  /** containers made from it */
  Containers: number;
}

export interface DiskUsage {
  LayersSize: number;
  Images: ImageUsage[];
  Containers: ContainerSummary[];
  Volumes: Volume[];
  BuildCache: [];
}

export async function diskUsage(storage: string): Promise<DiskUsage> {
  const images = new ImageStore(storage);
  const containers = new ContainerStore(storage);
  const records = containers.list();
  const layerSize = new Map<string, number>();
  const layerUsers = new Map<string, number>();
  const resolved = images.list().flatMap((image) => {
    try {
      return [images.resolve(image.id)];
    } catch {
      return [];
    }
  });
  for (const image of resolved) {
    for (const layer of image.layers) {
      if (!layerSize.has(layer.diffId)) layerSize.set(layer.diffId, treeSize(layer.dir));
      layerUsers.set(layer.diffId, (layerUsers.get(layer.diffId) ?? 0) + 1);
    }
  }
  const usage: ImageUsage[] = resolved.map((image) => ({
    Id: image.id,
    RepoTags: image.names,
    Created: Math.floor(Date.parse(image.config.created ?? image.added) / 1000),
    Size: image.layers.reduce((sum, l) => sum + (layerSize.get(l.diffId) ?? 0), 0),
    SharedSize: image.layers.reduce((sum, l) => sum + ((layerUsers.get(l.diffId) ?? 0) > 1 ? layerSize.get(l.diffId) ?? 0 : 0), 0),
    Containers: records.filter((r) => r.Image === image.id).length,
  }));
  const lookup = (reference: string) => {
    const image = resolved.find((i) => i.id === reference || i.names.includes(reference));
    return image ? { id: image.id, size: usage.find((u) => u.Id === image.id)?.Size ?? 0 } : undefined;
  };
  const summaries = records.map((record) => summarize(containers, containerView(containers, record), lookup, { size: true }));
  return {
    LayersSize: [...layerSize.values()].reduce((a, b) => a + b, 0),
    Images: usage,
    Containers: summaries,
    Volumes: queryVolumes(storage, {}, { usage: true }),
    BuildCache: [],
  };
}
