/**
 * Taking over a connection for attach and exec start. Docker's clients ask with
 * `Connection: Upgrade` + `Upgrade: tcp`; the answer is `101 UPGRADED` and from then on
 * the socket carries the raw stream both ways (stdin in; stdout/stderr out, framed with
 * an 8-byte header unless the container has a tty). Older clients POST without the
 * upgrade headers and get `200` with the same stream (moby's "hijack"; output only here,
 * since Node's parser still owns the request side of that socket).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';

const upgrades = new WeakMap<IncomingMessage, { socket: Socket; head: Buffer }>();
/** the connections taken over: the http server no longer knows them, so closing it must end them */
const hijacked = new Set<Socket>();

/** Ends every taken-over connection (the service is closing). */
export function destroyHijacked(): void {
  for (const socket of hijacked) socket.destroy();
  hijacked.clear();
}

/**
 * The request's body when it came in `head` (the bytes after the headers that Node hands
 * over with the socket) instead of through the request stream: taken out of `head`, so it
 * never reaches the container's stdin.
 */
export function takeBodyFromHead(req: IncomingMessage, length: number): Buffer | undefined {
  const upgrade = upgrades.get(req);
  if (!upgrade || upgrade.head.length < length) return undefined;
  const body = upgrade.head.subarray(0, length);
  upgrade.head = upgrade.head.subarray(length);
  return body;
}

/** Called by the server for a request that came through the 'upgrade' event. */
export function setUpgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
  upgrades.set(req, { socket, head });
}

export interface Hijacked {
  /** what the client sends after the headers (stdin); ends at the client's half-close */
  input: NodeJS.ReadableStream;
  /** where the stream's output goes */
  output: NodeJS.WritableStream;
  /** whether stdin is there at all (an upgraded connection) */
  upgraded: boolean;
  /** the connection closed (the client went away) */
  onClose(fn: () => void): void;
  end(): void;
}

const CONTENT_TYPE = 'application/vnd.docker.raw-stream';

export function hijack(req: IncomingMessage, res: ServerResponse, multiplexed: boolean): Hijacked {
  const contentType = multiplexed ? 'application/vnd.docker.multiplexed-stream' : CONTENT_TYPE;
  const upgrade = upgrades.get(req);
  if (upgrade) {
    const { socket, head } = upgrade;
    res.detachSocket(socket);
    hijacked.add(socket);
    socket.on('close', () => hijacked.delete(socket));
    // Node may hand an upgrade whose body had not all arrived with its headers as a plain
    // Duplex over the socket (no setNoDelay): the 1-in-10 hang of docker-py's exec_run.
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true);
    socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
    // allowHalfOpen: the client's shutdown(SHUT_WR) is stdin's EOF, not the end of output
    (socket as Socket & { allowHalfOpen: boolean }).allowHalfOpen = true;
    if (head.length > 0) socket.unshift(head);
    let closed = false;
    return {
      input: socket,
      output: socket,
      upgraded: true,
      onClose(fn) {
        socket.on('close', fn);
      },
      end() {
        if (closed) return;
        closed = true;
        socket.end();
      },
    };
  }
  res.writeHead(200, { 'Content-Type': contentType });
  res.flushHeaders();
  const input = new PassThrough();
  input.end();
  return {
    input,
    output: res,
    upgraded: false,
    onClose(fn) {
      res.on('close', fn);
    },
    end() {
      res.end();
    },
  };
}

