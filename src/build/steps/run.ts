/**
 * RUN: the command runs in a container that ts-runc makes from the image so far, exactly
 * as `run --image` would (src/image/bundle.ts: an overlay of the image's layers plus a
 * fresh upper layer, config.json from the image config with Docker's capabilities and
 * seccomp profile; src/container/run.ts: create, start, wait), with:
 *
 *   args     the command: shell form through SHELL (default ["/bin/sh", "-c"]), exec form as is
 *   env      the image's Env, then the build args in effect that ENV does not override
 *            (ARG values reach RUN's environment but are not saved in the image config)
 *   user     the image's User; cwd its WorkingDir (created if missing)
 *   network  none unless RUN --network or the build's --network says host or default
 *   stdout   a socket whose output is streamed into the build output, stderr too
 *
 * When the command exits 0, the container's upper layer becomes the step's layer (an empty
 * one makes none), without the mount points the runtime had to create (mount-targets.ts);
 * either way the container is deleted (its state, overlay and upper layer).
 */
import { Socket } from 'node:net';
import { join } from 'node:path';
import { crypto } from '../../crypto.js';
import { RuntimeError } from '../../errors.js';
import { closeFd, unixSocketPair } from '../../sys/libc.js';
import { containerDir } from '../../storage.js';
import type { NetworkRequest } from '../../network/request.js';
import type { ImageStore } from '../../image/store.js';
import { layerFromUpper, type StageImage } from '../image-state.js';
import type { WorkDir } from '../workdir.js';
import { noteMountTargets, removeMountTargets } from './mount-targets.js';

export interface RunStep {
  store: ImageStore;
  storage: string;
  work: WorkDir;
  image: StageImage;
  /** the process's argv */
  args: string[];
  /** KEY=VALUE build args for the environment */
  env: string[];
  network: 'none' | 'host' | 'default';
  /** the command's output, as it comes */
  write(chunk: Buffer): void;
  /** " ---> Running in …" */
  started(id: string): void;
  /** the build's abort: the container is killed (its pid 1 would ignore SIGINT) */
  signal?: AbortSignal;
}

export interface RunResult {
  /** the container's id */
  id: string;
  status: number;
  layer?: Awaited<ReturnType<typeof layerFromUpper>>;
}

export async function runStep(step: RunStep): Promise<RunResult> {
  if (step.image.id === undefined || step.image.layerDirs.length === 0) {
    throw new RuntimeError('RUN needs a file system to run in: the image is empty (FROM scratch with nothing added yet)');
  }
  const [{ makeImageBundle, removeImageBundle }, { StateStore }, { runContainer }, { deleteContainer }, { DEFAULT_NETWORK }] = await Promise.all([
    import('../../image/bundle.js'), import('../../state/container-state.js'), import('../../container/run.js'),
    import('../../container/delete.js'), import('../../network/request.js'),
  ]);
  // 12 hex digits, what Docker prints of a container id.
  const id = crypto().randomBytes(6).toString('hex');
  const dir = containerDir(step.storage, id);
  const state = new StateStore(step.work.root);
  step.work.addContainer(id); // before anything exists, so a killed build's successor finds it
  const mode: NetworkRequest['mode'] = step.network === 'host' ? { kind: 'host' } : step.network === 'default' ? { kind: 'bridge', network: DEFAULT_NETWORK } : { kind: 'none' };
  const [ours, theirs] = unixSocketPair();
  const output = new Socket({ fd: ours, readable: true, writable: false });
  output.on('data', (chunk: Buffer) => step.write(chunk));
  const ended = new Promise<void>((resolve) => {
    output.on('end', resolve);
    output.on('close', resolve);
    output.on('error', () => resolve());
  });
  let theirsOpen = true;
  const closeTheirs = () => {
    if (theirsOpen) closeFd(theirs);
    theirsOpen = false;
  };
  try {
    const { spec } = makeImageBundle({
      storage: step.storage, image: step.image.id, dir, container: id, root: state.root,
      run: { id, command: step.args, entrypoint: '', env: step.env, terminal: false }, volumes: [],
    });
    const notes = noteMountTargets(join(dir, 'rootfs'), (spec.mounts ?? []).map((m) => m.destination), Object.keys(step.image.config.config?.Volumes ?? {}));
    step.started(id);
    let status: number;
    // A shell as pid 1 of its pid namespace ignores SIGINT (no handler, pid_namespaces(7)):
    // on abort the container is killed, as Docker's daemon kills a cancelled build's container.
    const { killContainer } = await import('../../container/kill.js');
    const kill = () => {
      try {
        if (state.exists(id)) killContainer(state, id, 9, true);
      } catch {
        // not started yet, or already gone: the finally below deletes it either way
      }
    };
    step.signal?.addEventListener('abort', kill);
    try {
      status = await runContainer(state, {
        id, bundle: dir, detach: false, keep: true,
        network: { mode, storage: step.storage, aliases: [], publish: [], publishAll: false },
        stdio: { stdin: 'ignore', stdout: theirs, stderr: theirs },
      });
    } catch (error) {
      if (!state.exists(id)) removeImageBundle(dir);
      throw error;
    } finally {
      step.signal?.removeEventListener('abort', kill);
    }
    if (step.signal?.aborted) throw new RuntimeError('build interrupted');
    closeTheirs();
    await ended;
    if (status !== 0) return { id, status };
    removeMountTargets(join(dir, '.ts-runc', 'upper'), notes);
    const layer = await layerFromUpper(step.store, join(dir, '.ts-runc', 'upper'), step.work.next('tar'), (diffId) => step.work.addPending(diffId));
    return { id, status, layer };
  } finally {
    closeTheirs();
    output.destroy();
    await deleteContainer(state, id, true, { storage: step.storage });
    step.work.removeContainer(id);
  }
}
