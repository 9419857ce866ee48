/**
 * Published ports: `-p [ip:]hostPort:containerPort[/tcp|udp]` (Docker's syntax), the
 * exposed-ports annotation `-P` reads, picking free host ports, and `port`'s output.
 */
import { isIPv4 } from 'node:net';
import { RuntimeError } from '../errors.js';

export type Protocol = 'tcp' | 'udp';

export interface PortMapping {
  /** host address the port is published on; "" = every address of the host */
  hostIp: string;
  /** 0 until a free one is picked (-P, or -p with only a container port) */
  hostPort: number;
  containerPort: number;
  protocol: Protocol;
}

/** Where a mapping takes traffic on the host: two that collide would DNAT the same packets. */
export type HostPort = Pick<PortMapping, 'hostIp' | 'hostPort' | 'protocol'>;

/** One port and protocol on the same address, or on every address ("") and any other. */
export function collides(a: HostPort, b: HostPort): boolean {
  return a.hostPort === b.hostPort && a.protocol === b.protocol && (a.hostIp === b.hostIp || a.hostIp === '' || b.hostIp === '');
}

/** Image containers carry their EXPOSE list in this annotation: "80/tcp,53/udp". */
export const EXPOSED_PORTS_ANNOTATION = 'io.ts-runc.image.exposed-ports';

function port(text: string, what: string, spec: string): number {
  if (/^\d+-\d+$/.test(text)) {
    throw new RuntimeError(`invalid port mapping ${JSON.stringify(spec)}: port ranges (${text}) are not supported; give one -p per port`);
  }
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new RuntimeError(`invalid port mapping ${JSON.stringify(spec)}: ${what} ${JSON.stringify(text)} is not a port (1-65535)`);
  }
  return Number(text);
}

/** "8080:80", "127.0.0.1:8080:80/udp", "80" (any free host port) → a mapping. */
export function parsePublish(spec: string): PortMapping {
  const [body = '', proto = 'tcp', ...extra] = spec.split('/');
  if (extra.length > 0 || (proto !== 'tcp' && proto !== 'udp')) {
    throw new RuntimeError(`invalid port mapping ${JSON.stringify(spec)}: protocol must be tcp or udp`);
  }
  const parts = body.split(':');
  if (parts.length > 3) throw new RuntimeError(`invalid port mapping ${JSON.stringify(spec)}: use [ip:]hostPort:containerPort[/tcp|udp]`);
  const containerPort = port(parts[parts.length - 1]!, 'container port', spec);
  const hostPortText = parts.length >= 2 ? parts[parts.length - 2]! : '';
  // 0.0.0.0 is docker's spelling of "every address": no `ip daddr` match, which 0.0.0.0 would never equal.
  const hostIp = parts.length === 3 && parts[0] !== '0.0.0.0' ? parts[0]! : '';
  if (hostIp !== '' && !isIPv4(hostIp)) {
    throw new RuntimeError(`invalid port mapping ${JSON.stringify(spec)}: ${JSON.stringify(hostIp)} is not an IPv4 address`);
  }
  const hostPort = hostPortText === '' ? 0 : port(hostPortText, 'host port', spec);
  return { hostIp, hostPort, containerPort, protocol: proto };
}

/** The annotation's "80/tcp,53/udp,8080" → mappings to any free host port. */
export function exposedPorts(annotation: string | undefined): PortMapping[] {
  if (!annotation) return [];
  return annotation.split(',').map((item) => item.trim()).filter(Boolean).map((item) => {
    const [num = '', proto = 'tcp'] = item.split('/');
    if (proto !== 'tcp' && proto !== 'udp') throw new RuntimeError(`${EXPOSED_PORTS_ANNOTATION}: ${JSON.stringify(item)}: protocol must be tcp or udp`);
    return { hostIp: '', hostPort: 0, containerPort: port(num, 'exposed port', item), protocol: proto };
  });
}

/**
 * A host port nobody listens on now: bind port 0 and let the kernel choose (in ts-runc's
 * own network namespace, which is the host's). The port is free, not reserved; DNAT
 * takes the traffic before any later listener would see it, as with Docker's iptables mode.
 */
export async function freePort(protocol: Protocol, hostIp: string): Promise<number> {
  const address = hostIp || '0.0.0.0';
  // Imported here: every create parses -p through this module, few pick free ports.
  if (protocol === 'udp') {
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => { socket.once('error', reject); socket.bind(0, address, resolve); });
    const found = socket.address().port;
    socket.close();
    return found;
  }
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, address, resolve); });
  const bound = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (bound === null || typeof bound === 'string') throw new RuntimeError('could not pick a free host port');
  return bound.port;
}

/** Where a mapping listens on the host: "0.0.0.0:8080" (what `docker port ID 80` prints). */
export function formatHostAddress(m: PortMapping): string {
  return `${m.hostIp || '0.0.0.0'}:${m.hostPort}`;
}

/** `port` prints one line per mapping, as `docker port` does: "80/tcp -> 0.0.0.0:8080". */
export function formatMapping(m: PortMapping): string {
  return `${m.containerPort}/${m.protocol} -> ${formatHostAddress(m)}`;
}

/** Two mappings of the same host port and protocol would both DNAT the same packets. */
export function checkNoDuplicateHostPorts(mappings: readonly PortMapping[]): void {
  mappings.forEach((m, i) => {
    if (m.hostPort !== 0 && mappings.slice(0, i).some((earlier) => collides(earlier, m))) {
      throw new RuntimeError(`host port ${formatHostAddress(m)}/${m.protocol} is published twice`);
    }
  });
}
