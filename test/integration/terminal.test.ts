/**
 * process.terminal the way podman and containerd use it: they listen on a unix socket,
 * pass it as --console-socket, and receive the pty master over it (SCM_RIGHTS).
 */
import { readSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleListener } from '../../src/process/console.js';
import { closeFd } from '../../src/sys/libc.js';
import { haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;

/** Everything the container writes to its terminal, until its side of the pty closes (EIO). */
function readAll(master: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(4096);
  for (;;) {
    let n = 0;
    try {
      n = readSync(master, buffer);
    } catch {
      break;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString();
}

suite('terminal: --console-socket receives the pty master', () => {
  let box: Sandbox;
  let listener: ConsoleListener;
  beforeEach(() => { box = sandbox(); listener = new ConsoleListener(); });
  afterEach(() => { listener.close(); box.cleanup(); });

  it('create sends the master; the container has a tty of the given size as stdio', () => {
    const bundle = box.bundle(['sh', '-c', 'tty; stty size; echo done'], (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 25, width: 81 };
    });
    expect(box.run(['create', '-b', bundle, '--console-socket', listener.path, 'tty']).status).toBe(0);
    const master = listener.receiveMaster();
    expect(box.run(['start', 'tty']).status).toBe(0);
    const output = readAll(master).replace(/\r/g, '').trim().split('\n');
    closeFd(master);
    expect(output).toEqual(['/dev/pts/0', '25 81', 'done']);
  });

  it('create without --console-socket refuses process.terminal and leaves nothing', () => {
    const bundle = box.bundle(['sh'], (s) => { s.process!.terminal = true; });
    const r = box.run(['create', '-b', bundle, 'notty']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/console.socket/);
    expect(box.run(['list', '-q']).stdout).toBe('');
  });

  it('exec -t with a console socket gives the new process its own tty', () => {
    box.run(['run', '-d', '-b', box.bundle(['sleep', '30']), 'base']);
    const r = box.run(['exec', '-d', '-t', '--console-socket', listener.path, 'base', 'sh', '-c', 'tty; echo in-exec']);
    expect(r.stderr).toBe('');
    const master = listener.receiveMaster();
    const output = readAll(master).replace(/\r/g, '').trim().split('\n');
    closeFd(master);
    expect(output[0]).toMatch(/^\/dev\/pts\/\d+$/);
    expect(output[1]).toBe('in-exec');
  });

  it('exec -t sets TERM=xterm when the process has none, as run --image -t does, and keeps a given one', () => {
    const bundle = box.bundle(['sleep', '30'], (s) => { s.process!.env = ['PATH=/bin:/usr/bin']; });
    expect(box.run(['run', '-d', '-b', bundle, 'noterm']).status).toBe(0);
    const termOf = (flags: string[]) => {
      const r = box.run(['exec', '-d', '-t', ...flags, '--console-socket', listener.path, 'noterm', 'sh', '-c', 'echo "TERM=$TERM"']);
      expect(r.stderr).toBe('');
      const master = listener.receiveMaster();
      const output = readAll(master).replace(/\r/g, '').trim();
      closeFd(master);
      return output;
    };
    expect(termOf([])).toBe('TERM=xterm');
    expect(termOf(['-e', 'TERM=vt100'])).toBe('TERM=vt100');
    // without -t nothing is added
    const plain = box.run(['exec', 'noterm', 'sh', '-c', 'echo "TERM=$TERM"']);
    expect(plain.stdout).toBe('TERM=\n');
  });
});
