/**
 * `runtime({ root, storage })`: ts-runc as a library, for test suites and tools.
 *
 *   const rt = runtime({ root: tmp, storage: tmp2 });
 *   await using web = await rt.run({ image: 'fixture:3layers', cmd: ['httpd', '-f', '-p', '80'],
 *                                    network: 'none', waitFor: { port: 80 } });
 *   const { stdout, exitCode } = await web.exec(['wget', '-qO-', 'http://127.0.0.1/']);
 *
 * Built on the runtime library the CLI verbs call (src/container/, src/image/bundle.ts,
 * src/network/), with the same defaults as `ts-runc run --image`. (The engine's container
 * model, src/engine/, is a separate layer that may later sit beside this one.)
 *
 * Safe for parallel test workers: every container gets a random id unless named, and its
 * cgroup's name includes a hash of `root`. A container the caller forgot is deleted when
 * the process exits (a synchronous `ts-runc delete --force`, the only kind 'exit' allows).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContainer } from '../container/create.js';
import { deleteContainer } from '../container/delete.js';
import { killContainer } from '../container/kill.js';
import { startContainer } from '../container/start.js';
import { ociState } from '../container/status.js';
import { RuntimeError } from '../errors.js';
import { makeImageBundle, removeImageBundle } from '../image/bundle.js';
import { loadImages } from '../image/load.js';
import { ImageStore } from '../image/store.js';
import type { ImageRecord } from '../image/types.js';
import { createNetwork, listNetworks, type NetworkDef } from '../network/networks.js';
import { removeNetwork } from '../network/remove.js';
import { parseNetworkMode, DEFAULT_NETWORK, type NetworkRequest } from '../network/request.js';
import { hostIpv4Routes } from '../network/routes.js';
import { signalNumber } from '../process/signals.js';
import { StateStore, validateId, type OciState } from '../state/container-state.js';
import { containerDir } from '../storage.js';
import { Container } from './container.js';
import { waitForLog, waitForPort } from './wait.js';

export interface RuntimeOptions {
  /** container state (runc's --root): one per test keeps tests apart */
  root: string;
  /** images, container layers, networks (ts-runc's --storage) */
  storage: string;
}

export type WaitFor = { port: number; timeoutMs?: number } | { log: RegExp; timeoutMs?: number };

export interface RunOptions {
  /** image name, name:tag or id, loaded or pulled into `storage` first */
  image: string;
  /** replaces the image's Cmd */
  cmd?: string[];
  entrypoint?: string;
  /** the container id; default: 12 random hex digits */
  name?: string;
  env?: Record<string, string>;
  workdir?: string;
  /** user[:group], by name or number */
  user?: string;
  hostname?: string;
  /** 'none', 'host', 'container:<id>' or a network's name; default: ts-runc's default bridge network */
  network?: string;
  /** container port → host port (0: any free one; `port()` says which) */
  ports?: Record<number, number>;
  /** resolve only once the container listens on this port (its own netns), or wrote a matching line */
  waitFor?: WaitFor;
}

export interface CreateOptions {
  /** an OCI bundle: config.json and its rootfs */
  bundle: string;
  id?: string;
  network?: string;
  ports?: Record<number, number>;
}

export class Runtime {
  readonly store: StateStore;
  readonly root: string;
  readonly storage: string;
  private readonly live = new Map<string, Container>();
  private readonly onExit = () => this.deleteLeftovers();
  /**
   * SIGINT/SIGTERM (Ctrl-C on a test run, a CI timeout): 'exit' does not run when a signal
   * kills the process, so forgotten containers are deleted here, then the signal is raised
   * again so its default action (termination) proceeds — unless the program has its own
   * handler for it, which then decides (signal(7)).
   */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.stopWatching();
    this.deleteLeftovers();
    this.live.clear();
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  constructor(options: RuntimeOptions) {
    this.root = resolve(options.root);
    this.storage = resolve(options.storage);
    this.store = new StateStore(this.root);
  }

  /** Images in `storage`. */
  readonly images = {
    /** `ts-runc image load -i FILE`: a docker-archive or OCI layout tar */
    load: (file: string): Promise<ImageRecord[]> => loadImages(new ImageStore(this.storage), file),
    list: (): ImageRecord[] => new ImageStore(this.storage).list(),
    /** `ts-runc image rm`: refused while a container uses the image */
    remove: (ref: string): string[] => new ImageStore(this.storage).remove(ref),
    /**
     * `ts-runc image pull -q REF`: from a registry (plain HTTP only to 127.0.0.1/localhost,
     * src/image/registry/endpoint.ts), this machine's platform unless `platform` says
     * ("linux/arm64"). Resolves to the stored image.
     */
    pull: async (ref: string, options: { platform?: string; credentials?: { username: string; password: string } } = {}): Promise<ImageRecord> => {
      const [{ pullImage }, { Progress }, { parsePlatform }] = await Promise.all([
        import('../image/registry/pull.js'), import('../image/registry/progress.js'), import('../image/registry/platform.js'),
      ]);
      const result = await pullImage(new ImageStore(this.storage), ref, {
        progress: new Progress('quiet'),
        platform: options.platform === undefined ? undefined : parsePlatform(options.platform),
        credentials: options.credentials,
      });
      return result.image;
    },
  };

