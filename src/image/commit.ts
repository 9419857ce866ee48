/**
 * `commit`: a container's upper layer → a new image, its base image plus one layer.
 *
 *   1. the upper layer → an OCI layer tar (tar-tree.ts converts overlay whiteouts back
 *      to OCI ones), hashed as it is written: the hash is the layer's diff_id
 *   2. the store unpacks it like any pulled layer (store.addLayer)
 *   3. config = the base image's config + the new diff_id + a history entry
 *      (+ `--change` edits such as CMD ["x"]), written as a blob
 *   4. manifest = the base image's layers + the new one, written as a blob
 *   5. store.addImage names it; its id (the config's digest) is printed
 *
 * Like `docker commit`, a running container is paused (cgroup freezer) while its upper
 * layer is read, so the layer is one consistent moment of its filesystem.
 */
import { crypto } from '../crypto.js';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { imagesDir } from '../storage.js';
import { Transform } from 'node:stream';
import { RuntimeError } from '../errors.js';
import { MEDIA_TYPES, type ContainerConfig, type Descriptor, type ImageConfig, type Manifest } from './types.js';
import { normalizeName } from './reference.js';
import { writeTreeTar } from './tar-tree.js';

export interface CommitOptions {
  /** the upper layer directory (<bundle>/.ts-runc/upper) */
  upper: string;
  /** the base image, as the bundle record names it */
  base: string;
  /** new name:tag, or none (an unnamed image, known by its id) */
  names: string[];
  /** Dockerfile-like edits: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL, VOLUME */
  changes: string[];
  /** history: created_by and comment */
  createdBy: string;
  message?: string;
  author?: string;
}

/** Make the new image; returns its id (the config's digest). */
export async function commitLayer(storage: string, options: CommitOptions): Promise<string> {
  const { ImageStore } = await import('./store.js');
  const store = new ImageStore(storage);
  const base = store.resolve(options.base);
  // Check the name and parse the changes before the (slow) layer is written: a typo should
  // cost nothing, and must not leave a layer in the store that no image lists.
  const names = options.names.map(normalizeName);
  const containerConfig = applyChanges(structuredClone(base.config.config ?? {}), options.changes);

  const tmp = join(imagesDir(storage), 'tmp');
  mkdirSync(tmp, { recursive: true });
  const tarFile = join(tmp, `commit-${process.pid}-${crypto().randomBytes(4).toString('hex')}.tar`);
  try {
    const diffId = await writeLayerTar(options.upper, tarFile);
    const layer = await store.addLayer(createReadStream(tarFile), { gzip: true }); // compressed, as registries expect
    if (layer.diffId !== diffId) throw new RuntimeError(`commit: the store read the layer as ${layer.diffId}, it was written as ${diffId}`);

    const created = new Date().toISOString();
    const config: ImageConfig = {
      ...base.config,
      created,
      ...(options.author ? { author: options.author } : {}),
      config: containerConfig,
      rootfs: { type: 'layers', diff_ids: [...base.config.rootfs.diff_ids, layer.diffId] },
      history: [...(base.config.history ?? []), { created, created_by: options.createdBy, ...(options.message ? { comment: options.message } : {}) }],
    };
    const configBytes = Buffer.from(JSON.stringify(config));
    const configBlob = await store.blobs.put(configBytes);
    const layerDescriptor: Descriptor = { mediaType: layer.mediaType, digest: layer.digest, size: layer.size };
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: MEDIA_TYPES.ociConfig, digest: configBlob.digest, size: configBlob.size },
      layers: [...base.manifest.layers, layerDescriptor],
    };
    const manifestBlob = await store.blobs.put(Buffer.from(JSON.stringify(manifest)));
    const record = await store.addImage(manifestBlob.digest, names);
    return record.id;
  } finally {
    rmSync(tarFile, { force: true });
  }
}

/** The upper layer as an OCI layer tar in `file`; returns its sha256 (the diff_id). */
export async function writeLayerTar(upper: string, file: string): Promise<string> {
  const hash = crypto().createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await writeTreeTar(upper, { whiteouts: true }, [hashing, createWriteStream(file)]);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * `--change` instructions, in Dockerfile syntax (Docker's `commit --change` accepts the
 * same): CMD/ENTRYPOINT take a JSON array or a shell string (run by /bin/sh -c).
 */
export function applyChanges(config: ContainerConfig, changes: string[]): ContainerConfig {
  for (const change of changes) {
    const match = /^\s*([A-Za-z]+)\s+(.*?)\s*$/s.exec(change);
    if (!match) throw new RuntimeError(`change ${JSON.stringify(change)}: expected INSTRUCTION arguments`);
    const [, instruction = '', rest = ''] = match;
    switch (instruction.toUpperCase()) {
      case 'CMD':
        config.Cmd = commandForm(rest, change);
        break;
      case 'ENTRYPOINT':
        config.Entrypoint = commandForm(rest, change);
        break;
      case 'ENV': {
        const env = (config.Env ?? []).filter((entry) => !pairs(rest, change).some(([key]) => entry.startsWith(`${key}=`)));
        config.Env = [...env, ...pairs(rest, change).map(([key, value]) => `${key}=${value}`)];
        break;
      }
      case 'LABEL':
        config.Labels = { ...(config.Labels ?? {}), ...Object.fromEntries(pairs(rest, change)) };
        break;
      case 'WORKDIR':
        config.WorkingDir = rest;
        break;
      case 'USER':
        config.User = rest;
        break;
      case 'STOPSIGNAL':
        config.StopSignal = rest;
        break;
      case 'EXPOSE':
        for (const port of rest.split(/\s+/)) config.ExposedPorts = { ...(config.ExposedPorts ?? {}), [port.includes('/') ? port : `${port}/tcp`]: {} };
        break;
      case 'VOLUME':
        for (const path of listForm(rest)) config.Volumes = { ...(config.Volumes ?? {}), [path]: {} };
        break;
      default:
        throw new RuntimeError(`change ${JSON.stringify(change)}: ${instruction} is not one of CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, STOPSIGNAL, EXPOSE, VOLUME`);
    }
  }
  return config;
}

/** ["a","b"] (exec form) or a shell string (shell form). */
function commandForm(text: string, change: string): string[] {
  if (!text.startsWith('[')) return ['/bin/sh', '-c', text];
  return listForm(text, change);
}

function listForm(text: string, change = text): string[] {
  if (!text.startsWith('[')) return text.split(/\s+/).filter(Boolean);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RuntimeError(`change ${JSON.stringify(change)}: not a JSON array of strings`);
  }
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new RuntimeError(`change ${JSON.stringify(change)}: not a JSON array of strings`);
  }
  return value;
}

/** "K=V K2=V2" (values may be "quoted"), or the legacy "K V". */
function pairs(text: string, change: string): [string, string][] {
  if (!/^[^\s=]+=/.test(text)) {
    const space = text.search(/\s/);
    if (space < 0) throw new RuntimeError(`change ${JSON.stringify(change)}: expected KEY=VALUE`);
    return [[text.slice(0, space), text.slice(space).trim()]];
  }
  const result: [string, string][] = [];
  for (const match of text.matchAll(/([^\s=]+)=("((?:[^"\\]|\\.)*)"|\S*)/g)) {
    result.push([match[1]!, match[3] !== undefined ? match[3].replace(/\\(.)/g, '$1') : match[2]!]);
  }
  return result;
}
