/**
 * `image save`: images as one OCI image layout in a tar (an "oci-archive"), the format
 * skopeo, podman, containerd and Docker 25+ all load: `oci-layout`, `index.json` naming
 * each image with `org.opencontainers.image.ref.name` (and containerd's
 * `io.containerd.image.name`), and every manifest, config and layer blob once. The tar is
 * written beside the target and renamed into place, so a failed save leaves no half file.
 */
import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { crypto } from '../crypto.js';
import { RuntimeError } from '../errors.js';
import { digestHex } from './blob-store.js';
import { CONTAINERD_NAME, REF_NAME } from './oci-layout.js';
import { normalizeName } from './reference.js';
import type { ImageStore } from './store.js';
import { MEDIA_TYPES, type Descriptor, type ImageIndex } from './types.js';

export async function saveImages(store: ImageStore, refs: string[], output: string | NodeJS.WritableStream): Promise<void> {
  if (refs.length === 0) throw new RuntimeError('save: name at least one image');
  const manifests: Descriptor[] = [];
  const blobs = new Set<string>();
  for (const ref of refs) {
    const image = store.resolve(ref);
    const name = nameFor(ref, image.names);
    const descriptor: Descriptor = {
      mediaType: image.manifest.mediaType ?? MEDIA_TYPES.ociManifest,
      digest: image.manifestDigest,
      size: store.blobs.size(image.manifestDigest),
      platform: { architecture: image.config.architecture, os: image.config.os },
    };
    if (name) descriptor.annotations = { [REF_NAME]: name, [CONTAINERD_NAME]: name };
    manifests.push(descriptor);
    for (const digest of [image.manifestDigest, image.id, ...image.manifest.layers.map((l) => l.digest)]) blobs.add(digest);
  }
  const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests };

  const { pack } = await import('tar-stream');
  const tar = pack();
  const stream = tar as unknown as AsyncIterable<Buffer>;
  const writing = (typeof output === 'string' ? writeFileAtomically(stream, output) : pipeTo(stream, output)).catch((error: unknown) => {
    // The reader went away (stdout's EPIPE) or the file failed: stop packing, so the entry
    // loop below fails too instead of waiting for a drain that never comes.
    tar.destroy(error as Error);
    throw error;
  });
  writing.catch(() => undefined); // awaited below; this keeps an early failure from counting as unhandled
  try {
    const mtime = new Date(0);
    const add = (name: string, content: string) => new Promise<void>((resolve, reject) => tar.entry({ name, mode: 0o644, mtime }, content, (e) => (e ? reject(e) : resolve())));
    await add('oci-layout', '{"imageLayoutVersion":"1.0.0"}');
    await add('index.json', JSON.stringify(index));
    tar.entry({ name: 'blobs', type: 'directory', mode: 0o755, mtime });
    tar.entry({ name: 'blobs/sha256', type: 'directory', mode: 0o755, mtime });
    for (const digest of blobs) {
      const path = store.blobs.path(digest);
      const sink = tar.entry({ name: `blobs/sha256/${digestHex(digest)}`, size: statSync(path).size, mode: 0o644, mtime });
      const done = new Promise<void>((resolve, reject) => {
        sink.on('finish', () => resolve());
        sink.on('error', reject);
      });
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) if (!sink.write(chunk)) await once(sink, 'drain');
      sink.end(undefined);
      await done;
    }
    tar.finalize();
  } catch (error) {
    tar.destroy(error as Error);
    await writing.catch(() => undefined);
    throw error;
  }
  await writing;
}

/** The name to record: the one asked for, or the image's first. */
function nameFor(ref: string, names: string[]): string | undefined {
  try {
    const asked = normalizeName(ref);
    if (names.includes(asked)) return asked;
  } catch {
    // an id, not a name
  }
  return names[0];
}

async function writeFileAtomically(tar: AsyncIterable<Buffer>, path: string): Promise<void> {
  const tmp = `${path}.tmp-${crypto().randomBytes(4).toString('hex')}`;
  try {
    await pipeTo(tar, createWriteStream(tmp, { flags: 'wx', mode: 0o644 }));
    renameSync(tmp, path);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw new RuntimeError(`save ${path}: ${(error as Error).message}`, { cause: error });
  }
}

async function pipeTo(tar: AsyncIterable<Buffer>, out: NodeJS.WritableStream): Promise<void> {
  for await (const chunk of tar) if (!out.write(chunk)) await once(out as NodeJS.EventEmitter, 'drain');
  if (out !== process.stdout) await new Promise<void>((resolve, reject) => {
    out.on('error', reject);
    out.end(() => resolve());
  });
}
