/**
 * Docker's multiplexed stream (moby pkg/stdcopy): without a tty, attach, exec and logs
 * carry stdout and stderr in one byte stream, each chunk behind an 8-byte header:
 *
 *   [stream u8: 0 stdin, 1 stdout, 2 stderr] [0 0 0] [payload length u32 big-endian] payload
 *
 * With a tty there is one stream and no header: the bytes are the terminal's.
 */
export type StreamKind = 'stdin' | 'stdout' | 'stderr';

const KIND: Record<StreamKind, number> = { stdin: 0, stdout: 1, stderr: 2 };

export function frame(kind: StreamKind, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = KIND[kind];
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Output for a client: framed unless the container has a tty. */
export function outputChunk(tty: boolean, kind: StreamKind, payload: Buffer | string): Buffer {
  if (tty) return typeof payload === 'string' ? Buffer.from(payload) : payload;
  return frame(kind, payload);
}
