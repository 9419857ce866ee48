import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Progress, formatBytes, type Mode } from '../../src/image/registry/progress.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function run(mode: Mode, steps: (p: Progress) => void): string {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  steps(new Progress(mode, out));
  return text;
}

describe('pull and push progress on stderr', () => {
  it('prints a line when a blob starts and when it ends when stderr is not a terminal', () => {
    const text = run('plain', (p) => {
      const line = p.start(D1, 'downloading', 2_500_000);
      p.update(line, 1_000_000);
      p.finish(line, 'done');
      p.skip(D2, 'already present', 10);
    });
    expect(text).toBe('sha256:111111111111  downloading (2.5 MB)\nsha256:111111111111  done\nsha256:222222222222  already present\n');
  });

  it('rewrites one line per blob in place on a terminal', () => {
    const text = run('tty', (p) => {
      const a = p.start(D1, 'downloading', 2000);
      p.skip(D2, 'already present', 10);
      p.finish(a, 'done');
    });
    // Each redraw moves the cursor up over the lines drawn before (ESC[nA) and clears each (ESC[2K).
    expect(text).toBe(
      '\x1b[2Ksha256:111111111111  downloading  0 B / 2.0 kB\n' +
      '\x1b[1A\x1b[2Ksha256:111111111111  downloading  0 B / 2.0 kB\n\x1b[2Ksha256:222222222222  already present 10 B\n' +
      '\x1b[2A\x1b[2Ksha256:111111111111  done         2.0 kB\n\x1b[2Ksha256:222222222222  already present 10 B\n');
  });

  it('shows nothing with -q', () => {
    expect(run('quiet', (p) => { p.finish(p.start(D1, 'downloading', 5), 'done'); p.note('Digest: x'); })).toBe('');
  });

  it('writes sizes in decimal units', () => {
    expect([0, 999, 1000, 1_234_567, 5e9].map(formatBytes)).toEqual(['0 B', '999 B', '1.0 kB', '1.2 MB', '5.0 GB']);
  });
});
