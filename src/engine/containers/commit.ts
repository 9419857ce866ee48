/**
 * `container commit [-a] [-c]... [-m] [-p] CONTAINER [REPOSITORY[:TAG]]` (POST /commit): the
 * container's writable layer as a new image over its own image (src/image/commit.ts). As
 * docker's, the new image's config is the container's (its Cmd, Entrypoint, Env,
 * WorkingDir, User, ExposedPorts, Labels), then the `-c` changes; a running container is
 * paused while its layer is read unless pause is false.
 */
import { commitLayer } from '../../image/commit.js';
import { whilePaused } from '../../container/pause.js';
import { ContainerStore } from './store.js';
import { containerView } from './status.js';
import { runningRuntime } from './runtime.js';
import type { ContainerConfig } from '../types.js';

export interface CommitRequest {
  /** "name[:tag]"; none gives an image known by its id */
  reference?: string;
  author?: string;
  message?: string;
  /** Dockerfile instructions: CMD, ENTRYPOINT, ENV, LABEL, WORKDIR, USER, EXPOSE, STOPSIGNAL, VOLUME */
  changes?: string[];
  /** pause a running container while its layer is read (default true, as docker's -p) */
  pause?: boolean;
}

const quote = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/** The container's config as the changes commitLayer applies over the image's. */
export function configChanges(config: ContainerConfig): string[] {
  const changes: string[] = [];
  if (config.Entrypoint) changes.push(`ENTRYPOINT ${JSON.stringify(config.Entrypoint)}`);
  if (config.Cmd) changes.push(`CMD ${JSON.stringify(config.Cmd)}`);
  for (const entry of config.Env ?? []) {
    const eq = entry.indexOf('=');
    if (eq > 0) changes.push(`ENV ${entry.slice(0, eq)}=${quote(entry.slice(eq + 1))}`);
  }
  if (config.WorkingDir) changes.push(`WORKDIR ${config.WorkingDir}`);
  if (config.User) changes.push(`USER ${config.User}`);
  for (const port of Object.keys(config.ExposedPorts ?? {})) changes.push(`EXPOSE ${port}`);
  for (const [key, value] of Object.entries(config.Labels ?? {})) changes.push(`LABEL ${key}=${quote(value)}`);
  if (config.StopSignal) changes.push(`STOPSIGNAL ${config.StopSignal}`);
  return changes;
}

/** Makes the image; returns its id ("sha256:…"). */
export async function commitContainer(storage: string, reference: string, request: CommitRequest = {}): Promise<string> {
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const view = containerView(store, record);
  const commit = () => commitLayer(storage, {
    upper: store.paths(record.Id).upper,
    base: record.Image,
    names: request.reference ? [request.reference] : [],
    changes: [...configChanges(record.Config), ...(request.changes ?? [])],
    createdBy: `ts-runc container commit ${record.Name.slice(1)}`,
    message: request.message,
    author: request.author,
  });
  if ((view.state.Running || view.state.Paused) && request.pause !== false) {
    const { runtime } = runningRuntime(view, 'commit');
    return whilePaused(runtime, record.Id, commit);
  }
  return commit();
}
