/**
 * An OCI bundle made from an image: what `bundle --image`, `create --image` and
 * `run --image` build before the runtime proper takes over.
 *
 *   <dir>/config.json          from the image config and the run flags (image-spec.ts)
 *   <dir>/rootfs/              the overlay mount: the image's layers + the upper layer
 *   <dir>/.ts-runc/upper/      the container's writable layer (what `commit` saves)
 *   <dir>/.ts-runc/work/       overlayfs's scratch directory (same filesystem as upper)
 *   <dir>/.ts-runc/image.json  this record: what to unmount, remove and release
 *
 * A container's bundle is <storage>/containers/<id>/ and its record names the container,
 * so `delete` removes it all; a bundle made by `bundle --image DIR` stays until
 * `bundle --remove DIR`. The image is held (store.hold) while the bundle exists, so
 * `image rm` cannot pull layers from under a mounted overlay.
 *
 * Volumes (-v, the image's VOLUMEs) are the engine's (src/engine/volumes/): named ones
 * outlive the bundle; the anonymous ones this bundle made are listed in its record and
 * removed with it.
 *
 * Making one is all or nothing: a failure at any step unmounts, removes and releases what
 * the steps before it made.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RuntimeError, errorCode, errorMessage } from '../errors.js';
import { log } from '../log.js';
import { imageSpec, type ImageRunOptions } from './image-spec.js';
import { mountOverlay, unmountOverlay, type OverlayLayers } from './overlay.js';
import { ImageStore } from './store.js';
import { readEtcFiles, readFileInRoot, resolveInRoot } from './users.js';
import type { ResolvedImage } from './types.js';
import { resolveMounts } from '../engine/volumes/mounts.js';
import { removeAnonymousVolumes } from '../engine/volumes/remove.js';
import type { Spec } from '../spec/schema.js';
import { imageBundleRecord } from '../storage.js';
import { writeFileAtomic } from '../sys/write-atomic.js';

export interface ImageBundleRecord {
  image: { id: string; name: string };
  /** the store's hold on the image ("container:<id>" or "bundle:<dir>") */
  holder: string;
  storage: string;
  /** set when `create/run --image` made it: `delete` of that container removes it */
  container?: string;
  /**
   * the --root of that container. Two roots may share one storage: `delete --force` of an
   * id that has no state removes the bundle as an orphan only for the root that made it.
   */
  root?: string;
  /** the volumes mounted (src/engine/volumes/); its anonymous ones are removed with the bundle */
  mounts?: { Type: string; Name?: string }[];
}

export interface MakeBundleOptions {
  storage: string;
  /** image reference or id */
  image: string;
  dir: string;
  /** the container this bundle is for (create/run --image); the whole dir is then ours */
  container?: string;
  /** that container's --root (ImageBundleRecord.root) */
  root?: string;
  run: Omit<ImageRunOptions, 'mounts'>;
  /** -v values, as HostConfig.Binds ("/host:/dst:ro", "name:/dst", "/dst") */
  volumes: string[];
}


export function makeImageBundle(options: MakeBundleOptions): { spec: Spec; record: ImageBundleRecord } {
  const dir = resolve(options.dir);
  const meta = join(dir, '.ts-runc');
  const store = new ImageStore(options.storage);
  const image = store.resolve(options.image);
  if (!options.container) {
    if (existsSync(imageBundleRecord(dir))) throw new RuntimeError(`${dir} already holds a bundle from an image (ts-runc bundle --remove ${dir})`);
    // Never take over (and, on failure, remove) anything the user had there.
    for (const name of ['config.json', 'rootfs', '.ts-runc']) {
      if (existsSync(join(dir, name))) throw new RuntimeError(`${join(dir, name)} already exists: choose an empty or new directory`);
    }
  }

  const record: ImageBundleRecord = {
    image: { id: image.id, name: options.image },
    holder: options.container ? `container:${options.container}` : `bundle:${dir}`,
    storage: options.storage,
    container: options.container,
    ...(options.root !== undefined ? { root: options.root } : {}),
  };
  const rootfs = join(dir, 'rootfs');
  if (options.container) {
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 }); // <storage>/containers
    try {
      mkdirSync(dir, { mode: 0o700 }); // the id's claim in storage, as mkdir is atomic
    } catch (error) {
      if (errorCode(error) === 'EEXIST') throw new RuntimeError(`container ${options.container} already has a directory in ${options.storage}/containers`);
      throw error;
    }
  } else {
    mkdirSync(dir, { recursive: true });
  }

  try {
    // The record goes down first (whole, by rename), before the hold and the mount it
    // names, so a make interrupted at any later moment, even by SIGKILL, can be removed
    // (delete --force, bundle --remove); killed before it, the directory holds at most
    // an empty .ts-runc/ and a temporary file, which `delete --force` recognises.
    mkdirSync(meta, { recursive: true, mode: 0o755 });
    writeFileAtomic(imageBundleRecord(dir), `${JSON.stringify(record, null, 2)}\n`);
    store.hold(image.id, record.holder);
    // upper's own mode becomes the mode of the container's /, hence 0755
    for (const sub of ['upper', 'work']) mkdirSync(join(meta, sub), { recursive: true, mode: sub === 'upper' ? 0o755 : 0o700 });
    mkdirSync(rootfs, { mode: 0o755 });
    mountOverlay(overlayLayers(image, dir), rootfs);

    const resolved = resolveMounts({
      storage: options.storage,
      id: options.container ?? dir,
      hostConfig: { Binds: options.volumes },
      volumes: Object.keys(image.config.config?.Volumes ?? {}),
      rootfs,
    });
    // recorded before anything can fail, so undo() finds the anonymous volumes
    record.mounts = resolved.mounts.map((m) => ({ Type: m.Type, ...(m.Name !== undefined ? { Name: m.Name } : {}) }));
    writeFileAtomic(imageBundleRecord(dir), `${JSON.stringify(record, null, 2)}\n`);
    const mounts = resolved.specMounts;
    const spec = imageSpec({ id: image.id, name: options.image, config: image.config }, { ...options.run, mounts }, readEtcFiles(rootfs));
    // Docker creates a missing working directory; chdir(2) in the init would fail on it.
    mkdirSync(resolveInRoot(rootfs, spec.process!.cwd), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'config.json'), `${JSON.stringify(spec, null, 2)}\n`);
    return { spec, record };
  } catch (error) {
    undo(dir, record, store);
    throw error;
  }
}

