/**
 * `ts-runc container attach [--no-stdin] [--sig-proxy=false] [--detach-keys K] CONTAINER`:
 * our terminal on a running container's stdio (through its monitor) until it exits (its
 * exit code is ours) or the detach keys are typed (ctrl-p ctrl-q by default).
 */
import { RuntimeError } from '../../errors.js';
import { bool, parseFlags, str, type FlagSpec } from '../args.js';
import type { Command } from '../command.js';
import { checkArgs } from '../help.js';
import { attachStreams } from './attach-streams.js';

const FLAGS: FlagSpec[] = [
  { name: 'no-stdin', type: 'bool', help: 'do not attach stdin' },
  { name: 'sig-proxy', type: 'bool', help: 'pass the signals we receive to the container (default true)' },
  { name: 'detach-keys', type: 'string', help: 'keys that detach (default ctrl-p,ctrl-q)' },
];

export const command: Command = {
  synopsis: '[options] CONTAINER',
  summary: 'attach our terminal to a running container',
  flags: FLAGS,
  async run({ globals }, argv) {
    const parsed = parseFlags(argv, FLAGS, 'container attach');
    const [ref] = checkArgs(parsed, 'container attach', command.synopsis) as [string];
    const [{ ContainerStore }, { containerView }, { MonitorClient }] = await Promise.all([
      import('../../engine/containers/store.js'), import('../../engine/containers/status.js'), import('../../engine/monitor/client.js'),
    ]);
    const store = new ContainerStore(globals.storage);
    const record = store.resolve(ref);
    const view = containerView(store, record);
    if (!view.state.Running || !view.monitorAlive) throw new RuntimeError(`cannot attach to container ${record.Name.slice(1)}: it is not running`);
    const client = await MonitorClient.connect(store.paths(record.Id).dir, { stdout: true, stderr: true });
    const exit = client.nextExit().then((e) => e.exitCode);
    exit.catch(() => {});
    const stdin = record.Config.OpenStdin === true && !bool(parsed, 'no-stdin');
    const detachKeys = str(parsed, 'detach-keys');
    const { StateStore } = await import('../../state/container-state.js');
    const { killContainer } = await import('../../container/kill.js');
    const { parseSignal } = await import('../../process/signals.js');
    const result = await attachStreams(client, exit, {
      stdin,
      tty: record.Config.Tty === true,
      ...(detachKeys !== undefined ? { detachKeys } : {}),
      ...(parsed.flags.get('sig-proxy') !== false ? {
        proxySignal: (signal: NodeJS.Signals) => {
          try {
            killContainer(new StateStore(record.Root), record.Id, parseSignal(signal), false);
          } catch {
            // exited meanwhile
          }
        },
      } : {}),
    });
    return result.detached ? 0 : (result.exitCode ?? 125);
  },
};
