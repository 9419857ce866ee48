/**
 * GET /containers/{id}/logs: the json-file log through views' readLogs, framed (8-byte
 * headers, frames.ts) unless the container has a tty, with ?timestamps= prefixing each
 * line with its RFC 3339 time, as dockerd. ?follow= keeps the response open until the
 * container stops or the client goes away.
 */
import { readLogs } from '../../engine/logs/read.js';
import { errorMessage } from '../../errors.js';
import { outputChunk } from '../frames.js';
import { ApiError, badRequest } from '../http.js';
import type { Call } from '../router.js';
import { findContainer } from './container-ref.js';

/** since/until: Unix seconds, with a fraction (docker sends "1733300000.123456789"). */
function unixMs(text: string | undefined, name: string): number | undefined {
  if (text === undefined || text === '' || text === '0') return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw badRequest(`${name}: ${JSON.stringify(text)} is not a Unix time in seconds`);
  return Number(text) * 1000;
}

export async function logs({ req, res, params, query, ctx }: Call): Promise<void> {
  const record = findContainer(ctx, params.id!);
  const stdout = query.bool('stdout');
  const stderr = query.bool('stderr');
  if (!stdout && !stderr) throw badRequest('you must choose at least one stream (stdout=1 or stderr=1)');
  const tailText = query.str('tail') ?? 'all';
  let tail: number | undefined;
  if (tailText !== 'all' && tailText !== '') {
    if (!/^-?\d+$/.test(tailText)) throw badRequest(`tail: ${JSON.stringify(tailText)} is neither a number nor "all"`);
    tail = Number(tailText) < 0 ? undefined : Number(tailText);
  }
  const tty = record.Config.Tty === true;
  const timestamps = query.bool('timestamps');
  const abort = new AbortController();
  req.socket.on('close', () => abort.abort());
  let entries: AsyncGenerator<{ stream: 'stdout' | 'stderr'; time: string; line: string }>;
  try {
    entries = readLogs(ctx.storage, record.Id, { follow: query.bool('follow'), tail, since: unixMs(query.str('since'), 'since'), until: unixMs(query.str('until'), 'until'), stdout, stderr, signal: abort.signal });
    // the first step runs the checks (a log driver that cannot be read) before the 200
    const first = await entries.next();
    res.writeHead(200, { 'Content-Type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    res.flushHeaders();
    const write = (entry: { stream: 'stdout' | 'stderr'; time: string; line: string }) => {
      res.write(outputChunk(tty, entry.stream, timestamps ? `${entry.time} ${entry.line}` : entry.line));
    };
    if (!first.done) write(first.value);
    for await (const entry of entries) write(entry);
  } catch (error) {
    if (abort.signal.aborted) return;
    if (!res.headersSent) throw new ApiError(/driver/i.test(errorMessage(error)) ? 501 : 500, errorMessage(error));
    res.destroy();
    return;
  }
  res.end();
}
