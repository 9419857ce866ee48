/**
 * The image store on images crafted here: blobs verified while they stream in, layers
 * unpacked once and shared, names, holders and the freeing of unused layers and blobs.
 * Needs root for the layer unpack (lchown).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageStore } from '../../src/image/store.js';
import { importRootfs } from '../../src/image/import.js';
import { formatReference, normalizeName, parseReference } from '../../src/image/reference.js';
import { MEDIA_TYPES, type ImageConfig, type Manifest } from '../../src/image/types.js';

const isRoot = process.getuid?.() === 0;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const reading = (async () => {
    for await (const chunk of tar as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const [name, content] of Object.entries(files)) tar.entry({ name, mode: 0o644 }, content);
  tar.finalize();
  await reading;
  return Buffer.concat(chunks);
}

/** Puts an image of these layer tars (gzip) into the store's blobs; returns the manifest digest. */
async function putImage(store: ImageStore, tars: Buffer[], options: { badDiffId?: boolean; label?: string } = {}): Promise<string> {
  const layers = [];
  for (const tar of tars) {
    const gz = gzipSync(tar);
    const blob = await store.blobs.put(gz);
    layers.push({ mediaType: MEDIA_TYPES.ociLayerGzip, digest: blob.digest, size: blob.size });
  }
  const config: ImageConfig = {
    architecture: 'amd64', os: 'linux', config: { Labels: { label: options.label ?? '' } },
    rootfs: { type: 'layers', diff_ids: tars.map((t) => (options.badDiffId ? sha(Buffer.from('other')) : sha(t))) },
  };
  const configBlob = await store.blobs.put(Buffer.from(JSON.stringify(config)));
  const manifest: Manifest = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: MEDIA_TYPES.ociConfig, ...configBlob }, layers };
  return (await store.blobs.put(Buffer.from(JSON.stringify(manifest)))).digest;
}

describe('image references', () => {
  it('reads registry, repository, tag and digest as Docker does', () => {
    expect(parseReference('busybox')).toEqual({ repository: 'busybox', tag: 'latest' });
    expect(parseReference('127.0.0.1:5000/team/app:v2')).toEqual({ registry: '127.0.0.1:5000', repository: 'team/app', tag: 'v2' });
    expect(parseReference('localhost/app')).toEqual({ registry: 'localhost', repository: 'app', tag: 'latest' });
    expect(parseReference('team/app')).toEqual({ repository: 'team/app', tag: 'latest' });
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseReference(`app@${digest}`)).toEqual({ repository: 'app', digest });
    expect(formatReference(parseReference('quay.io/x/y:1'))).toBe('quay.io/x/y:1');
    expect(normalizeName('busybox')).toBe('busybox:latest');
    expect(() => parseReference('Upper/Case')).toThrow(/invalid image reference/);
    expect(() => parseReference('app@sha256:xyz')).toThrow(/digest/);
  });
});

describe('the blob store', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('stores by sha256 and refuses content whose digest or size is not the expected one, keeping nothing', async () => {
    const store = new ImageStore(dir);
    const data = Buffer.from('hello blob');
    const put = await store.blobs.put(Readable.from([data.subarray(0, 4), data.subarray(4)]), { digest: sha(data), size: data.length });
    expect(put).toMatchObject({ digest: sha(data), size: data.length });
    expect(readFileSync(store.blobs.path(sha(data)), 'utf8')).toBe('hello blob');
    const wrong = sha(Buffer.from('something else'));
    await expect(store.blobs.put(data, { digest: wrong })).rejects.toThrow(/the content's digest is/);
    await expect(store.blobs.put(data, { size: 99 })).rejects.toThrow(/got 10 bytes, expected 99/);
    expect(store.blobs.has(wrong)).toBe(false);
    expect(readdirSync(join(dir, 'images/blobs/tmp'))).toEqual([]);
    expect(() => store.blobs.path('sha256:../../etc')).toThrow(/invalid digest/);
  });
});

