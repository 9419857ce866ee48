/**
 * A client of a container's monitor: what `run`, `start -a`, `attach`, `stop` and `kill`
 * use to talk to it over DIR/attach.sock (frames in protocol.ts).
 *
 * The socket's path can be longer than the 108 bytes a sockaddr_un holds (a temporary
 * --storage), so we open the directory and connect to /proc/self/fd/<dirfd>/attach.sock,
 * as conmon's clients do.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { RuntimeError, errorMessage } from '../../errors.js';
import {
  FrameDecoder,
  IN,
  OUT,
  decodeExited,
  decodeStartFailed,
  decodeStarted,
  encodeFrame,
  encodeResize,
  encodeSubscribe,
  type ExitedPayload,
  type Frame,
  type StartedPayload,
} from './protocol.js';

export interface ConnectOptions {
  /** receive the container's stdout (STDOUT frames) on client.stdout */
  stdout?: boolean;
  /** receive the container's stderr on client.stderr */
  stderr?: boolean;
}

/** unread output kept per stream before more is dropped (as the monitor's per-client backlog) */
const STREAM_BACKLOG = 4 << 20;

type StartWaiter = { resolve: (started: StartedPayload) => void; reject: (error: Error) => void };

export class MonitorClient {
  /** the container's stdout (a tty's whole output), while subscribed */
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  /** resolves when the monitor closed the connection (it exited) or close() was called */
  readonly closed: Promise<void>;
  /** output bytes dropped because stdout/stderr were not read fast enough */
  dropped = 0;
  private readonly decoder = new FrameDecoder();
  private readonly exitListeners = new Set<(exit: ExitedPayload) => void>();
  private startWaiters: StartWaiter[] = [];
  /** exits that no nextExit() has taken yet: an EXITED can come in the same read as STARTED */
  private unclaimedExits: ExitedPayload[] = [];
  private ended = false;

  private constructor(
    private readonly socket: Socket,
    readonly dir: string,
  ) {
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.ended = true;
        this.stdout.end();
        this.stderr.end();
        for (const waiter of this.startWaiters) waiter.reject(new RuntimeError(`monitor of ${dir} went away before the container started`, { exitCode: 125 }));
        this.startWaiters = [];
        resolve();
      });
    });
    socket.on('error', () => {}); // 'close' follows and says it
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.dispatch(frame);
    });
  }

  /** Connects to the monitor of the container in `dir`. */
  static async connect(dir: string, options: ConnectOptions = {}): Promise<MonitorClient> {
    const dirFd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    let socket: Socket;
    try {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = createConnection({ path: `/proc/self/fd/${dirFd}/attach.sock` });
        s.once('connect', () => resolve(s));
        s.once('error', reject);
      });
    } catch (error) {
      throw new RuntimeError(`cannot reach the monitor of ${dir}: ${errorMessage(error)} (is it running?)`, { exitCode: 125, cause: error });
    } finally {
      closeSync(dirFd);
    }
    const client = new MonitorClient(socket, dir);
    if (options.stdout || options.stderr) socket.write(encodeSubscribe(!!options.stdout, !!options.stderr));
    return client;
  }

  private dispatch(frame: Frame): void {
    switch (frame.type) {
      case OUT.STDOUT:
      case OUT.STDERR: {
        const stream = frame.type === OUT.STDOUT ? this.stdout : this.stderr;
        // The socket is never paused for a slow reader of stdout: STARTED and EXITED come
        // on it too, behind the output. Past STREAM_BACKLOG unread bytes, output is
        // dropped here, as the monitor drops it for a client that does not read at all;
        // the log has everything.
        if (stream.readableLength + stream.writableLength > STREAM_BACKLOG) this.dropped += frame.payload.length;
        else stream.write(Buffer.from(frame.payload)); // a copy: the payload is a view into the chunk
        break;
      }
      case OUT.STARTED: {
        const started = decodeStarted(frame.payload);
        for (const waiter of this.startWaiters.splice(0)) waiter.resolve(started);
        break;
      }
      case OUT.START_FAILED: {
        const failed = decodeStartFailed(frame.payload);
        const error = new RuntimeError(failed.error, { exitCode: failed.exitCode });
        for (const waiter of this.startWaiters.splice(0)) waiter.reject(error);
        break;
      }
      case OUT.EXITED: {
        const exited = decodeExited(frame.payload);
        this.unclaimedExits.push(exited);
        for (const listener of [...this.exitListeners]) listener(exited);
        break;
      }
      default:
        break; // a newer monitor's frame
    }
  }

  private send(frame: Buffer): boolean {
    if (this.ended) return false;
    return this.socket.write(frame);
  }

  /**
   * START: the monitor runs `HOOK init`. Resolves with the container's pid, or rejects with
   * the hook's error (a RuntimeError whose exitCode is 125, 126 or 127, as Docker's).
   */
  start(): Promise<StartedPayload> {
    if (this.ended) return Promise.reject(new RuntimeError(`monitor of ${this.dir} is gone`, { exitCode: 125 }));
    const result = new Promise<StartedPayload>((resolve, reject) => this.startWaiters.push({ resolve, reject }));
    this.send(encodeFrame(IN.START));
    return result;
  }

  /** Bytes for the container's stdin; false when the socket's buffer is full (wait for 'drain'). */
  writeStdin(data: Buffer | string): boolean {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let ok = true;
    // frames of at most 64 KiB: the monitor refuses frames over 1 MiB
    for (let offset = 0; offset < bytes.length; offset += 65536) ok = this.send(encodeFrame(IN.STDIN, bytes.subarray(offset, offset + 65536))) && ok;
    return ok;
  }

  /** Waits until the socket's outgoing buffer has drained. */
  drain(): Promise<void> {
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('drain', resolve));
  }

  closeStdin(): void {
    this.send(encodeFrame(IN.STDIN_CLOSE));
  }

  resize(rows: number, cols: number): void {
    this.send(encodeResize(rows, cols));
  }

  /** The user stopped or killed the container: the restart policy must not bring it back. */
  noRestart(): void {
    this.send(encodeFrame(IN.NO_RESTART));
  }

  /** Called at every exit of the container (with restarting: true when the policy restarts it). */
  onExit(listener: (exit: ExitedPayload) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /**
   * The first exit this client has seen and not yet returned (so one that came before the
   * call, e.g. right after STARTED, is not missed); rejects if the monitor goes away first.
   */
  nextExit(): Promise<ExitedPayload> {
    const seen = this.unclaimedExits.shift();
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const off = this.onExit(() => {
        off();
        resolve(this.unclaimedExits.shift()!);
      });
      void this.closed.then(() => {
        off();
        reject(new RuntimeError(`monitor of ${this.dir} went away`, { exitCode: 125 }));
      });
    });
  }

  /** Ends the connection (the monitor and the container go on). */
  close(): void {
    this.socket.end();
  }

  /** Ends it and waits for the socket to close. */
  async closeAndWait(): Promise<void> {
    this.close();
    await this.closed;
  }
}
