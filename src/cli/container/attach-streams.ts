/**
 * A terminal attached to a container through its monitor: what `container run` (in the
 * foreground), `start -a` and `attach` do with the caller's stdio.
 *
 *   the container's stdout → our stdout, its stderr → our stderr (one stream under -t)
 *   our stdin → its stdin (-i), raw under -t so ^C reaches its line discipline; the
 *     detach keys (default ctrl-p ctrl-q) leave it running and return
 *   our window size → its pty, now and at every SIGWINCH
 *   --sig-proxy (not under -t): SIGINT/SIGTERM/SIGHUP… we get are sent on to its init
 *
 * Ends at the container's exit (the monitor sends all output before EXITED), after our
 * stdout has taken the last byte.
 */
import { finished } from 'node:stream/promises';
import { RuntimeError } from '../../errors.js';
import type { MonitorClient } from '../../engine/monitor/client.js';

export interface AttachOptions {
  stdin: boolean;
  tty: boolean;
  /** docker's --detach-keys ("ctrl-p,ctrl-q"); "" disables detaching */
  detachKeys?: string;
  /** forward our signals to the container (`container kill -s`) */
  proxySignal?: (signal: NodeJS.Signals) => void;
}

export interface AttachResult {
  detached: boolean;
  exitCode?: number;
}

/** "ctrl-p,ctrl-q" → [0x10, 0x11]; "a,ctrl-[" → [0x61, 0x1b] (docker's term.ToBytes). */
export function detachSequence(keys: string): number[] {
  if (keys === '') return [];
  return keys.split(',').map((key) => {
    if (key.length === 1) return key.charCodeAt(0);
    const match = /^ctrl-([a-z@[\\\]^_])$/i.exec(key);
    if (!match) throw new RuntimeError(`--detach-keys ${keys}: ${JSON.stringify(key)} is not a key (use a letter or ctrl-<letter>, [, \\, ], ^, _, @)`);
    const c = match[1]!.toLowerCase();
    return c >= 'a' && c <= 'z' ? c.charCodeAt(0) - 96 : { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 }[c]!;
  });
}

/** `exit`: the client's next EXITED, registered before START (engine start's onClient). */
export async function attachStreams(client: MonitorClient, exit: Promise<number>, options: AttachOptions): Promise<AttachResult> {
  client.stdout.pipe(process.stdout, { end: false });
  client.stderr.pipe(process.stderr, { end: false });
  const stdin = process.stdin;
  const raw = options.tty && options.stdin && stdin.isTTY;
  const cleanups: (() => void)[] = [];
  let detach!: () => void;
  const detached = new Promise<'detached'>((resolve) => {
    detach = () => resolve('detached');
  });

  if (options.tty && process.stdout.isTTY) {
    const resize = () => client.resize(process.stdout.rows, process.stdout.columns);
    resize();
    process.on('SIGWINCH', resize);
    cleanups.push(() => process.off('SIGWINCH', resize));
  }
  if (options.stdin) {
    const sequence = detachSequence(options.detachKeys ?? 'ctrl-p,ctrl-q');
    // bytes that may be the start of the sequence are held back until we know (docker does the same)
    let pending: number[] = [];
    if (raw) stdin.setRawMode(true);
    const onData = (chunk: Buffer) => {
      const pass: number[] = [];
      for (const byte of chunk) {
        if (sequence.length > 0 && byte === sequence[pending.length]) {
          pending.push(byte);
          if (pending.length === sequence.length) {
            if (pass.length > 0) client.writeStdin(Buffer.from(pass));
            detach();
            return;
          }
          continue;
        }
        pass.push(...pending);
        pending = [];
        if (sequence.length > 0 && byte === sequence[0]) pending.push(byte);
        else pass.push(byte);
      }
      if (pass.length > 0) client.writeStdin(Buffer.from(pass));
    };
    stdin.on('data', onData);
    const onEnd = () => client.closeStdin();
    stdin.on('end', onEnd);
    cleanups.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdin.unref?.();
    });
  }
  if (options.proxySignal && !options.tty) {
    const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
    const handler = (signal: NodeJS.Signals) => options.proxySignal!(signal);
    for (const signal of signals) process.on(signal, handler);
    cleanups.push(() => { for (const signal of signals) process.off(signal, handler); });
  }

  try {
    const outcome = await Promise.race([exit, detached, client.closed.then(() => 'closed' as const)]);
    if (outcome === 'detached') {
      client.close();
      return { detached: true };
    }
    client.close();
    await client.closed;
    // the last bytes: the client's streams ended when the socket closed
    await Promise.all([finished(client.stdout).catch(() => {}), finished(client.stderr).catch(() => {})]);
    client.stdout.unpipe(process.stdout);
    client.stderr.unpipe(process.stderr);
    if (outcome === 'closed') throw new RuntimeError('the container\'s monitor went away before it exited', { exitCode: 125 });
    return { detached: false, exitCode: outcome };
  } finally {
    for (const cleanup of cleanups) cleanup();
  }
}