describe.skipIf(!isRoot)('the image store', () => {
  let dir: string;
  let store: ImageStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-store-'));
    store = new ImageStore(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('unpacks each layer once, shared by images, even when two adds race', async () => {
    const base = await tarOf({ 'etc/base': 'b' });
    const one = await putImage(store, [base, await tarOf({ one: '1' })], { label: 'one' });
    const two = await putImage(store, [base, await tarOf({ two: '2' })], { label: 'two' });
    await Promise.all([store.addImage(one, ['one']), store.addImage(one, ['one']), store.addImage(two, ['two:v2'])]);
    expect(readdirSync(join(dir, 'images/l')).filter((n) => !n.startsWith('.')).sort()).toHaveLength(3);
    const a = store.resolve('one:latest');
    const b = store.resolve('two:v2');
    expect(a.layers[0]!.dir).toBe(b.layers[0]!.dir);
    expect(readFileSync(join(a.layers[0]!.dir, 'etc/base'), 'utf8')).toBe('b');
    expect(store.list().map((i) => i.names).sort()).toEqual([['one:latest'], ['two:v2']]);
    expect(store.resolve(a.id.slice(7, 19)).id).toBe(a.id);
    expect(() => store.resolve('missing')).toThrow('image missing not found');
  });

  it('refuses a layer whose content is not the config\'s diff_id and keeps no layer directory', async () => {
    const manifest = await putImage(store, [await tarOf({ f: 'x' })], { badDiffId: true });
    await expect(store.addImage(manifest, ['bad'])).rejects.toThrow(/the unpacked tar's digest is .* but the image config says/);
    expect(readdirSync(join(dir, 'images/l'))).toEqual([]);
    expect(store.list()).toEqual([]);
  });

  it('does not take a layer directory for another layer whose diff_id shares its 12-digit name', async () => {
    const real = await tarOf({ 'lib/libc.so': 'genuine' });
    await store.addImage(await putImage(store, [real]), ['base']);
    // A config whose diff_id only shares the directory's 12 hex digits, as a brute-forced layer would.
    const impostor = `${sha(real).slice(0, 19)}${'0'.repeat(52)}`;
    const blob = await store.blobs.put(gzipSync(await tarOf({ 'lib/libc.so': 'evil' })));
    const configBlob = await store.blobs.put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [impostor] } })));
    const manifest: Manifest = {
      schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { mediaType: MEDIA_TYPES.ociConfig, ...configBlob },
      layers: [{ mediaType: MEDIA_TYPES.ociLayerGzip, digest: blob.digest, size: blob.size }],
    };
    const manifestBlob = await store.blobs.put(Buffer.from(JSON.stringify(manifest)));
    await expect(store.addImage(manifestBlob.digest, ['impostor'])).rejects.toThrow(/which shares its first 12 digits/);
    expect(store.list().map((i) => i.names)).toEqual([['base:latest']]);
  });

  it('moves a name between images, untags a second name, and refuses removing a held image', async () => {
    const one = await store.addImage(await putImage(store, [await tarOf({ a: '1' })], { label: '1' }), ['app:1']);
    store.tag('app:1', 'app:stable');
    expect(store.remove('app:stable')).toEqual(['Untagged: app:stable']);
    store.hold(one.id, 'container:web');
    expect(() => store.remove('app:1')).toThrow('image app:1 is in use by container:web');
    store.release('container:web');
    expect(store.remove('app:1')).toEqual(['Untagged: app:1', `Deleted: ${one.id}`]);
  });

  it('frees the layers and blobs only the removed image used', async () => {
    const shared = await tarOf({ shared: 's' });
    const one = await store.addImage(await putImage(store, [shared, await tarOf({ one: '1' })], { label: '1' }), ['one']);
    const two = await store.addImage(await putImage(store, [shared], { label: '2' }), ['two']);
    const oneLayers = store.resolve('one').layers;
    store.remove('one');
    expect(existsSync(oneLayers[0]!.dir), 'the shared layer stays').toBe(true);
    expect(existsSync(oneLayers[1]!.dir), 'the layer only "one" used is gone').toBe(false);
    expect(store.blobs.has(one.id)).toBe(false);
    expect(store.blobs.has(oneLayers[1]!.digest)).toBe(false);
    expect(store.blobs.has(oneLayers[0]!.digest)).toBe(true);
    store.remove(two.id);
    expect(readdirSync(join(dir, 'images/l')).filter((n) => !n.startsWith('.'))).toEqual([]);
  });

  it('finds registry names by their short form ("busybox" is <host>/library/busybox:latest)', async () => {
    const image = await store.addImage(await putImage(store, [await tarOf({ a: '1' })], { label: 'hub' }), ['registry.example/library/busybox:latest']);
    expect(store.resolve('busybox').id).toBe(image.id);
    expect(store.resolve('busybox:latest').id).toBe(image.id);
    expect(store.resolve(`busybox@${image.manifestDigest}`).id).toBe(image.id);
    expect(() => store.resolve('busybox:1')).toThrow('image busybox:1 not found');
  });

  it('keeps the store owner-only, so host users cannot run a layer\'s setuid files or open its devices', async () => {
    await store.addImage(await putImage(store, [await tarOf({ 'bin/su': 'x' })]), ['private']);
    for (const sub of ['images', 'images/blobs', 'images/l']) expect(statSync(join(dir, sub)).mode & 0o777, sub).toBe(0o700);
  });

  it('import refuses a bad name before the layer goes in, leaving no blob or layer behind', async () => {
    const file = join(dir, 'rootfs.tar');
    writeFileSync(file, await tarOf({ 'etc/os-release': 'x' }));
    await expect(importRootfs(store, file, ['Not A Name'])).rejects.toThrow(/invalid image reference "Not A Name"/);
    expect(existsSync(join(dir, 'images/l')) ? readdirSync(join(dir, 'images/l')) : []).toEqual([]);
    expect(existsSync(join(dir, 'images/blobs/sha256')) ? readdirSync(join(dir, 'images/blobs/sha256')) : []).toEqual([]);
  });

  it('adds a plain tar as a gzip layer with the right diff_id', async () => {
    const tar = await tarOf({ 'usr/bin/tool': 'bin' });
    const layer = await store.addLayer(tar, { gzip: true });
    expect(layer.diffId).toBe(sha(tar));
    expect(layer.mediaType).toBe(MEDIA_TYPES.ociLayerGzip);
    expect(readFileSync(join(layer.dir, 'usr/bin/tool'), 'utf8')).toBe('bin');
    expect(readFileSync(store.blobs.path(layer.digest)).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  });
});
