/**
 * `container create` (and the first half of `run`; POST /containers/create): a record,
 * a name, a hold on the image and an empty writable layer. Nothing runs yet.
 *
 *   1. check the request (what ts-runc cannot do is refused by name, before anything exists)
 *   2. resolve the image (--pull)
 *   3. mkdir <id>/ → record.json → claim the name → hold the image → layer/upper, layer/work
 *
 * All or nothing: a failure at any step removes what the steps before made; a create
 * killed midway leaves a directory that `rm -f <id>` removes (the record is written before
 * anything it names is made, the name after it: store.ts).
 */
import { checkMounts } from '../volumes/mounts.js';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { RuntimeError, errorMessage } from '../../errors.js';
import { processArgs } from '../../image/image-spec.js';
import { ImageStore } from '../../image/store.js';
import type { ResolvedImage } from '../../image/types.js';
import { log } from '../../log.js';
import { newContainerId, randomName, validateName } from '../containers/ids.js';
import { ContainerStore } from '../containers/store.js';
import type { ContainerConfig, ContainerRecord, CreateRequest, HealthConfig } from '../types.js';
import { resolveImage } from './image.js';
import { networkRequestFor } from './network.js';
import { recordContainerEvent } from '../events.js';

export interface CreateResult {
  Id: string;
  Warnings: string[];
}

/** The image store's holder name for a container's hold on its image. */
export function imageHolder(id: string): string {
  return `engine:${id}`;
}

