/**
 * Where ts-runc keeps what outlives a container's processes: images, the writable layers
 * and generated bundles of containers made from images, and networks. `--root` (default
 * /run/ts-runc, a tmpfs) holds only runtime state, as runc's does; this is the persistent
 * counterpart, like /var/lib/docker beside /run/docker. Global flag `--storage`.
 *
 *   <storage>/images/       the image and layer store        (src/image/)
 *   <storage>/containers/   per-container rootfs layers, bundles, hosts files
 *   <storage>/networks/     network definitions and IP leases (src/network/)
 */
export const DEFAULT_STORAGE = '/var/lib/ts-runc';
