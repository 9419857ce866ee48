/**
 * `container port CONTAINER [PRIVATE_PORT[/PROTO]]`: the published ports while the
 * container runs, as inspect's NetworkSettings.Ports has them.
 */
import { RuntimeError } from '../../errors.js';
import { ContainerStore } from '../containers/store.js';
import { containerView } from '../containers/status.js';
import type { PortBinding } from '../types.js';

export interface PortLine {
  /** "80/tcp" */
  port: string;
  HostIp: string;
  HostPort: string;
}

/** Each binding of each published port; with `filter` ("80", "80/udp") only that one (an error if it is not published). */
export function containerPorts(storage: string, reference: string, filter?: string): PortLine[] {
  const store = new ContainerStore(storage);
  const view = containerView(store, store.resolve(reference));
  const running = view.state.Running || view.state.Paused;
  const ports: Record<string, PortBinding[] | null> = running ? view.record.Ports ?? {} : {};
  let wanted: string | undefined;
  if (filter !== undefined) {
    const [number, proto = 'tcp'] = filter.split('/');
    if (!/^\d+$/.test(number ?? '') || (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp')) {
      throw new RuntimeError(`port: invalid port ${JSON.stringify(filter)}: PORT[/tcp|udp]`);
    }
    wanted = `${number}/${proto}`;
  }
  const lines: PortLine[] = [];
  const keys = Object.keys(ports).sort((a, b) => parseInt(a, 10) - parseInt(b, 10) || a.localeCompare(b));
  for (const port of keys) {
    if (wanted !== undefined && port !== wanted) continue;
    for (const b of ports[port] ?? []) lines.push({ port, HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort ?? '' });
  }
  if (wanted !== undefined && lines.length === 0) throw new RuntimeError(`no public port '${wanted}' published for ${reference}`);
  return lines;
}
