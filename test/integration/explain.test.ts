/**
 * `ts-runc explain` on the fixture: without --trace it makes nothing (no cgroup, no state);
 * with --trace it runs the container, every plan step comes back from the init with its
 * result and duration, and the container is gone afterwards.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { listHierarchies } from '../../src/cgroups/hierarchy.js';
import { containerCgroupPath } from '../../src/cgroups/cgroup.js';
import { REPO, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

/** Every path under `dir`, with each file's size: what explain must not change. */
function listing(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => `${join(e.parentPath, e.name)}${e.isFile() ? ` ${statSync(join(e.parentPath, e.name)).size}` : ''}`).sort();
}

const suite = isRoot && haveFixture ? describe : describe.skip;

interface Line { n: number; phase: string; what: string; syscalls: string[]; man: string; why: string; planIndex?: number; trace?: { result: string; ns: number } }

suite('explain on the fixture', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  const cgroupDirs = (id: string): string[] =>
    listHierarchies().map((h) => join(h.mountPoint, containerCgroupPath(h, { cgroupsPath: undefined, id, root: box.root })));

  it('explains a bundle without making its cgroup or any state', () => {
    const bundle = box.bundle(['true']);
    const r = box.run(['explain', '-b', bundle, 'quiet']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/pivot_root\("\.", "\."\)/);
    expect(cgroupDirs('quiet').filter((d) => existsSync(d))).toEqual([]);
    expect(existsSync(box.root) ? readdirSync(box.root) : []).toEqual([]);
  });

  it('explains an image container on a network without mounting, leasing or writing anything', () => {
    expect(box.run(['image', 'load', '-i', join(REPO, 'rootfs-fixtures/out/image.tar')]).status).toBe(0);
    expect(box.run(['network', 'create', '--subnet', '10.87.0.0/24', 'appnet']).status).toBe(0);
    const before = listing(box.storage);
    const r = box.run(['explain', '--json', '--image', 'fixture:3layers', '--network', 'appnet', '-p', '8080:80', 'web', '--', 'httpd', '-f']);
    expect(r.stderr).toBe('');
    const lines = JSON.parse(r.stdout) as Line[];
    expect(lines[0]!.what).toMatch(/^mount the overlay of fixture:3layers \(3 layers\)/);
    expect(lines.some((l) => /dnat to 10\.87\.0\.2:80/.test(l.what))).toBe(true);
    expect(lines.at(-1)!.syscalls[0]).toMatch(/^execve\("httpd", \["httpd", "-f"\]/);
    expect(listing(box.storage)).toEqual(before);
    expect(mountsMentioning(box.dir)).toEqual([]);
    expect(cgroupDirs('web').filter((d) => existsSync(d))).toEqual([]);
  });

  it('--trace runs the container: each plan step reports its result and duration from the init, then it is deleted', () => {
    const bundle = box.bundle(['sh', '-c', 'echo traced >&2']);
    const r = box.run(['explain', '--trace', '--json', '-b', bundle, 'tr1'], { timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('traced'); // the program's output goes to stderr, the explanation to stdout
    const lines = JSON.parse(r.stdout) as Line[];
    const plan = lines.filter((l) => l.phase === 'plan');
    expect(plan.length).toBeGreaterThan(20);
    for (const line of plan.slice(0, -1)) {
      expect(line.trace, line.what).toBeDefined();
      expect(line.trace!.result, line.what).toBe('done');
      expect(line.trace!.ns, line.what).toBeGreaterThan(0);
    }
    expect(plan.at(-1)!.what).toBe('exec sh'); // execve(2) does not come back to report
    const text = box.run(['explain', '--trace', '-b', bundle, 'tr2'], { timeout: 60_000 });
    expect(text.stdout).toMatch(/pivot_root into the rootfs {3}\(\d+\.\d+ (µs|ms)\)/);
    expect(text.stdout).toMatch(/exec sh {3}\(the program ran; exit status 0\)/);
    const tty = box.run(['explain', '--trace', '-b', box.bundle(['true'], (spec) => { spec.process!.terminal = true; }), 'tr3']);
    expect(tty.status).toBe(1);
    expect(tty.stderr).toMatch(/explain --trace: process\.terminal is true in config\.json/);
    for (const id of ['tr1', 'tr2', 'tr3']) {
      expect(box.run(['state', id]).status).not.toBe(0);
      expect(cgroupDirs(id).filter((d) => existsSync(d))).toEqual([]);
    }
  });
});
