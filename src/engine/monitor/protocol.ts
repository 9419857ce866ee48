/**
 * The monitor's attach socket (native/monitor/protocol.h; keep the two in step): every
 * message, both ways, is a frame
 *
 *     u8 type | u32 length, big-endian | payload
 *
 * A frame type means one thing from the client and another from the monitor (IN vs OUT).
 */

/** client → monitor */
export const IN = {
  /** bytes for the container's stdin (or the pty master) */
  STDIN: 1,
  /** close the container's stdin pipe: EOF for the container */
  STDIN_CLOSE: 2,
  /** u16 rows, u16 cols: TIOCSWINSZ on the pty master */
  RESIZE: 3,
  /** run `HOOK init`: the first start of a monitor waits for this */
  START: 4,
  /** the user stopped or killed the container: never restart it again */
  NO_RESTART: 5,
  /** u8 mask (SUBSCRIBE_STDOUT | SUBSCRIBE_STDERR): which output this client gets */
  SUBSCRIBE: 6,
} as const;

/** monitor → client */
export const OUT = {
  STDOUT: 1,
  STDERR: 2,
  /** {"pid":N} */
  STARTED: 3,
  /** {"error":"…","exitCode":N} */
  START_FAILED: 4,
  /** {"exitCode":N,"restarting":bool} */
  EXITED: 5,
} as const;

export const SUBSCRIBE_STDOUT = 1;
export const SUBSCRIBE_STDERR = 2;
export const FRAME_HEADER = 5;
/** the monitor disconnects a client that sends a larger frame */
export const FRAME_MAX_IN = 1 << 20;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(FRAME_HEADER);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(body.length, 1);
  return Buffer.concat([header, body]);
}

export function encodeResize(rows: number, cols: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt16BE(rows & 0xffff, 0);
  payload.writeUInt16BE(cols & 0xffff, 2);
  return encodeFrame(IN.RESIZE, payload);
}

export function encodeSubscribe(stdout: boolean, stderr: boolean): Buffer {
  return encodeFrame(IN.SUBSCRIBE, Buffer.from([(stdout ? SUBSCRIBE_STDOUT : 0) | (stderr ? SUBSCRIBE_STDERR : 0)]));
}

/** Splits a byte stream into frames; bytes of an incomplete frame wait for the next push. */
export class FrameDecoder {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    let offset = 0;
    while (this.pending.length - offset >= FRAME_HEADER) {
      const length = this.pending.readUInt32BE(offset + 1);
      if (this.pending.length - offset < FRAME_HEADER + length) break;
      const start = offset + FRAME_HEADER;
      frames.push({ type: this.pending.readUInt8(offset), payload: this.pending.subarray(start, start + length) });
      offset = start + length;
    }
    this.pending = this.pending.subarray(offset);
    return frames;
  }

  /** bytes of a frame not yet complete */
  get buffered(): number {
    return this.pending.length;
  }
}

export interface StartedPayload {
  pid: number;
}
export interface StartFailedPayload {
  error: string;
  exitCode: number;
}
export interface ExitedPayload {
  exitCode: number;
  restarting: boolean;
}

function parseObject(payload: Buffer, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(payload.toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`monitor: ${what} frame is not a JSON object`);
  return value as Record<string, unknown>;
}

export function decodeStarted(payload: Buffer): StartedPayload {
  const o = parseObject(payload, 'STARTED');
  if (typeof o.pid !== 'number') throw new Error('monitor: STARTED frame without a pid');
  return { pid: o.pid };
}

export function decodeStartFailed(payload: Buffer): StartFailedPayload {
  const o = parseObject(payload, 'START_FAILED');
  return { error: typeof o.error === 'string' ? o.error : 'start failed', exitCode: typeof o.exitCode === 'number' ? o.exitCode : 125 };
}

export function decodeExited(payload: Buffer): ExitedPayload {
  const o = parseObject(payload, 'EXITED');
  if (typeof o.exitCode !== 'number') throw new Error('monitor: EXITED frame without an exit code');
  return { exitCode: o.exitCode, restarting: o.restarting === true };
}
