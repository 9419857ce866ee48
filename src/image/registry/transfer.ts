/**
 * Moving blobs: a byte counter to feed the progress display, and a bounded number of
 * transfers at a time (three, as Docker does by default: enough to fill a link, few enough
 * not to start every layer at once and finish none).
 */
import { Readable, Transform } from 'node:stream';

/** `source` passed through unchanged, calling `onBytes(total so far)` as data flows. */
export function counting(source: Readable, onBytes: (total: number) => void): Readable {
  let total = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      onBytes(total);
      callback(null, chunk);
    },
  });
  // pipe() does not pass errors on; a failed download must fail the blob write.
  source.on('error', (error) => counter.destroy(error));
  return source.pipe(counter);
}

/**
 * Runs `work` on every item, at most `limit` at once. After a failure no new item starts,
 * but transfers under way finish: a blob that completes is verified and kept, so the next
 * attempt (a pull run again) has less to fetch. Rejects with the first failure.
 */
export async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failure) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
