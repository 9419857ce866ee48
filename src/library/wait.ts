/**
 * `waitFor` of rt.run(): until the container listens on a port, or wrote a matching line.
 *
 * A port is looked for in the container's own network namespace, through
 * /proc/<pid>/net/tcp and tcp6 (proc(5): those files show the sockets of the reading
 * path's process's netns): no connection is made, so it works with `network: 'none'` and
 * without the caller being able to reach the container's address.
 */
import { readFileSync } from 'node:fs';
import { RuntimeError } from '../errors.js';
import type { Container } from './container.js';

/** TCP_LISTEN in the `st` column of /proc/net/tcp (include/net/tcp_states.h). */
const TCP_LISTEN = '0A';

export function listeningPorts(pid: number): Set<number> {
  const ports = new Set<number>();
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      // "sl local_address rem_address st ...": local_address is HEXIP:HEXPORT
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === TCP_LISTEN && local) ports.add(parseInt(local.split(':')[1]!, 16));
    }
  }
  return ports;
}

export async function waitForPort(container: Container, port: number, timeoutMs: number): Promise<void> {
  await poll(container, timeoutMs, `listen on port ${port}`, () => listeningPorts(container.pid).has(port));
}

export async function waitForLog(container: Container, pattern: RegExp, timeoutMs: number): Promise<void> {
  await poll(container, timeoutMs, `write a line matching ${pattern}`, () => pattern.test(container.logs()));
}

async function poll(container: Container, timeoutMs: number, what: string, ready: () => boolean): Promise<void> {
  let exited: number | undefined;
  void container.wait().then((status) => { exited = status; }, () => { exited = -1; });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (ready()) return;
    if (exited !== undefined) {
      throw new RuntimeError(`container ${container.id} exited (status ${exited}) before it would ${what}; its output:\n${container.logs()}`);
    }
    if (Date.now() > deadline) {
      throw new RuntimeError(`container ${container.id} did not ${what} within ${timeoutMs} ms; its output:\n${container.logs()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
