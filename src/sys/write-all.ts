/**
 * Writing a whole buffer to an fd with write(2), without the stream Node would build for it
 * (issue 14: process.stdout and process.stderr cost a light verb 2.5–5 ms of modules). A
 * write may take only part of it, so the rest follows; an fd a caller made non-blocking
 * that is full (EAGAIN) hands what is left to `stream()`, Node's stream for that fd, which
 * waits for it. Any other error (EPIPE: the reader went away) is the caller's.
 */
import { writeSync } from 'node:fs';

export function writeAll(fd: number, bytes: Buffer, stream: () => NodeJS.WritableStream): void {
  for (let at = 0; at < bytes.length;) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      stream().write(bytes.subarray(at));
      return;
    }
  }
}
