/**
 * The image a build stage has made so far, and each step's new image.
 *
 * As in Docker's classic builder, every step ends in an image of its own: the parent's
 * config with the step's change and one more history entry, plus one layer for a step that
 * changed files (RUN, COPY, ADD, WORKDIR) — none when the diff is empty. These images are
 * stored untagged (dangling): they are the build cache (cache.ts maps each step's key to
 * one), and `image prune` removes them like any dangling image.
 */
import { createReadStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError } from '../errors.js';
import { writeLayerTar } from '../image/commit.js';
import type { ImageStore } from '../image/store.js';
import { MEDIA_TYPES, type ContainerConfig, type Descriptor, type ImageConfig, type Manifest } from '../image/types.js';

/** Docker's image config has a few fields the OCI one lacks; the builder reads and writes them. */
export interface BuilderConfig extends ContainerConfig {
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  OnBuild?: string[] | null;
  Shell?: string[];
  ArgsEscaped?: boolean;
}

export interface StageImage {
  /** undefined for `FROM scratch` before any step */
  id: string | undefined;
  config: ImageConfig;
  layers: Descriptor[];
  /** the unpacked layer directories, bottom first */
  layerDirs: string[];
}

export function scratchImage(platform: { os: string; architecture: string; variant?: string }): StageImage {
  return {
    id: undefined,
    config: { architecture: platform.architecture, os: platform.os, ...(platform.variant ? { variant: platform.variant } : {}), config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] },
    layers: [],
    layerDirs: [],
  };
}

export function imageFromStore(store: ImageStore, ref: string): StageImage {
  const image = store.resolve(ref);
  return { id: image.id, config: image.config, layers: image.manifest.layers, layerDirs: image.layers.map((l) => l.dir) };
}

export function containerConfig(image: StageImage): BuilderConfig {
  return (image.config.config ?? {}) as BuilderConfig;
}

/**
 * The upper directory of a step as a layer in the store, or undefined when it holds
 * nothing (an empty diff makes no layer). The tar is written uncompressed: the layer stays
 * on this machine, and `image push` sends what is stored.
 */
export async function layerFromUpper(
  store: ImageStore,
  upper: string,
  tmpDir: string,
  pending?: (diffId: string) => void,
): Promise<{ descriptor: Descriptor; diffId: string; dir: string } | undefined> {
  if (readdirSync(upper).length === 0) return undefined;
  mkdirSync(tmpDir, { recursive: true, mode: 0o700 });
  const tarFile = join(tmpDir, 'layer.tar');
  try {
    const diffId = await writeLayerTar(upper, tarFile);
    pending?.(diffId); // a builder killed from here on leaves a blob its successor frees
    const layer = await store.addLayer(createReadStream(tarFile));
    if (layer.diffId !== diffId) throw new RuntimeError(`build: the store read the layer as ${layer.diffId}, it was written as ${diffId}`);
    return { descriptor: { mediaType: layer.mediaType || MEDIA_TYPES.ociLayer, digest: layer.digest, size: layer.size }, diffId, dir: layer.dir };
  } finally {
    rmSync(tarFile, { force: true });
  }
}

/** The step's image: `parent` + the config change + maybe a layer + a history entry; stored untagged. */
export async function writeStepImage(
  store: ImageStore,
  parent: StageImage,
  change: { config: BuilderConfig; createdBy: string; author?: string; layer?: { descriptor: Descriptor; diffId: string; dir: string } },
): Promise<StageImage> {
  const created = new Date().toISOString();
  const layer = change.layer;
  const config: ImageConfig = {
    ...parent.config,
    created,
    ...(change.author !== undefined ? { author: change.author } : {}),
    config: change.config,
    rootfs: { type: 'layers', diff_ids: [...parent.config.rootfs.diff_ids, ...(layer ? [layer.diffId] : [])] },
    history: [...(parent.config.history ?? []), { created, created_by: change.createdBy, ...(layer ? {} : { empty_layer: true }) }],
  };
  const configBlob = await store.blobs.put(Buffer.from(JSON.stringify(config)));
  const layers = [...parent.layers, ...(layer ? [layer.descriptor] : [])];
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociManifest,
    config: { mediaType: MEDIA_TYPES.ociConfig, digest: configBlob.digest, size: configBlob.size },
    layers,
  };
  const manifestBlob = await store.blobs.put(Buffer.from(JSON.stringify(manifest)));
  const record = await store.addImage(manifestBlob.digest, []);
  return { id: record.id, config, layers, layerDirs: [...parent.layerDirs, ...(layer ? [layer.dir] : [])] };
}

/** "sha256:abc…" → "abc…" cut to Docker's 12 digits. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}
