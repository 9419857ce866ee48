/**
 * Where ts-runc keeps what outlives a container's processes: images, the writable layers
 * and generated bundles of containers made from images, and networks. `--root` (default
 * /run/ts-runc, a tmpfs) holds only runtime state, as runc's does; this is the persistent
 * counterpart, like /var/lib/docker beside /run/docker. Global flag `--storage`.
 *
 *   <storage>/images/            the image and layer store              (src/image/store.ts)
 *   <storage>/containers/<id>/   an image container's bundle (config.json, overlay rootfs,
 *                                upper layer) and any container's hosts/hostname/resolv.conf
 *   <storage>/volumes/<name>/    volumes: _data/ and volume.json        (src/engine/volumes/)
 *   <storage>/networks/          network definitions and IP leases      (src/network/)
 *
 * Every module finds its part through the functions here, so the layout is in one place.
 */
import { join } from 'node:path';

export const DEFAULT_STORAGE = '/var/lib/ts-runc';

export function imagesDir(storage: string): string {
  return join(storage, 'images');
}

/** One per container id: two --root directories sharing a storage must not share an id. */
export function containerDir(storage: string, id: string): string {
  return join(storage, 'containers', id);
}

/**
 * The record in a bundle made from an image (src/image/bundle.ts), by `run --image` or
 * `bundle --image`: which image it holds. `delete` looks for it before loading any image code.
 */
export function imageBundleRecord(bundle: string): string {
  return join(bundle, '.ts-runc', 'image.json');
}

export function volumesDir(storage: string): string {
  return join(storage, 'volumes');
}

export function networksDir(storage: string): string {
  return join(storage, 'networks');
}
