/**
 * What a pull or push shows while it runs, on stderr (stdout keeps the result: the digest).
 *
 * On a terminal each blob has one line, rewritten in place as bytes arrive:
 *   sha256:1a2b3c4d5e6f  downloading   1.2 MB / 3.4 MB
 * Elsewhere (a log, a CI job) each blob gets a line when it starts and when it ends, and
 * `-q` shows nothing. The terminal is redrawn at most every 100 ms: a redraw per chunk
 * would spend more time writing escapes than moving bytes.
 */
export type Mode = 'tty' | 'plain' | 'quiet';

export interface ProgressLine {
  label: string;
  state: string;
  done: number;
  total: number;
}

export class Progress {
  private readonly lines: ProgressLine[] = [];
  /** how many lines are on screen below the cursor's start (tty mode) */
  private drawn = 0;
  private lastDraw = 0;

  constructor(private readonly mode: Mode, private readonly out: NodeJS.WritableStream = process.stderr) {}

  static forStderr(quiet: boolean): Progress {
    return new Progress(quiet ? 'quiet' : process.stderr.isTTY ? 'tty' : 'plain');
  }

  /** A new line for a blob; returns the handle to update it by. */
  start(digest: string, state: string, total: number): ProgressLine {
    const line: ProgressLine = { label: shortDigest(digest), state, done: 0, total };
    this.lines.push(line);
    if (this.mode === 'plain') this.out.write(`${line.label}  ${state} (${formatBytes(total)})\n`);
    this.draw(true);
    return line;
  }

  /** A blob that needs no transfer ("already exists"): one finished line. */
  skip(digest: string, state: string, total: number): void {
    const line: ProgressLine = { label: shortDigest(digest), state, done: total, total };
    this.lines.push(line);
    if (this.mode === 'plain') this.out.write(`${line.label}  ${state}\n`);
    this.draw(true);
  }

  update(line: ProgressLine, done: number): void {
    line.done = done;
    this.draw(false);
  }

  finish(line: ProgressLine, state: string): void {
    line.state = state;
    line.done = line.total;
    if (this.mode === 'plain') this.out.write(`${line.label}  ${state}\n`);
    this.draw(true);
  }

  /** A line of its own ("Writing manifest", "Digest: ..."): plain or tty, not quiet. */
  note(text: string): void {
    if (this.mode === 'quiet') return;
    this.out.write(`${text}\n`);
    // Notes scroll past: the blob lines above them are not redrawn any more.
    this.lines.length = 0;
    this.drawn = 0;
  }

  private draw(force: boolean): void {
    if (this.mode !== 'tty') return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    // Move up over what we drew last time, then rewrite every line (ESC[nA, ESC[2K).
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const l of this.lines) {
      const amount = l.total > 0 && l.done < l.total ? `${formatBytes(l.done)} / ${formatBytes(l.total)}` : formatBytes(l.total);
      text += `\x1b[2K${l.label}  ${l.state.padEnd(12)} ${amount}\n`;
    }
    this.out.write(text);
    this.drawn = this.lines.length;
  }
}

export function shortDigest(digest: string): string {
  return digest.slice(0, 'sha256:'.length + 12);
}

export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = -1;
  do {
    value /= 1000;
    unit++;
  } while (value >= 1000 && unit < units.length - 1);
  return `${value.toFixed(1)} ${units[unit]}`;
}
