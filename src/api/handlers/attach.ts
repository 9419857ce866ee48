/**
 * POST /containers/{id}/attach and /start, which meet here: `docker run` attaches BEFORE
 * it starts, but a container's monitor exists only once it is started (src/engine/
 * README.md). So an attach to a container that is not running waits in `pending`, and
 * the start that follows starts it already subscribed (startContainer's `attach`) and
 * hands the monitor client over: no byte of output is lost between the two requests.
 *
 * The stream: stdout and stderr from the monitor, framed (frames.ts) unless the container
 * has a tty; stdin from the client to the monitor, scanned for the detach keys (default
 * ctrl-p ctrl-q), which end the attach and leave the container running. The client's
 * half-close of stdin closes the container's stdin when it was created with StdinOnce
 * (`docker run -i`), as dockerd does.
 */
import type { ServerResponse } from 'node:http';
import { containerView } from '../../engine/containers/status.js';
import { startContainer } from '../../engine/lifecycle/start.js';
import { MonitorClient } from '../../engine/monitor/client.js';
import { readLogs } from '../../engine/logs/read.js';
import type { ContainerRecord } from '../../engine/types.js';
import { errorMessage } from '../../errors.js';
import { outputChunk } from '../frames.js';
import { ApiError, badRequest } from '../http.js';
import { hijack, type Hijacked } from '../hijack.js';
import type { Call } from '../router.js';
import type { ApiContext } from '../context.js';
import { containerStore, findContainer, translate, watchExit } from './container-ref.js';

type Waiter = (client: MonitorClient | undefined) => void;
const pending = new Map<string, Waiter[]>();

/** "ctrl-p,ctrl-q" → the bytes (docker's term.ToBytes: ctrl-@..ctrl-_ and single characters). */
export function detachKeyBytes(spec: string): Buffer {
  const bytes: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim().toLowerCase();
    if (k.length === 1) bytes.push(k.charCodeAt(0));
    else if (/^ctrl-[a-z@[\\\]^_]$/.test(k)) {
      const c = k.charCodeAt(5);
      bytes.push(c >= 97 && c <= 122 ? c - 96 : c === 64 ? 0 : c - 64);
    } else throw badRequest(`invalid detach keys ${JSON.stringify(spec)}: use ctrl-<letter> or single characters, comma-separated`);
  }
  return Buffer.from(bytes);
}

/**
 * Copies stdin to `write`, holding back bytes that could be the start of the detach
 * sequence; the whole sequence calls `detach` instead of being written.
 */
export class DetachScanner {
  private held = 0;
  constructor(private readonly keys: Buffer, private readonly write: (b: Buffer) => void, private readonly detach: () => void) {}

  push(chunk: Buffer): void {
    if (this.keys.length === 0) {
      this.write(chunk);
      return;
    }
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.keys[this.held]) {
        this.held++;
        if (this.held === this.keys.length) {
          this.held = 0;
          if (out.length > 0) this.write(Buffer.from(out));
          this.detach();
          return;
        }
        continue;
      }
      // not the sequence after all: what was held back goes through
      if (this.held > 0) out.push(...this.keys.subarray(0, this.held));
      this.held = 0;
      if (byte === this.keys[0]) this.held = 1;
      else out.push(byte);
    }
    if (out.length > 0) this.write(Buffer.from(out));
  }
}

/** Pumps a monitor client's output into the hijacked stream; resolves when the output has ended. */
function pumpOutput(client: MonitorClient, stream: Hijacked, tty: boolean, want: { stdout: boolean; stderr: boolean }): Promise<void> {
  const ends: Promise<void>[] = [];
  for (const kind of ['stdout', 'stderr'] as const) {
    if (!want[kind]) continue;
    const source = client[kind];
    ends.push(new Promise((resolve) => {
      source.on('data', (chunk: Buffer) => {
        if (!stream.output.write(outputChunk(tty, kind, chunk))) {
          source.pause();
          stream.output.once('drain', () => source.resume());
        }
      });
      source.on('end', () => resolve());
      source.on('close', () => resolve());
      source.on('error', () => resolve());
    }));
  }
  return Promise.all(ends).then(() => undefined);
}

