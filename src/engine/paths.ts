/**
 * Where the engine keeps its containers (src/engine/README.md, "Layout"): the only file
 * that spells the layout, so every verb, the monitor's hooks and the API service find a
 * container's files through these functions.
 *
 *   <storage>/engine/containers/<id>/record.json   what was asked (ContainerRecord)
 *   <storage>/engine/containers/<id>/state.json    live state, written only by the monitor
 *   <storage>/engine/containers/<id>/health.json   healthcheck results
 *   <storage>/engine/containers/<id>/monitor.pid   "<pid> <starttime>" of the live monitor
 *   <storage>/engine/containers/<id>/attach.sock   the monitor's socket
 *   <storage>/engine/containers/<id>/container.log json-file log (+ .1 … rotated)
 *   <storage>/engine/containers/<id>/bundle/       config.json + rootfs/ (overlay mount point)
 *   <storage>/engine/containers/<id>/layer/        upper/ + work/: the writable layer
 *   <storage>/engine/containers/<id>/etc/          hosts, hostname, resolv.conf
 *   <storage>/engine/names/<name>                  symlink → <id>: the name's claim
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** How the monitor calls ts-runc back for its hooks: this Node, this bundle. */
export function tsRuncCommand(): string[] {
  return [process.execPath, '--preserve-symlinks', fileURLToPath(new URL('../../dist/bundle/entry.cjs', import.meta.url))];
}

export function engineDir(storage: string): string {
  return join(storage, 'engine');
}

export function containersDir(storage: string): string {
  return join(storage, 'engine', 'containers');
}

export function namesDir(storage: string): string {
  return join(storage, 'engine', 'names');
}

/** The symlink whose existence is the claim on a name (without the leading "/"). */
export function namePath(storage: string, name: string): string {
  return join(namesDir(storage), name);
}

export function eventsFile(storage: string): string {
  return join(storage, 'engine', 'events.jsonl');
}

/** Every file of one container, by role. */
export interface ContainerPaths {
  dir: string;
  record: string;
  /** flock(2)ed around every read-modify-write of the record */
  lock: string;
  /** flock(2)ed by a `start` from its look at the state until STARTED: one monitor at a time */
  startLock: string;
  state: string;
  health: string;
  monitorPid: string;
  /** relative to `dir`: unix socket paths are limited to 108 bytes (README) */
  attachSocketName: string;
  log: string;
  bundle: string;
  config: string;
  rootfs: string;
  layer: string;
  upper: string;
  work: string;
  etc: string;
  /** anonymous volumes of a container made without the volume store */
  volumes: string;
  /** the copy of ts-runc-pid1 that --init mounts at /sbin/docker-init */
  init: string;
  /** the hooks' own log (--log): never the container's stdout/stderr */
  hookLog: string;
}

export function containerPaths(storage: string, id: string): ContainerPaths {
  const dir = join(containersDir(storage), id);
  const bundle = join(dir, 'bundle');
  const layer = join(dir, 'layer');
  return {
    dir,
    record: join(dir, 'record.json'),
    lock: join(dir, 'record.lock'),
    startLock: join(dir, 'start.lock'),
    state: join(dir, 'state.json'),
    health: join(dir, 'health.json'),
    monitorPid: join(dir, 'monitor.pid'),
    attachSocketName: 'attach.sock',
    log: join(dir, 'container.log'),
    bundle,
    config: join(bundle, 'config.json'),
    rootfs: join(bundle, 'rootfs'),
    layer,
    upper: join(layer, 'upper'),
    work: join(layer, 'work'),
    etc: join(dir, 'etc'),
    volumes: join(dir, 'volumes'),
    init: join(dir, 'docker-init'),
    hookLog: join(dir, 'hook.log'),
  };
}