  /** Bridge networks in `storage`. */
  readonly networks = {
    create: (name: string, options: { subnet?: string; gateway?: string } = {}): NetworkDef =>
      createNetwork(this.storage, { name, ...options }, hostIpv4Routes),
    remove: (name: string): void => removeNetwork(this.storage, name),
    list: (): NetworkDef[] => listNetworks(this.storage),
  };

  /** Create and start a container from an image; resolves once `waitFor` holds. */
  async run(options: RunOptions): Promise<Container> {
    const id = options.name ?? randomId();
    validateId(id);
    if (this.store.exists(id)) throw new RuntimeError(`container with id ${id} already exists`);
    const dir = containerDir(this.storage, id);
    makeImageBundle({
      storage: this.storage, image: options.image, dir, container: id, root: this.root, volumes: [],
      run: {
        id, command: options.cmd ?? [], entrypoint: options.entrypoint, workdir: options.workdir, user: options.user, hostname: options.hostname,
        env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`), terminal: false,
      },
    });
    let container: Container;
    try {
      container = await this.createFrom(dir, id, this.networkRequest(options.network ?? DEFAULT_NETWORK, options.ports));
    } catch (error) {
      // A container that got as far as a state file is delete's to remove (createFrom did).
      if (!this.store.exists(id)) removeImageBundle(dir);
      throw error;
    }
    try {
      await startContainer(this.store, id);
      if (options.waitFor) {
        const timeoutMs = options.waitFor.timeoutMs ?? 30_000;
        if ('port' in options.waitFor) await waitForPort(container, options.waitFor.port, timeoutMs);
        else await waitForLog(container, options.waitFor.log, timeoutMs);
      }
    } catch (error) {
      await container.remove();
      throw error;
    }
    return container;
  }

  /** `ts-runc create -b BUNDLE`: the container waits for `start`. */
  async create(options: CreateOptions): Promise<Container> {
    const id = options.id ?? randomId();
    const network = options.network === undefined ? undefined : this.networkRequest(options.network, options.ports);
    return this.createFrom(resolve(options.bundle), id, network);
  }

  async start(id: string): Promise<void> {
    await startContainer(this.store, id);
  }

  kill(id: string, signal: NodeJS.Signals = 'SIGTERM'): void {
    killContainer(this.store, id, signalNumber(signal), false);
  }

  /** delete (--force: a running container is killed first) */
  async delete(id: string, options: { force?: boolean } = {}): Promise<void> {
    // Without force, a running container is refused (and kept) as by `ts-runc delete`.
    if (!options.force) await deleteContainer(this.store, id, false, { storage: this.storage });
    const handle = this.live.get(id);
    if (handle) await handle.remove(); // also its scratch directory
    else if (options.force) await deleteContainer(this.store, id, true, { storage: this.storage });
  }

  state(id: string): OciState {
    return ociState(this.store, this.store.read(id));
  }

  /** Remove every container this runtime made and has not removed yet. */
  async [Symbol.asyncDispose](): Promise<void> {
    for (const container of [...this.live.values()]) await container.remove();
  }

  private networkRequest(network: string, ports: Record<number, number> = {}): NetworkRequest {
    return {
      mode: parseNetworkMode(network), storage: this.storage, aliases: [], publishAll: false,
      publish: Object.entries(ports).map(([container, host]) => ({ hostIp: '', hostPort: host, containerPort: Number(container), protocol: 'tcp' as const })),
    };
  }

  private async createFrom(bundle: string, id: string, network: NetworkRequest | undefined): Promise<Container> {
    const scratch = mkdtempSync(join(tmpdir(), `ts-runc-${id}-`));
    const output = openSync(join(scratch, 'output.log'), 'w');
    let created;
    try {
      created = await createContainer(this.store, {
        id, bundle, network, foreground: true,
        stdio: { stdin: 'ignore', stdout: output, stderr: output },
      });
    } catch (error) {
      rmSync(scratch, { recursive: true, force: true });
      throw error;
    } finally {
      closeSync(output); // the container has its own copy
    }
    created.init.unref();
    const container = new Container(id, created.init, {
      store: this.store, storage: this.storage, scratch,
      forget: (gone) => {
        this.live.delete(gone);
        if (this.live.size === 0) this.stopWatching();
      },
    });
    if (this.live.size === 0) {
      process.on('exit', this.onExit);
      for (const signal of CLEANUP_SIGNALS) process.on(signal, this.onSignal);
    }
    this.live.set(id, container);
    return container;
  }

  private stopWatching(): void {
    process.off('exit', this.onExit);
    for (const signal of CLEANUP_SIGNALS) process.off(signal, this.onSignal);
  }

  /** At process exit, only synchronous work is possible: the CLI deletes what is left. */
  private deleteLeftovers(): void {
    const cli = fileURLToPath(new URL('../../dist/cli/entry.js', import.meta.url));
    for (const [id, container] of this.live) {
      if (existsSync(cli)) spawnSync(process.execPath, [cli, '--root', this.root, '--storage', this.storage, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
      rmSync(container.scratchDir, { recursive: true, force: true });
    }
  }
}

const CLEANUP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function runtime(options: RuntimeOptions): Runtime {
  return new Runtime(options);
}

function randomId(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString('hex');
}