export async function createContainer(storage: string, root: string, request: CreateRequest): Promise<CreateResult> {
  checkRequest(request);
  checkRootLength(root);
  const name = request.name !== undefined && request.name !== '' ? validateName(request.name) : undefined;
  const image = await resolveImage(storage, request.config.Image, request.pull, request.platform);
  const store = new ContainerStore(storage);
  const images = new ImageStore(storage);
  const id = newContainerId();
  const paths = store.paths(id);
  const config = mergeConfig(request.config, image);
  let args: string[];
  try {
    args = processArgs(config.Entrypoint, config.Cmd, { command: [] });
  } catch (error) {
    throw new RuntimeError(errorMessage(error), { exitCode: 125 });
  }
  const record: ContainerRecord = {
    Id: id,
    Name: `/${name ?? randomName()}`,
    Created: new Date().toISOString(),
    Path: args[0]!,
    Args: args.slice(1),
    Image: image.id,
    Config: config,
    HostConfig: { ...request.hostConfig },
    NetworkingConfig: request.networkingConfig ?? {},
    Mounts: [],
    Root: root,
  };
  // what the network part cannot do is refused now, not at the first start
  networkRequestFor(store, record);
  // and so are bad mounts (src/engine/volumes/mounts.ts resolves them at each start)
  try {
    checkMounts({ storage, id, hostConfig: record.HostConfig, volumes: Object.keys(config.Volumes ?? {}) });
  } catch (error) {
    throw new RuntimeError(errorMessage(error), { exitCode: 125, cause: error });
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  let named = false;
  let held = false;
  try {
    store.write(record);
    // A random name can collide: try others (moby retries too); a given one cannot.
    for (let attempt = 0; !named; attempt++) {
      try {
        store.claimName(record.Name.slice(1), id);
        named = true;
      } catch (error) {
        if (name !== undefined || attempt >= 5) throw error;
        record.Name = `/${randomName(attempt + 1)}`;
        store.write(record);
      }
    }
    images.hold(image.id, imageHolder(id));
    held = true;
    // upper's own mode becomes the mode of the container's "/", hence 0755
    mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
    mkdirSync(paths.work, { recursive: true, mode: 0o700 });
    mkdirSync(paths.rootfs, { recursive: true, mode: 0o755 });
    recordContainerEvent(storage, 'create', record);
    return { Id: id, Warnings: [] };
  } catch (error) {
    if (held) images.release(imageHolder(id));
    try {
      store.remove(record);
    } catch (undo) {
      log().warn(`create ${id}: cleanup: ${errorMessage(undo)}`);
    }
    if (!named) store.releaseName(record.Name, id);
    throw error instanceof RuntimeError ? new RuntimeError(error.message, { exitCode: 125, cause: error }) : error;
  }
}

/**
 * The runtime's barrier socket is <root>/<id>/exec.sock, and a unix socket's path holds at
 * most 107 bytes (unix(7), sun_path). With 64-hex ids that leaves 30 bytes for --root: the
 * default /run/ts-runc fits; a long one is refused now, not at the first start.
 */
function checkRootLength(root: string): void {
  const longest = Buffer.byteLength(resolve(root)) + 1 + 64 + '/exec.sock'.length;
  if (longest > 107) {
    throw new RuntimeError(`--root ${root} is too long for the engine's containers: <root>/<64-hex id>/exec.sock must fit a unix socket's 107 bytes (use a --root of at most ${107 - 75} bytes)`, { exitCode: 125 });
  }
}

/**
 * The settings ts-runc cannot honour, refused by name (never silently ignored), and the
 * combinations Docker refuses too.
 */
function checkRequest(request: CreateRequest): void {
  const host = request.hostConfig;
  const fail = (message: string) => {
    throw new RuntimeError(message, { exitCode: 125 });
  };
  if (!request.config.Image) fail('no image given');
  const policy = host.RestartPolicy?.Name ?? '';
  if (!['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(policy)) fail(`invalid restart policy ${JSON.stringify(policy)}: use no, always, unless-stopped or on-failure[:N]`);
  if (host.AutoRemove && policy !== '' && policy !== 'no') fail('conflicting options: --restart and --rm (a container removed on exit cannot be restarted)');
  if ((host.RestartPolicy?.MaximumRetryCount ?? 0) > 0 && policy !== 'on-failure') fail('maximum retry count can only be used with on-failure');
  if (host.LogConfig && host.LogConfig.Type !== 'json-file' && host.LogConfig.Type !== 'none') fail(`log driver ${JSON.stringify(host.LogConfig.Type)} is not supported: use json-file or none`);
  for (const key of Object.keys(host.LogConfig?.Config ?? {})) {
    if (key !== 'max-size' && key !== 'max-file') fail(`log option ${key} is not supported: use max-size and max-file`);
  }
  if (request.config.Tty && request.config.OpenStdin === false && request.config.AttachStdin) fail('-t with stdin attached needs -i');
}

/**
 * Docker's merge of the image's config under the request's (moby daemon/commit.go merge):
 * what the request sets wins; Env merges by key (the image's first); Labels, ExposedPorts
 * and Volumes are unions; an Entrypoint given by the request drops the image's Cmd.
 */
export function mergeConfig(config: ContainerConfig, image: ResolvedImage): ContainerConfig {
  const fromImage = image.config.config ?? {};
  const imageHealth = (fromImage as { Healthcheck?: HealthConfig }).Healthcheck;
  const merged: ContainerConfig = { ...config };
  merged.Env = mergeEnv(fromImage.Env ?? [], config.Env ?? []);
  if (config.Entrypoint === undefined || config.Entrypoint === null) {
    merged.Entrypoint = fromImage.Entrypoint ?? null;
    if (!config.Cmd || config.Cmd.length === 0) merged.Cmd = fromImage.Cmd ?? null;
  } else {
    // --entrypoint "" clears it; the image's Cmd belonged to the image's Entrypoint
    merged.Entrypoint = config.Entrypoint.length === 1 && config.Entrypoint[0] === '' ? null : config.Entrypoint;
    merged.Cmd = config.Cmd && config.Cmd.length > 0 ? config.Cmd : null;
  }
  if (!config.User) merged.User = fromImage.User ?? '';
  if (!config.WorkingDir) merged.WorkingDir = fromImage.WorkingDir ?? '';
  if (!config.StopSignal && fromImage.StopSignal) merged.StopSignal = fromImage.StopSignal;
  merged.Labels = { ...(fromImage.Labels ?? {}), ...(config.Labels ?? {}) };
  merged.ExposedPorts = { ...(fromImage.ExposedPorts ?? {}), ...(config.ExposedPorts ?? {}) };
  merged.Volumes = { ...(fromImage.Volumes ?? {}), ...(config.Volumes ?? {}) };
  if (!config.Healthcheck && imageHealth) merged.Healthcheck = imageHealth;
  else if (config.Healthcheck && (config.Healthcheck.Test ?? []).length === 0 && imageHealth) {
    merged.Healthcheck = { ...imageHealth, ...Object.fromEntries(Object.entries(config.Healthcheck).filter(([, v]) => v !== undefined && v !== 0)), Test: imageHealth.Test };
  }
  return merged;
}

function mergeEnv(image: string[], request: string[]): string[] {
  const env = new Map<string, string>();
  for (const entry of [...image, ...request]) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new RuntimeError(`environment variable ${JSON.stringify(entry)} is not KEY=VALUE`, { exitCode: 125 });
    env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return [...env].map(([key, value]) => `${key}=${value}`);
}
