/**
 * The init hook: from a record to a running container, every time the container starts
 * (first start, `start` after a stop, a policy restart, after a reboot).
 *
 *   1. runtime leftovers of a run whose cleanup never came (reboot, killed monitor) go
 *   2. the overlay: the image's layers (read-only) + layer/upper, on bundle/rootfs
 *   3. volumes and binds (resolveMounts), --init's copy of ts-runc-pid1
 *   4. config.json from the record (spec.ts), the working directory made if missing
 *   5. the runtime's create + start, in --root, id = the engine id, stdio = our fds 0-2
 *      (the monitor's pipes), or under -t the console socket the monitor listens on
 *
 * On failure what was made here is undone; the monitor then runs the cleanup hook too,
 * which is idempotent.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { RuntimeError, errorMessage } from '../../errors.js';
import { mountOverlay, unmountOverlay } from '../../image/overlay.js';
import { ImageStore } from '../../image/store.js';
import { readEtcFiles, resolveInRoot } from '../../image/users.js';
import { log } from '../../log.js';
import { macForAddress } from '../../network/attach.js';
import { StateStore } from '../../state/container-state.js';
import type { ContainerStore } from '../containers/store.js';
import { pid1Binary } from '../binaries.js';
import type { ContainerRecord, NetworkAttachment, PortBinding } from '../types.js';
import { resolveMounts } from '../volumes/mounts.js';
import { networkRequestFor } from './network.js';
import { containerSpec } from './spec.js';

export async function initContainer(store: ContainerStore, id: string): Promise<number> {
  const record = store.read(id);
  const paths = store.paths(id);
  const runtime = new StateStore(record.Root);
  await removeRuntimeLeftovers(store, record);

  const image = new ImageStore(store.storage).resolve(record.Image);
  mkdirSync(paths.rootfs, { recursive: true, mode: 0o755 });
  mkdirSync(paths.upper, { recursive: true, mode: 0o755 });
  mkdirSync(paths.work, { recursive: true, mode: 0o700 });
  // overlayfs's leftmost lowerdir is the top: the store lists layers bottom first
  mountOverlay({ lowers: image.layers.map((layer) => layer.dir).reverse(), upper: paths.upper, work: paths.work }, paths.rootfs);
  try {
    const { specMounts: mounts, mounts: recordMounts } = resolveMounts({
      storage: store.storage,
      id,
      hostConfig: record.HostConfig,
      volumes: Object.keys(record.Config.Volumes ?? {}),
      previous: record.Mounts,
      rootfs: paths.rootfs,
    });
    // the volumes are the record's from here, so a failure below still finds them for rm
    store.update(id, (current) => {
      current.Mounts = recordMounts;
    });
    let initCopy: string | undefined;
    if (record.HostConfig.Init) initCopy = copyInit(paths.init);
    const spec = containerSpec({ record, imageName: record.Config.Image, mounts, etc: readEtcFiles(paths.rootfs), initCopy });
    // Docker creates a missing working directory; chdir(2) in the init would fail on it
    mkdirSync(resolveInRoot(paths.rootfs, spec.process!.cwd), { recursive: true, mode: 0o755 });
    writeFileSync(paths.config, `${JSON.stringify(spec, null, 2)}\n`);

    const consoleSocket = record.Config.Tty ? process.env.TS_RUNC_CONSOLE_SOCKET : undefined;
    if (record.Config.Tty && !consoleSocket) throw new RuntimeError('-t: the monitor gave no console socket (TS_RUNC_CONSOLE_SOCKET)');
    const { createContainer } = await import('../../container/create.js');
    const { startContainer } = await import('../../container/start.js');
    const { init, state } = await createContainer(runtime, {
      id,
      bundle: paths.bundle,
      spec,
      network: networkRequestFor(store, record),
      ...(consoleSocket ? { consoleSocket } : {}),
      stdio: { stdin: 'inherit', stdout: 'inherit', stderr: 'inherit' },
    });
    init.release();
    try {
      await startContainer(runtime, id);
    } catch (error) {
      const { deleteContainer } = await import('../../container/delete.js');
      await deleteContainer(runtime, id, true, { storage: store.storage }).catch((undo: unknown) => log().warn(`start ${id}: cleanup: ${errorMessage(undo)}`));
      throw error;
    }
    store.update(id, (current) => {
      Object.assign(current, networkFields(runtime.read(id).network));
    });
    // the networks joined with `network connect` beyond the first (loaded only when there are some)
    const current = store.read(id);
    if (Object.keys(current.NetworkingConfig.EndpointsConfig ?? {}).length > 0) {
      const { reattachNetworks } = await import('../network/connect.js');
      reattachNetworks(store.storage, current, state.pid);
    }
    return state.pid;
  } catch (error) {
    unmountOverlay(paths.rootfs);
    throw error;
  }
}

/** A runtime container or a mount left by a run whose cleanup never happened. */
export async function removeRuntimeLeftovers(store: ContainerStore, record: ContainerRecord): Promise<void> {
  const runtime = new StateStore(record.Root);
  if (runtime.exists(record.Id)) {
    const { deleteContainer } = await import('../../container/delete.js');
    await deleteContainer(runtime, record.Id, true, { storage: store.storage });
  }
  unmountOverlay(store.paths(record.Id).rootfs);
}

/**
 * --init: a copy of ts-runc-pid1 in the container's own directory, bound read-only at
 * /sbin/docker-init. A copy, not the build's file: nothing of the host's own binaries is
 * reachable from the container: a bind of build/ts-runc-pid1 would expose the host's
 * inode, which a process with /proc/self/exe of it could try to write (CVE-2019-5736's
 * path); the copy belongs to this container alone and goes with it.
 */
function copyInit(target: string): string {
  if (!existsSync(target)) {
    const source = pid1Binary();
    if (!existsSync(source)) throw new RuntimeError(`--init: ${source} is missing (make build)`);
    copyFileSync(source, `${target}.tmp`);
    chmodSync(`${target}.tmp`, 0o555);
    // rename: a concurrent start never sees half a copy
    renameSync(`${target}.tmp`, target);
  }
  return target;
}

/** The runtime's network record → inspect's NetworkSettings parts of the record. */
function networkFields(network: ReturnType<StateStore['read']>['network']): Pick<ContainerRecord, 'Ports' | 'Networks'> {
  if (!network || network.mode !== 'bridge' || !network.network) return { Ports: {}, Networks: {} };
  const ports: Record<string, PortBinding[] | null> = {};
  for (const port of network.ports) {
    const key = `${port.containerPort}/${port.protocol}`;
    (ports[key] ??= [])!.push({ HostIp: port.hostIp || '0.0.0.0', HostPort: String(port.hostPort) });
  }
  const attachment: NetworkAttachment = {
    NetworkID: network.network,
    Aliases: network.aliases,
    IPAddress: network.ip ?? '',
    IPPrefixLen: network.prefix ?? 0,
    Gateway: network.gateway ?? '',
    MacAddress: network.ip ? macForAddress(network.ip) : '',
  };
  return { Ports: ports, Networks: { [network.network]: attachment } };
}
