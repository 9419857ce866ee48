/**
 * Replace a file so that a reader sees the old content or the new, never half of it:
 * write a temporary file beside it, then rename(2) it into place (atomic within one
 * filesystem). `durable` also fsyncs the data before the rename, for records a crash must
 * not empty (the image store's).
 */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(path: string, data: string, options: { mode?: number; durable?: boolean } = {}): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data, { mode: options.mode ?? 0o644 });
  if (options.durable) {
    const fd = openSync(temp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
  renameSync(temp, path);
}
