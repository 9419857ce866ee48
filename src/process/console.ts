/**
 * `run -t` and `exec -t` in the foreground: the container's pty master comes to us over a
 * console socket (the init sends it with SCM_RIGHTS, exactly as it does for podman's or
 * containerd's `--console-socket`), and we copy bytes between it and our own terminal,
 * which we switch to raw mode so keys like ^C reach the container's line discipline.
 */
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptUnix, closeFd, listenUnix, receiveFd, setWindowSize } from '../sys/libc.js';

export class ConsoleListener {
  readonly path = join(tmpdir(), `ts-runc-console-${process.pid}-${Date.now()}.sock`);
  private readonly fd = listenUnix(this.path);

  /** The pty master, once the init has connected and sent it (after its `terminal` step). */
  receiveMaster(): number {
    const connection = acceptUnix(this.fd);
    try {
      return receiveFd(connection);
    } finally {
      closeFd(connection);
    }
  }

  close(): void {
    closeFd(this.fd);
    rmSync(this.path, { force: true });
  }
}

/**
 * Copy between our stdio and the pty. The returned function is called once the container
 * has exited: it waits (briefly) for the last output to drain, then restores our terminal.
 */
export function attachTerminal(master: number): () => Promise<void> {
  const stdin = process.stdin;
  const resize = () => {
    if (process.stdout.isTTY) setWindowSize(master, process.stdout.rows, process.stdout.columns);
  };
  resize();
  if (stdin.isTTY) stdin.setRawMode(true);
  process.on('SIGWINCH', resize);
  const toContainer = createWriteStream('', { fd: master, autoClose: false });
  const fromContainer = createReadStream('', { fd: master, autoClose: false });
  stdin.pipe(toContainer);
  // A read of the master fails with EIO once no process holds the pty's other side.
  const drained = new Promise<void>((resolve) => {
    fromContainer.on('error', () => resolve());
    fromContainer.on('end', () => resolve());
  });
  fromContainer.pipe(process.stdout, { end: false });
  return async () => {
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000))]);
    process.off('SIGWINCH', resize);
    if (stdin.isTTY) stdin.setRawMode(false);
    stdin.unpipe(toContainer);
    stdin.destroy();
  };
}