/** The overlay's layers for a bundle in `dir` (what `ts-runc explain --image` prints, too). */
export function overlayLayers(image: ResolvedImage, dir: string): OverlayLayers {
  const meta = join(resolve(dir), '.ts-runc');
  // overlayfs's leftmost lowerdir is the top: the store lists layers bottom first.
  return { lowers: image.layers.map((layer) => layer.dir).reverse(), upper: join(meta, 'upper'), work: join(meta, 'work') };
}

/**
 * What makeImageBundle would make, without making anything (`ts-runc explain --image`):
 * the overlay and the config.json. /etc/passwd and /etc/group, which resolve a user name,
 * are read from the topmost layer that has them, as the overlay would show them (a file a
 * higher layer deleted is not looked for). Volumes are not previewed: they make directories.
 */
export function previewImageBundle(options: Omit<MakeBundleOptions, 'volumes'>): { spec: Spec; overlay: OverlayLayers; rootfs: string; image: ResolvedImage } {
  const dir = resolve(options.dir);
  const image = new ImageStore(options.storage).resolve(options.image);
  const overlay = overlayLayers(image, dir);
  const etc = (path: string) => overlay.lowers.map((layer) => readFileInRoot(layer, path)).find((text) => text !== undefined);
  const spec = imageSpec({ id: image.id, name: options.image, config: image.config }, { ...options.run, mounts: [] },
    { passwd: etc('/etc/passwd'), group: etc('/etc/group') });
  return { spec, overlay, rootfs: join(dir, 'rootfs'), image };
}

/** The record of the image bundle in `dir`, if there is one. */
export function readImageBundleRecord(dir: string): ImageBundleRecord | undefined {
  try {
    return JSON.parse(readFileSync(imageBundleRecord(dir), 'utf8')) as ImageBundleRecord;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw new RuntimeError(`${imageBundleRecord(dir)}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Unmount, remove and release. Idempotent: each step checks before it acts, and the
 * record (in .ts-runc/, removed last for user bundles) stays until the end, so an
 * interrupted removal can simply be run again. Returns false if `dir` has no record.
 */
export function removeImageBundle(dir: string): boolean {
  const bundle = resolve(dir);
  const record = readImageBundleRecord(bundle);
  if (!record) return false;
  undo(bundle, record, new ImageStore(record.storage));
  return true;
}

/** `delete`'s part: remove the bundle only if it was made for this container. */
export function removeContainerBundle(dir: string, id: string): void {
  const record = readImageBundleRecord(dir);
  if (record?.container === id) undo(dir, record, new ImageStore(record.storage));
}

/**
 * What is removed is derived from `dir`, never read from the record, so a bundle someone
 * else made cannot point a removal elsewhere: a container's whole directory (all ours),
 * or just the three entries `bundle --image` added to the user's directory, the record's
 * directory last so that an interrupted removal can be repeated.
 */
function undo(dir: string, record: ImageBundleRecord, store: ImageStore): void {
  unmountOverlay(join(dir, 'rootfs'));
  const remove = record.container ? [dir] : ['config.json', 'rootfs', '.ts-runc'].map((name) => join(dir, name));
  for (const path of remove) rmSync(path, { recursive: true, force: true });
  try {
    store.release(record.holder);
  } catch (error) {
    log().warn(`release ${record.image.name} held by ${record.holder}: ${errorMessage(error)}`);
  }
  // after the bundle's config.json is gone: it no longer counts as a user of them
  removeAnonymousVolumes(record.storage, record.mounts ?? []);
}
