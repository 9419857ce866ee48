/**
 * Two --roots that share one --storage (issue 9 item 7: a container's resources are its own,
 * whatever another root holds under the same id). The hosts, hostname and resolv.conf files
 * ts-runc writes for --network live in the storage; named by the id alone, the second
 * root's container wrote over the first's, and deleting it removed them. A container made
 * from an image has its bundle there too: `delete --force` of that id in the other root,
 * where no state names it, took it for an orphan and removed it under the running container.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REPO, TS_RUNC, haveFixture, isRoot, sandbox, type Result, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;

suite('two roots sharing one storage', () => {
  let box: Sandbox;
  /** ts-runc with a second --root and the sandbox's --storage; output to files (helpers.ts says why). */
  const inOtherRoot = (args: string[]): Result => {
    const [out, err] = [join(box.dir, 'other-out'), join(box.dir, 'other-err')];
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync(TS_RUNC, ['--root', join(box.dir, 'other-root'), '--storage', box.storage, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 20_000 });
      return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  };
  beforeEach(() => { box = sandbox(); });
  afterEach(() => {
    inOtherRoot(['delete', '--force', 'same']);
    box.cleanup();
  });

  it('a container id used in both keeps its own hosts and hostname files', () => {
    const first = box.bundle(['sleep', '60'], (s) => { s.hostname = 'first'; });
    const second = box.bundle(['sleep', '60'], (s) => { s.hostname = 'second'; });
    expect(box.run(['run', '-d', '-b', first, '--network', 'none', 'same']).status).toBe(0);
    const r = inOtherRoot(['run', '-d', '-b', second, '--network', 'none', 'same']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(box.run(['exec', 'same', 'cat', '/etc/hostname']).stdout).toBe('first\n');
    expect(inOtherRoot(['exec', 'same', 'cat', '/etc/hostname']).stdout).toBe('second\n');
    const files = (JSON.parse(readFileSync(join(box.root, 'same/state.json'), 'utf8')) as { network: { files: { hostname: string } } }).network.files;

    expect(inOtherRoot(['delete', '--force', 'same']).status).toBe(0);
    expect(readFileSync(files.hostname, 'utf8')).toBe('first\n');
    expect(box.run(['delete', '--force', 'same']).status).toBe(0);
  });

  it('delete --force of an id another root runs from an image leaves that container\'s bundle alone', () => {
    expect(box.run(['image', 'load', '-i', join(REPO, 'rootfs-fixtures/out/image.tar')]).status).toBe(0);
    expect(box.run(['run', '-d', '--image', 'fixture:3layers', '--network', 'none', 'same', 'sleep', '60']).status).toBe(0);
    const refused = inOtherRoot(['run', '-d', '--image', 'fixture:3layers', '--network', 'none', 'same', 'sleep', '60']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('already has a directory');
    // nothing of "same" in the other root: before the fix, this removed the first root's bundle
    expect(inOtherRoot(['delete', '--force', 'same']).status).toBe(0);
    const r = box.run(['exec', 'same', 'cat', '/etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(box.run(['delete', '--force', 'same']).status).toBe(0);
  });
});
