/**
 * process.terminal the way podman and containerd use it: they listen on a unix socket,
 * pass it as --console-socket, and receive the pty master over it (SCM_RIGHTS).
 */
import { spawnSync } from 'node:child_process';
import { readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsoleListener } from '../../src/process/console.js';
import { closeFd } from '../../src/sys/libc.js';
import { TS_RUNC, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';
import { RUNC, runcFor, sharedBundle, type Runc } from './side-by-side.js';

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

/** The lines a container printed on its pty, without the CRs of the line discipline. */
function lines(master: number): string[] {
  const output = readAll(master).replace(/\r/g, '').trim().split('\n');
  closeFd(master);
  return output;
}

/**
 * runc's fixStdioPermissions (libcontainer/init_linux.go setupUser): before the uid
 * changes, the process's stdio becomes the user's (uid only; the group stays what devpts'
 * gid= gave the pty), so `tty` and a reopened /dev/stdout work for a non-root user.
 */
suite('terminal and stdio of a non-root process, as runc gives them', () => {
  let box: Sandbox;
  let runc: Runc;
  let listener: ConsoleListener;
  beforeEach(() => { box = sandbox(); runc = runcFor(box); listener = new ConsoleListener(); });
  afterEach(() => { listener.close(); runc.cleanup(); box.cleanup(); });

  const SHOW_TTY = 'stat -c %u:%g:%a $(tty); stty size';

  // issue 10 item 8: before, the pty stayed root's: "0:5:620".
  it('create: the pty belongs to process.user.uid, group tty (devpts gid=5), at process.consoleSize', () => {
    const bundle = sharedBundle(box, ['sh', '-c', SHOW_TTY], 'pty-create', (s) => {
      s.process!.terminal = true;
      s.process!.consoleSize = { height: 25, width: 81 };
      s.process!.user = { uid: 1000, gid: 1000 };
    });
    expect(box.run(['run', '-d', '--console-socket', listener.path, '-b', bundle, 'ptyuser']).stderr).toBe('');
    const ours = lines(listener.receiveMaster());
    expect(ours).toEqual(['1000:5:620', '25 81']);
    if (!RUNC) return;
    expect(runc.run(['run', '-d', '--console-socket', listener.path, '-b', bundle, runc.id('pty-create')]).status).toBe(0);
    expect(lines(listener.receiveMaster())).toEqual(ours);
  });

  // issue 10 item 8: before, the pty stayed root's and --console-size was an unknown flag.
  it('exec: the pty belongs to the exec user; --console-size or process.json consoleSize sets its size', () => {
    const bundle = sharedBundle(box, ['sleep', '100'], 'pty-exec');
    expect(box.run(['run', '-d', '-b', bundle, 'ptyexec']).status).toBe(0);
    const process = join(box.dir, 'process.json');
    writeFileSync(process, JSON.stringify({
      terminal: true, consoleSize: { width: 99, height: 33 }, user: { uid: 1000, gid: 1000 },
      args: ['sh', '-c', SHOW_TTY], cwd: '/', env: ['PATH=/bin:/usr/bin'],
    }));
    let r = box.run(['exec', '-d', '-t', '--console-size', '99,33', '--user', '1000:1000', '--console-socket', listener.path, 'ptyexec', 'sh', '-c', SHOW_TTY]);
    expect(r.stderr).toBe('');
    const ours = lines(listener.receiveMaster());
    expect(ours).toEqual(['1000:5:620', '33 99']);
    r = box.run(['exec', '-d', '-p', process, '--console-socket', listener.path, 'ptyexec']);
    expect(r.stderr).toBe('');
    expect(lines(listener.receiveMaster())).toEqual(ours);
    // a size without a terminal, or not WIDTH,HEIGHT, is refused
    expect(box.run(['exec', '--console-size', '99,33', 'ptyexec', 'true']).stderr).toContain('--console-size 99,33 needs --tty');
    expect(box.run(['exec', '-t', '--console-size', '99x33', '--console-socket', listener.path, 'ptyexec', 'true']).stderr)
      .toContain('--console-size 99x33: use WIDTH,HEIGHT');
    if (!RUNC) return;
    // runc 1.1.5 has no --console-size: the same process through process.json
    const id = runc.id('pty-exec');
    expect(runc.run(['run', '-d', '-b', bundle, id]).status).toBe(0);
    expect(runc.run(['exec', '-d', '-p', process, '--console-socket', listener.path, id]).status).toBe(0);
    expect(lines(listener.receiveMaster())).toEqual(ours);
  });

  // issue 10 item 8: before, a pipe as stdout stayed root's (mode 0600) and reopening it
  // as uid 1000 failed with EACCES.
  it('a non-root exec can reopen its stdout pipe (echo > /proc/self/fd/1), as under runc', () => {
    const bundle = sharedBundle(box, ['sleep', '100'], 'pipe');
    expect(box.run(['run', '-d', '-b', bundle, 'pipes']).status).toBe(0);
    const flags = ['--user', '1000:1000'];
    // A shell's pipe(2), not Node's stdio 'pipe', which is a socketpair (no reopening those).
    const throughPipe = (runtime: string, root: string, id: string) => spawnSync('sh', ['-c',
      `'${runtime}' --root '${root}' exec ${flags.join(' ')} ${id} sh -c 'echo reopened > /proc/self/fd/1' | cat`],
    { encoding: 'utf8', timeout: 20_000 });
    const ours = throughPipe(TS_RUNC, box.root, 'pipes');
    expect(ours.stderr).toBe('');
    expect(ours.stdout).toBe('reopened\n');
    // A host file passed straight through as stdout is left as it is (runc would give it
    // to uid 1000; see native/init/user.c own_stdio).
    expect(box.run(['exec', ...flags, 'pipes', 'echo', 'to a file']).stdout).toBe('to a file\n');
    expect(statSync(join(box.dir, 'stdout')).uid).toBe(0);
    if (!RUNC) return;
    const id = runc.id('pipe');
    expect(runc.run(['run', '-d', '-b', bundle, id]).status).toBe(0);
    expect(throughPipe(RUNC, runc.root, id).stdout).toBe(ours.stdout);
  });
});
