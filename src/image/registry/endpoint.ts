/**
 * Where a reference lives on the network: which registry host, which scheme, and the URLs
 * of the distribution API (distribution spec "API V2", OCI distribution-spec "Endpoints"):
 *
 *   GET/HEAD/PUT  /v2/<name>/manifests/<tag or digest>
 *   GET/HEAD      /v2/<name>/blobs/<digest>
 *   POST          /v2/<name>/blobs/uploads/         → 202 with a Location to PUT the blob to
 *
 * Plain HTTP is used only for registries on the loopback interface and when the user says
 * `--tls-verify=false`, as podman and skopeo do for "insecure" registries; anything else is
 * HTTPS with certificate checks.
 */
import { RuntimeError } from '../../errors.js';
import { parseReference } from '../reference.js';

export interface RemoteRef {
  /** host[:port] as written ("127.0.0.1:5000", "[::1]:5000", "registry.example:443") */
  registry: string;
  /** the repository name in the API path ("library/busybox", "team/app") */
  repository: string;
  tag?: string;
  digest?: string;
  /** base URL of the API: "http://127.0.0.1:5000" */
  base: string;
}

/**
 * "host:port/repo:tag" → the registry, repository and API base URL. ts-runc has no default
 * registry: a name without a host is refused rather than sent somewhere the user did not say.
 */
export function remoteRef(ref: string, options: { tlsVerify?: boolean } = {}): RemoteRef {
  const parsed = parseReference(ref);
  const registry = parsed.registry;
  if (!registry) {
    throw new RuntimeError(`${JSON.stringify(ref)} names no registry: write its host first, e.g. 127.0.0.1:5000/${ref} (ts-runc has no default registry)`);
  }
  const repository = parsed.repository;
  const scheme = options.tlsVerify === false || isLoopback(registry) ? 'http' : 'https';
  const result: RemoteRef = { registry, repository, base: `${scheme}://${registry}` };
  if (parsed.tag !== undefined) result.tag = parsed.tag;
  if (parsed.digest !== undefined) result.digest = parsed.digest;
  if (result.tag === undefined && result.digest === undefined) result.tag = 'latest';
  return result;
}

/** localhost, 127.0.0.0/8 and ::1, with or without a port. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

export function manifestUrl(ref: RemoteRef, tagOrDigest: string): string {
  return `${ref.base}/v2/${ref.repository}/manifests/${tagOrDigest}`;
}

export function blobUrl(ref: RemoteRef, digest: string): string {
  return `${ref.base}/v2/${ref.repository}/blobs/${digest}`;
}

export function uploadUrl(ref: RemoteRef): string {
  return `${ref.base}/v2/${ref.repository}/blobs/uploads/`;
}

/**
 * The URL to PUT a blob to, from the Location of the upload the POST started. Registries
 * send absolute URLs or paths ("/v2/x/blobs/uploads/<uuid>?_state=..."), relative to the
 * request's URL; a query already there (the registry's upload state) must be kept, and the
 * digest added to it (distribution spec "Monolithic Upload": `PUT <location>?digest=<digest>`).
 */
export function uploadTarget(location: string | null, requestUrl: string, digest: string): string {
  if (!location) throw new RuntimeError(`POST ${requestUrl}: the registry started an upload but sent no Location header`);
  const url = new URL(location, requestUrl);
  url.searchParams.append('digest', digest);
  return url.toString();
}

/** The reference to name the image by in the local store: "host/repo:tag" or "host/repo@digest". */
export function localName(ref: RemoteRef): string {
  const name = `${ref.registry}/${ref.repository}`;
  return ref.digest ? `${name}@${ref.digest}` : `${name}:${ref.tag}`;
}
