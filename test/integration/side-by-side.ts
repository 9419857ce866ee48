/**
 * Running a bundle of a test under Debian's runc 1.1.5 too, to compare the answers: runc
 * gets its own --root in the test's directory, and bundles a cgroup named for the test.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Spec } from '../../src/spec/schema.js';
import type { Result, Sandbox } from './helpers.js';

/** `runc` when it is installed. */
export const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;

export interface Runc {
  /** `runc --root <the test's runc root> ...args`, stdout and stderr through files (a
   *  detached container holds its stdio open). */
  run(args: string[], options?: SpawnSyncOptions): Result;
  /** The runc root, for a test that spawns runc itself. */
  root: string;
  /** A container id no other test on the host uses. */
  id(name: string): string;
  /** Delete every container this runc root still has. */
  cleanup(): void;
}

export function runcFor(box: Sandbox): Runc {
  const root = join(box.dir, 'runc-state');
  const runc: Runc = {
    root,
    run(args, options = {}) {
      const out = join(box.dir, 'runc-stdout');
      const err = join(box.dir, 'runc-stderr');
      const fds = [openSync(out, 'w'), openSync(err, 'w')];
      try {
        const r = spawnSync(RUNC ?? 'runc', ['--root', root, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 20_000, ...options });
        return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
      } finally {
        fds.forEach((fd) => closeSync(fd));
      }
    },
    id(name) {
      return `${name}-${process.pid}`;
    },
    cleanup() {
      let ids: string[] = [];
      try { ids = readdirSync(root); } catch { /* runc never ran */ }
      for (const id of ids) runc.run(['delete', '--force', id]);
    },
  };
  return runc;
}

/**
 * A bundle both runtimes run: box.bundle's, with root.path through no symlink (runc
 * refuses one) and a cgroupsPath named for the test (other tests on the host use short
 * ids, and runc's default cgroup is /<id>).
 */
export function sharedBundle(box: Sandbox, args: string[], name: string, edit: (spec: Spec) => void = () => {}): string {
  const dir = box.bundle(args, edit);
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
  spec.root!.path = realpathSync(spec.root!.path);
  spec.linux!.cgroupsPath = `/ts-runc-test-${process.pid}-${name}`;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 2));
  return dir;
}