function serveStream(ctx: ApiContext, record: ContainerRecord, client: MonitorClient, stream: Hijacked, options: { stdin: boolean; stdout: boolean; stderr: boolean; detachKeys: Buffer }): void {
  const tty = record.Config.Tty === true;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    client.close();
    stream.end();
  };
  void pumpOutput(client, stream, tty, options).then(finish);
  void client.closed.then(finish);
  stream.onClose(() => {
    if (!done) {
      done = true;
      client.close();
    }
  });
  if (options.stdin && stream.upgraded) {
    const scanner = new DetachScanner(options.detachKeys, (bytes) => {
      if (!client.writeStdin(bytes)) {
        (stream.input as NodeJS.ReadableStream).pause();
        void client.drain().then(() => (stream.input as NodeJS.ReadableStream).resume());
      }
    }, () => {
      ctx.log.debug(`attach ${record.Id}: detached by the detach keys`);
      finish();
    });
    stream.input.on('data', (chunk: Buffer) => scanner.push(chunk));
    stream.input.on('end', () => {
      if (record.Config.StdinOnce) client.closeStdin();
      // without stdin to send, the attach goes on until the output ends
    });
  }
}

function attachOptions(call: Call): { stdin: boolean; stdout: boolean; stderr: boolean; logs: boolean; stream: boolean; detachKeys: Buffer } {
  const q = call.query;
  return {
    stdin: q.bool('stdin'),
    stdout: q.bool('stdout'),
    stderr: q.bool('stderr'),
    logs: q.bool('logs'),
    stream: q.bool('stream'),
    detachKeys: detachKeyBytes(q.str('detachKeys') || 'ctrl-p,ctrl-q'),
  };
}

export async function attach(call: Call): Promise<void> {
  const { req, res, params, ctx } = call;
  const record = findContainer(ctx, params.id!);
  const options = attachOptions(call);
  const store = containerStore(ctx);
  const view = containerView(store, record);
  const dir = store.paths(record.Id).dir;
  const stream = hijack(req, res, record.Config.Tty !== true);
  // logs=1: what the container has logged so far first (dockerd replays the log, then streams)
  if (options.logs && (record.HostConfig.LogConfig?.Type ?? 'json-file') === 'json-file') {
    for await (const entry of readLogs(ctx.storage, record.Id, { stdout: options.stdout, stderr: options.stderr })) {
      stream.output.write(outputChunk(record.Config.Tty === true, entry.stream, entry.line));
    }
  }
  if (!options.stream) {
    stream.end();
    return;
  }
  if (view.monitorAlive && (view.state.Running || view.state.Restarting)) {
    let client: MonitorClient;
    try {
      client = await MonitorClient.connect(dir, { stdout: options.stdout, stderr: options.stderr });
    } catch (error) {
      ctx.log.warn(`attach ${record.Id}: ${errorMessage(error)}`);
      stream.end();
      return;
    }
    serveStream(ctx, record, client, stream, options);
    return;
  }
  // Not running: wait for the start that follows (docker run's order), then stream.
  const client = await new Promise<MonitorClient | undefined>((resolve) => {
    const waiters = pending.get(record.Id) ?? [];
    waiters.push(resolve);
    pending.set(record.Id, waiters);
    stream.onClose(() => {
      const left = (pending.get(record.Id) ?? []).filter((w) => w !== resolve);
      if (left.length > 0) pending.set(record.Id, left);
      else pending.delete(record.Id);
      resolve(undefined);
    });
  });
  if (!client) {
    stream.end();
    return;
  }
  serveStream(ctx, record, client, stream, options);
}

export async function start({ res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  if (query.str('checkpoint')) throw new ApiError(501, 'POST /containers/{id}/start?checkpoint=: checkpoints are not supported');
  const waiters = pending.get(record.Id) ?? [];
  pending.delete(record.Id);
  let started;
  try {
    started = await startContainer(ctx.storage, record.Id, waiters.length > 0 ? { attach: { stdout: true, stderr: true } } : {});
  } catch (error) {
    for (const w of waiters) w(undefined);
    translate(error);
  }
  if (started.alreadyRunning) {
    for (const w of waiters) w(undefined);
    res.writeHead(304);
    res.end();
    return;
  }
  watchExit(ctx, record.Id);
  const [first, ...others] = waiters;
  if (first) first(started.client);
  // a second attacher subscribes on its own connection (it may miss the very first bytes)
  for (const w of others) {
    MonitorClient.connect(containerStore(ctx).paths(record.Id).dir, { stdout: true, stderr: true }).then(w, () => w(undefined));
  }
  res.writeHead(204);
  res.end();
}

/** POST /containers/{id}/resize?h=&w=: the tty's size, through the monitor. */
export async function resize({ res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const h = query.int('h', 0);
  const w = query.int('w', 0);
  if (h <= 0 || w <= 0 || h > 65535 || w > 65535) throw badRequest('resize: h and w must be 1-65535');
  const store = containerStore(ctx);
  if (!containerView(store, record).state.Running) throw new ApiError(409, `Container ${record.Id} is not running`);
  const client = await MonitorClient.connect(store.paths(record.Id).dir);
  client.resize(h, w);
  await client.closeAndWait();
  endOk(res);
}

function endOk(res: ServerResponse): void {
  res.writeHead(200);
  res.end();
}
