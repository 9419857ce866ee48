/**
 * The OCI image format's JSON documents (image-spec: descriptor.md, manifest.md,
 * image-index.md, config.md), as far as ts-runc reads and writes them, and the records the
 * image store keeps. Shared by the store (store.ts), the formats (load/save/import), the
 * registry client (registry/) and the image runtime (bundles, commit, export).
 */

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

/** A pointer to content: what it is, its sha256 digest ("sha256:<hex>") and its size. */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** config.md: what a container made from the image starts with. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: ContainerConfig;
  /** diff_ids: sha256 of each layer's uncompressed tar, bottom first */
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: { created?: string; created_by?: string; comment?: string; empty_layer?: boolean }[];
}

/** What the store lists: one image, known by its config digest (its id) and its names. */
export interface ImageRecord {
  /** the config blob's digest, as Docker and podman name images */
  id: string;
  manifestDigest: string;
  /** references such as "busybox:latest" or "127.0.0.1:5000/busybox:1" */
  names: string[];
  /** when the image was added to this store (ISO 8601) */
  added: string;
  /** the sum of the layer blobs' sizes */
  size: number;
}

/** A layer as unpacked in the store, ready to be an overlayfs lowerdir. */
export interface UnpackedLayer {
  /** the (maybe compressed) blob's digest, as the manifest names it */
  digest: string;
  /** the uncompressed tar's digest, as the config's rootfs.diff_ids names it */
  diffId: string;
  size: number;
  mediaType: string;
  /** the unpacked directory: OCI whiteouts are already overlayfs whiteouts here */
  dir: string;
}

export interface ResolvedImage extends ImageRecord {
  manifest: Manifest;
  config: ImageConfig;
  /** bottom first, as the manifest lists them */
  layers: UnpackedLayer[];
}
