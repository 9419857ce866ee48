/** Fetching manifests from a registry emulated in Node: kinds, digests checked, bad answers refused. */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/image/registry/client.js';
import { remoteRef, type RemoteRef } from '../../src/image/registry/endpoint.js';
import { fetchManifest, manifestMediaType } from '../../src/image/registry/manifest.js';
import { MEDIA_TYPES } from '../../src/image/types.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const manifest = Buffer.from(JSON.stringify({
  schemaVersion: 2, mediaType: MEDIA_TYPES.dockerManifest,
  config: { mediaType: MEDIA_TYPES.dockerConfig, digest: `sha256:${'c'.repeat(64)}`, size: 2 },
  layers: [{ mediaType: MEDIA_TYPES.dockerLayerGzip, digest: `sha256:${'d'.repeat(64)}`, size: 3 }],
}, null, 3)); // odd indentation: the digest must be of these bytes, not of a re-serialization
const index = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
const other = `sha256:${'e'.repeat(64)}`;

let server: Server;
let ref: RemoteRef;

beforeAll(async () => {
  // [content type, body]; "huge" streams 5 MiB without a Content-Length (chunked).
  const routes: Record<string, [string, Buffer | string]> = {
    '/v2/app/manifests/1': [MEDIA_TYPES.dockerManifest, manifest],
    [`/v2/app/manifests/${sha(manifest)}`]: [MEDIA_TYPES.dockerManifest, manifest],
    [`/v2/app/manifests/${other}`]: [MEDIA_TYPES.dockerManifest, manifest], // lies: not the content asked for
    '/v2/app/manifests/multi': [MEDIA_TYPES.ociIndex, index],
    '/v2/app/manifests/old': ['application/vnd.docker.distribution.manifest.v1+prettyjws', '{"schemaVersion":1,"fsLayers":[]}'],
    '/v2/app/manifests/huge': [MEDIA_TYPES.ociManifest, 'huge'],
  };
  server = createServer((req, res) => {
    const route = routes[req.url!];
    if (!route) { res.writeHead(404); res.end(); return; }
    if (route[1] === 'huge') { res.writeHead(200, { 'content-type': route[0] }); res.write(Buffer.alloc(5 * 1024 * 1024, 32)); res.end('{}'); return; }
    res.writeHead(200, { 'content-type': route[0] });
    res.end(route[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ref = remoteRef(`127.0.0.1:${(server.address() as AddressInfo).port}/app`);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const client = () => new RegistryClient('emulated');

describe('fetching a manifest', () => {
  it('keeps the bytes as sent and names them by their sha256', async () => {
    const got = await fetchManifest(client(), ref, '1', 's');
    expect(got.kind).toBe('manifest');
    expect(got.bytes.equals(manifest)).toBe(true);
    expect(got.digest).toBe(sha(manifest));
    expect(got.mediaType).toBe(MEDIA_TYPES.dockerManifest);
  });

  it('checks a manifest fetched by digest against that digest', async () => {
    expect((await fetchManifest(client(), ref, sha(manifest), 's')).digest).toBe(sha(manifest));
    await expect(fetchManifest(client(), ref, other, 's')).rejects.toThrow(`the manifest's digest is ${sha(manifest)}, not the ${other} asked for`);
  });

  it('refuses a malformed digest before it goes into a URL', async () => {
    await expect(fetchManifest(client(), ref, 'sha256:../../x', 's')).rejects.toThrow('invalid digest');
  });

  it('tells a manifest list from a manifest', async () => {
    expect((await fetchManifest(client(), ref, 'multi', 's')).kind).toBe('index');
  });

  it('says schema 1 manifests are not supported', async () => {
    await expect(fetchManifest(client(), ref, 'old', 's')).rejects.toThrow('manifest schema 1 (application/vnd.docker.distribution.manifest.v1+prettyjws) is not supported');
  });

  it('refuses a manifest larger than 4 MiB', async () => {
    await expect(fetchManifest(client(), ref, 'huge', 's')).rejects.toThrow('the manifest is larger than 4194304 bytes');
  });

  it('pushes a manifest without a mediaType field with the type its config implies', () => {
    const base = { schemaVersion: 2 as const, layers: [] };
    expect(manifestMediaType({ ...base, config: { mediaType: MEDIA_TYPES.ociConfig, digest: other, size: 1 } })).toBe(MEDIA_TYPES.ociManifest);
    expect(manifestMediaType({ ...base, config: { mediaType: MEDIA_TYPES.dockerConfig, digest: other, size: 1 } })).toBe(MEDIA_TYPES.dockerManifest);
  });
});
