/**
 * Writing to stdout without process.stdout (issue 14). Node creates process.stdout on its
 * first use, and with it a stream and the `net`/`tty`/`stream` modules behind it: 2.5–5 ms
 * of a light verb's ~20 ms. writeOut writes with write(2) on fd 1 instead, which is what
 * process.stdout does for files and pipes on Linux anyway (they are synchronous there:
 * Node's process docs, "A note on process I/O").
 *
 * main.ts attaches its EPIPE handler to the streams only if something creates them
 * (watchStdio), and asks stdoutGone() at the end; a write here that finds the reader gone
 * records it the same way, so `ts-runc list | head -0` still ends with status 141.
 */
import { errorCode } from '../errors.js';
import { writeAll } from '../sys/write-all.js';

let closed = false;

/** Records that the reader of stdout went away (EPIPE). */
export function markStdoutClosed(): void {
  closed = true;
}

/** Whether a write to stdout, from here or from process.stdout, failed with EPIPE. */
export function stdoutClosedByWrite(): boolean {
  return closed;
}

/**
 * Writes the whole text to fd 1. A non-blocking fd 1 that is full (EAGAIN: a caller gave
 * us an O_NONBLOCK pipe) hands the rest to process.stdout, which waits for it.
 */
export function writeOut(text: string): void {
  if (closed) return;
  try {
    writeAll(1, Buffer.from(text, 'utf8'), () => process.stdout);
  } catch (error) {
    if (errorCode(error) !== 'EPIPE') throw error;
    markStdoutClosed();
  }
}
