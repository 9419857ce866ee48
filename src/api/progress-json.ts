/**
 * Pull and push progress as the Engine API streams it: one JSON object per line
 * (jsonmessage.JSONMessage in moby: `status`, `id`, `progressDetail{current,total}`,
 * `progress`), which the docker CLI draws as its bars and docker-py yields as dicts.
 * A failure after the 200 has gone out is a last line with `error` and `errorDetail`.
 */
import type { Writable } from 'node:stream';
import { Progress, shortDigest, type ProgressLine } from '../image/registry/progress.js';

export class JsonProgress extends Progress {
  private readonly ids = new Map<ProgressLine, string>();

  constructor(private readonly sink: Writable, private readonly verbs: { active: string; done: string }) {
    // the base class writes nothing in 'quiet' mode; every method is answered here
    super('quiet', sink);
  }

  send(message: Record<string, unknown>): void {
    this.sink.write(`${JSON.stringify(message)}\n`);
  }

  override start(digest: string, state: string, total: number): ProgressLine {
    const line = super.start(digest, state, total);
    const id = shortDigest(digest).slice('sha256:'.length);
    this.ids.set(line, id);
    this.send({ status: this.verbs.active, progressDetail: { current: 0, total }, id });
    return line;
  }

  override skip(digest: string, _state: string, _total: number): void {
    this.send({ status: 'Already exists', progressDetail: {}, id: shortDigest(digest).slice('sha256:'.length) });
  }

  override update(line: ProgressLine, done: number): void {
    const last = line.done;
    super.update(line, done);
    // at most ~100 messages a blob: a line per network chunk would flood the client
    if (line.total > 0 && Math.floor((done * 100) / line.total) === Math.floor((last * 100) / line.total)) return;
    this.send({ status: this.verbs.active, progressDetail: { current: done, total: line.total }, progress: bar(done, line.total), id: this.ids.get(line) });
  }

  override finish(line: ProgressLine, state: string): void {
    super.finish(line, state);
    this.send({ status: this.verbs.done, progressDetail: {}, id: this.ids.get(line) });
  }

  override note(text: string): void {
    this.send({ status: text });
  }

  error(message: string): void {
    this.send({ errorDetail: { message }, error: message });
  }
}

/** "[=====>      ]  1.2MB/3.4MB", the bar jsonmessage.JSONProgress.String draws. */
function bar(current: number, total: number): string {
  if (total <= 0) return '';
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const arrow = filled < width ? '>' : '';
  return `[${'='.repeat(Math.max(0, filled - (arrow ? 1 : 0)))}${arrow}${' '.repeat(width - filled)}] ${human(current)}/${human(total)}`;
}

function human(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)}${units[u]}`;
}
