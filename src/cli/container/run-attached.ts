/**
 * Starting a container with our terminal attached (`container run` in the foreground,
 * `container start -a`): subscribe, register for the exit, START, then copy streams until
 * it exits or the detach keys are typed. With --rm, we return once it has been removed.
 */
import type { MonitorClient } from '../../engine/monitor/client.js';
import { attachStreams } from './attach-streams.js';

export interface AttachedRun {
  attach: { stdin: boolean; stdout: boolean; stderr: boolean };
  detachKeys?: string;
  sigProxy: boolean;
  request?: { hostConfig: { AutoRemove?: boolean } };
}

export async function runAttached(storage: string, id: string, run: AttachedRun): Promise<number> {
  const [{ startContainer, waitForMonitorExit }, { ContainerStore }, { killContainer }] = await Promise.all([
    import('../../engine/lifecycle/start.js'), import('../../engine/containers/store.js'), import('../../container/kill.js'),
  ]);
  const { StateStore } = await import('../../state/container-state.js');
  const { parseSignal } = await import('../../process/signals.js');
  const store = new ContainerStore(storage);
  const record = store.read(id);
  // We wait for the exit, and with --rm for the removal: the cleanup is done here, not by a
  // hook process of its own (engine/lifecycle/cleaner.ts), unless we are gone by then.
  const { serveCleanups } = await import('../../engine/lifecycle/cleaner.js');
  await serveCleanups(storage).catch(() => undefined);
  let exit!: Promise<number>;
  let restarting = false;
  const started = await startContainer(storage, id, {
    attach: { stdout: run.attach.stdout, stderr: run.attach.stderr },
    onClient: (client: MonitorClient) => {
      exit = client.nextExit().then((e) => {
        restarting = e.restarting;
        return e.exitCode;
      });
      exit.catch(() => {});
    },
  });
  const client = started.client!;
  const result = await attachStreams(client, exit, {
    stdin: run.attach.stdin,
    tty: record.Config.Tty === true,
    ...(run.detachKeys !== undefined ? { detachKeys: run.detachKeys } : {}),
    ...(run.sigProxy ? {
      proxySignal: (signal: NodeJS.Signals) => {
        try {
          killContainer(new StateStore(record.Root), id, parseSignal(signal), false);
        } catch {
          // exited meanwhile
        }
      },
    } : {}),
  });
  if (result.detached) return 0;
  // Docker's run returns once the exit is fully recorded (OOMKilled comes from the cleanup
  // hook, after EXITED) and, with --rm, the container is gone; a policy restart goes on
  if (!restarting) await waitForMonitorExit(store.paths(id).dir, 60_000, record.Name.slice(1)).catch(() => {});
  return result.exitCode ?? 125;
}
