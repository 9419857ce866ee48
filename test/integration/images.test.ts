/**
 * The local image verbs through the real CLI: load (OCI layout and archive, docker save
 * archives, images made by umoci and skopeo), import, ls, inspect, tag, save (read back by
 * skopeo and podman), rm with holders. Needs root and `make fixture` (the 3-layer image).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync, copyFileSync, truncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TS_RUNC, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const IMAGE_DIR = join(REPO, 'rootfs-fixtures/out/image');
const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const ROOTFS_TAR = join(REPO, 'rootfs-fixtures/out/rootfs.tar');
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

interface Inspected {
  id: string;
  names: string[];
  config: { architecture: string; os: string; config?: { Cmd?: string[]; ExposedPorts?: Record<string, object> }; rootfs: { diff_ids: string[] } };
  layers: { digest: string; diffId: string; dir: string }[];
}

function ok(box: Sandbox, args: string[]): string {
  const r = box.run(args, { timeout: 60_000 });
  expect(r.stderr, `ts-runc ${args.join(' ')}`).toBe('');
  expect(r.status, `ts-runc ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

function inspect(box: Sandbox, ref: string): Inspected {
  return (JSON.parse(ok(box, ['image', 'inspect', ref])) as Inspected[])[0]!;
}

function layerDirs(box: Sandbox): string[] {
  const dir = join(box.storage, 'images/l');
  return existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')) : [];
}

/** `ts-runc ... args` without waiting, for races. */
function runAsync(box: Sandbox, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(TS_RUNC, ['--root', box.root, '--storage', box.storage, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

/** A `docker save` archive (legacy layout: <id>/layer.tar, <hex>.json, manifest.json) of the fixture image. */
function dockerArchive(box: Sandbox): { path: string; configDigest: string } {
  const index = JSON.parse(readFileSync(join(IMAGE_DIR, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
  const blob = (digest: string) => join(IMAGE_DIR, 'blobs/sha256', digest.slice(7));
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { config: { digest: string }; layers: { digest: string }[] };
  const dir = join(box.dir, 'docker-save');
  mkdirSync(dir);
  copyFileSync(blob(manifest.config.digest), join(dir, `${manifest.config.digest.slice(7)}.json`));
  const layers = manifest.layers.map((layer, i) => {
    const id = `${i}${layer.digest.slice(8, 20)}`;
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'layer.tar'), gunzipSync(readFileSync(blob(layer.digest))));
    writeFileSync(join(dir, id, 'json'), '{}');
    writeFileSync(join(dir, id, 'VERSION'), '1.0');
    return `${id}/layer.tar`;
  });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${manifest.config.digest.slice(7)}.json`, RepoTags: ['docker/style:v1'], Layers: layers }]));
  const path = join(box.dir, 'docker-save.tar');
  expect(spawnSync('tar', ['-C', dir, '-cf', path, '.']).status).toBe(0);
  return { path, configDigest: manifest.config.digest };
}

describe.skipIf(!isRoot || !haveFixture || !existsSync(IMAGE_TAR))('images: load, list, inspect, save, remove', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.cleanup());

  it('loads the 3-layer fixture archive: ls and inspect show it, each layer dir holds its own changes', () => {
    expect(ok(box, ['image', 'load', '-i', IMAGE_TAR])).toBe('Loaded image: fixture:3layers\n');
    const table = ok(box, ['image', 'ls']).split('\n');
    expect(table[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const image = inspect(box, 'fixture:3layers');
    expect(table[1]).toMatch(new RegExp(`^fixture\\s+3layers\\s+${image.id.slice(7, 19)}\\s`));
    expect(ok(box, ['image', 'ls', '-q'])).toBe(`${image.id.slice(7, 19)}\n`);
    expect(image.config.config?.Cmd).toEqual(['sh']);
    expect(Object.keys(image.config.config?.ExposedPorts ?? {})).toEqual(['80/tcp']);
    const [one, two, three] = image.layers.map((l) => l.dir);
    expect(image.layers.map((l) => l.diffId)).toEqual(image.config.rootfs.diff_ids);
    expect(readFileSync(join(one!, 'etc/fixture-version'), 'utf8')).toBe('1\n');
    expect(existsSync(join(one!, 'etc/fixture-removed'))).toBe(true);
    expect(lstatSync(join(one!, 'bin/busybox')).isFile()).toBe(true);
    expect(readFileSync(join(two!, 'etc/fixture-version'), 'utf8')).toBe('2\n');
    expect(existsSync(join(two!, 'etc/fixture-added'))).toBe(true);
    const whiteout = lstatSync(join(three!, 'etc/fixture-removed'));
    expect(whiteout.isCharacterDevice() && whiteout.rdev === 0).toBe(true);
    expect(layerDirs(box)).toHaveLength(3);
  });

  it('two loads of the same image at once both succeed and unpack each layer once', async () => {
    const results = await Promise.all([runAsync(box, ['image', 'load', '-i', IMAGE_DIR]), runAsync(box, ['image', 'load', '-i', IMAGE_TAR])]);
    expect(results).toEqual([{ status: 0, stderr: '' }, { status: 0, stderr: '' }]);
    expect(layerDirs(box)).toHaveLength(3);
    expect(JSON.parse(ok(box, ['image', 'ls', '--format', 'json']))).toHaveLength(1);
  });

  it('loads an archive piped to stdin, as `docker load < file` does', () => {
    const r = spawnSync(TS_RUNC, ['--root', box.root, '--storage', box.storage, 'image', 'load'], { input: readFileSync(IMAGE_TAR), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('Loaded image: fixture:3layers\n');
    expect(readdirSync(join(box.storage, 'images/tmp')), 'the spooled copy is removed').toEqual([]);
  });

  it('loads a docker save archive (legacy <id>/layer.tar layout), keeping Docker\'s image id', () => {
    const archive = dockerArchive(box);
    expect(ok(box, ['image', 'load', '-i', archive.path])).toBe('Loaded image: docker/style:v1\n');
    const image = inspect(box, 'docker/style:v1');
    expect(image.id).toBe(archive.configDigest);
    expect(readFileSync(join(image.layers[1]!.dir, 'etc/fixture-version'), 'utf8')).toBe('2\n');
    // the legacy per-layer json/VERSION files are not kept as blobs
    const blobs = readdirSync(join(box.storage, 'images/blobs/sha256'));
    expect(blobs).toHaveLength(1 + 1 + 3); // manifest, config, three layers
  });

  it('imports a rootfs tarball as a one-layer image with a proper config', () => {
    const id = ok(box, ['image', 'import', ROOTFS_TAR, 'imported:1']).trim();
    const image = inspect(box, 'imported:1');
    expect(image.id).toBe(id);
    expect(image.config.rootfs.diff_ids).toHaveLength(1);
    expect(image.config.architecture).toBe(process.arch === 'arm64' ? 'arm64' : 'amd64');
    expect(image.config.os).toBe('linux');
    expect(lstatSync(join(image.layers[0]!.dir, 'bin/busybox')).isFile()).toBe(true);
    expect(lstatSync(join(image.layers[0]!.dir, 'bin/sh')).isSymbolicLink()).toBe(true);
  });

  it.skipIf(!have('skopeo'))('saves an OCI archive that skopeo inspects and copies', () => {
    ok(box, ['image', 'load', '-i', IMAGE_TAR]);
    ok(box, ['image', 'tag', 'fixture:3layers', 'localhost/copy:2']);
    const out = join(box.dir, 'saved.tar');
    expect(ok(box, ['image', 'save', '-o', out, 'localhost/copy:2'])).toBe('');
    const skopeo = spawnSync('skopeo', ['inspect', `oci-archive:${out}`], { encoding: 'utf8' });
    expect(skopeo.status, skopeo.stderr).toBe(0);
    const info = JSON.parse(skopeo.stdout) as { Labels: Record<string, string>; Layers: string[] };
    expect(info.Layers).toHaveLength(3);
    expect(info.Labels['org.example.fixture']).toBe('3layers');
    const copy = spawnSync('skopeo', ['copy', '-q', `oci-archive:${out}`, `oci:${join(box.dir, 'copied')}:x`], { encoding: 'utf8' });
    expect(copy.status, copy.stderr).toBe(0);
    const index = JSON.parse(readFileSync(join(box.dir, 'copied/index.json'), 'utf8')) as { manifests: unknown[] };
    expect(index.manifests).toHaveLength(1);
  });

  it.skipIf(!have('podman'))('saves an archive that podman loads (vfs storage of its own)', () => {
    ok(box, ['image', 'load', '-i', IMAGE_TAR]);
    const out = join(box.dir, 'saved.tar');
    ok(box, ['image', 'save', '-o', out, 'fixture:3layers']);
    const podman = ['--root', join(box.dir, 'podman-root'), '--runroot', join(box.dir, 'podman-run'), '--storage-driver', 'vfs'];
    try {
      const load = spawnSync('podman', [...podman, 'load', '-i', out], { encoding: 'utf8', timeout: 120_000 });
      expect(load.status, load.stderr).toBe(0);
      expect(load.stdout).toContain('fixture:3layers');
      const images = spawnSync('podman', [...podman, 'images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' });
      expect(images.stdout).toContain('fixture:3layers');
    } finally {
      spawnSync('podman', [...podman, 'rmi', '-a', '-f'], { timeout: 60_000 });
      spawnSync('umount', ['-R', join(box.dir, 'podman-root')]);
    }
  });

  it.skipIf(!have('skopeo'))('loads an image skopeo wrote with zstd layers', () => {
    const dest = join(box.dir, 'zstd-layout');
    const copy = spawnSync('skopeo', ['copy', '-q', '--dest-compress-format', 'zstd', `oci:${IMAGE_DIR}:fixture:3layers`, `oci:${dest}:zstd:1`], { encoding: 'utf8' });
    expect(copy.status, copy.stderr).toBe(0);
    expect(ok(box, ['image', 'load', '-i', dest])).toBe('Loaded image: zstd:1\n');
    const image = inspect(box, 'zstd:1');
    expect(readFileSync(join(image.layers[1]!.dir, 'etc/fixture-version'), 'utf8')).toBe('2\n');
    expect(lstatSync(join(image.layers[2]!.dir, 'etc/fixture-removed')).isCharacterDevice()).toBe(true);
  });

  it('picks the platform from a nested multi-platform index (--platform too), and frees the other platform\'s blobs', () => {
    const layout = join(box.dir, 'multi');
    expect(spawnSync('cp', ['-a', IMAGE_DIR, layout]).status).toBe(0);
    const blob = (digest: string) => join(layout, 'blobs/sha256', digest.slice(7));
    const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number }[] };
    const amd = index.manifests[0]!;
    const manifest = JSON.parse(readFileSync(blob(amd.digest), 'utf8')) as { config: { digest: string; size: number } };
    // An "arm64" image: the same layers, a config that says arm64.
    const armConfig = Buffer.from(readFileSync(blob(manifest.config.digest), 'utf8').replace('"architecture":"amd64"', '"architecture":"arm64"'));
    const put = (bytes: Buffer) => {
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      writeFileSync(blob(digest), bytes);
      return { digest, size: bytes.length };
    };
    const armManifest = put(Buffer.from(JSON.stringify({ ...manifest, config: { ...manifest.config, ...put(armConfig) } })));
    const nested = put(Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...amd, platform: { os: 'linux', architecture: 'amd64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...armManifest, platform: { os: 'linux', architecture: 'arm64' } },
      ],
    })));
    writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.index.v1+json', ...nested, annotations: { 'org.opencontainers.image.ref.name': 'multi:1' } }] }));

    ok(box, ['image', 'load', '--platform', 'linux/arm64', '-i', layout]);
    expect(inspect(box, 'multi:1').config.architecture).toBe('arm64');
    const blobs = readdirSync(join(box.storage, 'images/blobs/sha256'));
    expect(blobs).not.toContain(nested.digest.slice(7));
    expect(blobs).not.toContain(amd.digest.slice(7));
    ok(box, ['image', 'load', '--platform', 'linux/amd64', '-i', layout]);
    expect(inspect(box, 'multi:1').config.architecture).toBe('amd64');
    const none = box.run(['image', 'load', '--platform', 'linux/s390x', '-i', layout]);
    expect(none.stderr).toBe('ts-runc: no image for linux/s390x in the manifest list (it has: linux/amd64, linux/arm64)\n');
  });

  it('refuses a truncated archive with a clear error and leaves no layer or image', () => {
    const cut = join(box.dir, 'cut.tar');
    copyFileSync(IMAGE_TAR, cut);
    truncateSync(cut, Math.floor(statSync(cut).size / 2));
    const r = box.run(['image', 'load', '-i', cut]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^ts-runc: load .*cut\.tar: .*(truncated|bytes)/);
    expect(layerDirs(box)).toEqual([]);
    expect(readdirSync(join(box.storage, 'images/blobs/sha256')), 'the blobs read before the cut are freed').toEqual([]);
    expect(JSON.parse(ok(box, ['image', 'ls', '--format', 'json']))).toEqual([]);
  });

  /** The fixture's OCI layout copied, changed by `tamper` (given the manifest and a blob path helper), and tarred. */
  function craftedArchive(name: string, tamper: (manifest: { layers: { digest: string; size: number }[] }, blob: (digest: string) => string) => object | void): string {
    const dir = join(box.dir, name);
    expect(spawnSync('cp', ['-a', IMAGE_DIR, dir]).status).toBe(0);
    const blob = (digest: string) => join(dir, 'blobs/sha256', digest.slice(7));
    const indexPath = join(dir, 'index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { manifests: { digest: string; size: number }[] };
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: { digest: string; size: number }[] };
    const changed = tamper(manifest, blob);
    if (changed) {
      // a new manifest (the archive stays consistent but for what the test changed)
      const bytes = Buffer.from(JSON.stringify(changed));
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      writeFileSync(blob(digest), bytes);
      index.manifests[0] = { ...index.manifests[0]!, digest, size: bytes.length };
      writeFileSync(indexPath, JSON.stringify(index));
    }
    const path = join(box.dir, `${name}.tar`);
    expect(spawnSync('tar', ['-C', dir, '-cf', path, '.']).status).toBe(0);
    return path;
  }

  function expectEmptyStore(): void {
    expect(layerDirs(box)).toEqual([]);
    const blobs = join(box.storage, 'images/blobs/sha256');
    expect(existsSync(blobs) ? readdirSync(blobs) : [], 'no blob stays behind').toEqual([]);
    expect(JSON.parse(ok(box, ['image', 'ls', '--format', 'json']))).toEqual([]);
  }

  it('refuses an archive whose blob does not match its digest, naming the digest, and keeps nothing of it', () => {
    let tampered = '';
    const path = craftedArchive('tampered', (manifest, blob) => {
      tampered = manifest.layers[2]!.digest;
      const file = blob(tampered);
      const bytes = readFileSync(file);
      bytes[bytes.length - 10] ^= 0xff; // same size, other content
      writeFileSync(file, bytes);
    });
    const r = box.run(['image', 'load', '-i', path]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(tampered);
    expect(r.stderr).toMatch(/tampered/);
    expectEmptyStore();
  });

  it('refuses a layer whose descriptor size differs from its blob, and keeps nothing of it', () => {
    let layer = '';
    const path = craftedArchive('wrong-size', (manifest) => {
      layer = manifest.layers[0]!.digest;
      manifest.layers[0]!.size += 1;
      return manifest;
    });
    const r = box.run(['image', 'load', '-i', path]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(layer);
    expect(r.stderr).toMatch(/size/);
    expectEmptyStore();
  });

  it('refuses an index.json entry whose size differs from its manifest blob', () => {
    const path = craftedArchive('wrong-manifest-size', () => undefined);
    const dir = join(box.dir, 'wrong-manifest-size');
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: { digest: string; size: number }[] };
    index.manifests[0]!.size -= 1;
    writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    expect(spawnSync('tar', ['-C', dir, '-cf', path, '.']).status).toBe(0);
    const r = box.run(['image', 'load', '-i', path]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(index.manifests[0]!.digest);
    expect(r.stderr).toMatch(/size/);
    expectEmptyStore();
  });

  it('a refused import (not a tar) leaves no blob and no layer behind', () => {
    const junk = join(box.dir, 'junk.tar');
    writeFileSync(junk, Buffer.alloc(4096, 'not a tar archive '));
    const r = box.run(['image', 'import', junk, 'junk:1']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^ts-runc: /);
    expectEmptyStore();
  });

  it('rm refuses an image a holder uses, and frees its layers and blobs once released', () => {
    ok(box, ['image', 'load', '-i', IMAGE_TAR]);
    const image = inspect(box, 'fixture:3layers');
    const store = join(REPO, 'dist/image/store.js');
    const hold = (verb: string) => spawnSync(process.execPath, ['--input-type=module', '-e',
      `import { ImageStore } from ${JSON.stringify(store)}; const s = new ImageStore(${JSON.stringify(box.storage)}); ${verb === 'hold' ? `s.hold(${JSON.stringify(image.id)}, 'container:web')` : `s.release('container:web')`};`]);
    expect(hold('hold').status).toBe(0);
    const refused = box.run(['image', 'rm', 'fixture:3layers']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe('ts-runc: image rm: image fixture:3layers is in use by container:web: remove those first\n');
    expect(layerDirs(box)).toHaveLength(3);
    expect(hold('release').status).toBe(0);
    expect(ok(box, ['image', 'rm', 'fixture:3layers'])).toBe(`Untagged: fixture:3layers\nDeleted: ${image.id}\n`);
    expect(layerDirs(box)).toEqual([]);
    expect(readdirSync(join(box.storage, 'images/blobs/sha256'))).toEqual([]);
    expect(box.run(['image', 'inspect', 'fixture:3layers']).stderr).toBe('ts-runc: image fixture:3layers not found\n');
  });
});
