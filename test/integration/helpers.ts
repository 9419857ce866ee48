/**
 * Shared by the integration tests: run the real CLI (bin/ts-runc on the built dist/), make
 * bundles on the fixture rootfs in a temporary directory, each test with its own --root.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultSpec } from '../../src/spec/defaults.js';
import type { Spec } from '../../src/spec/schema.js';
import { defaultLeaf } from '../../src/cgroups/cgroup.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const TS_RUNC = join(REPO, 'bin/ts-runc');
export const FIXTURE_ROOTFS = join(REPO, 'rootfs-fixtures/out/rootfs');

export const isRoot = process.getuid?.() === 0;
export const haveFixture = existsSync(join(FIXTURE_ROOTFS, 'bin/busybox')) && existsSync(join(REPO, 'dist/cli/main.js'));

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  /** the --root of this test */
  root: string;
  /** the --storage of this test (images, container layers, networks) */
  storage: string;
  dir: string;
  /** run `ts-runc --root <root> --storage <storage> ...args` */
  run(args: string[], options?: SpawnSyncOptions): Result;
  /** the name of the cgroup directory of container `id` of this --root (no cgroupsPath) */
  cgroupLeaf(id: string): string;
  /** a bundle on the fixture rootfs; `edit` changes the default spec */
  bundle(args: string[], edit?: (spec: Spec) => void): string;
  cleanup(): void;
}

export function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'ts-runc-test-'));
  const root = join(dir, 'state');
  const storage = join(dir, 'storage');
  let bundles = 0;
  const box: Sandbox = {
    root,
    storage,
    dir,
    run(args, options = {}) {
      // Output goes to files, not pipes: a created container inherits our stdio and would
      // hold a pipe open long after `create` itself has exited.
      const out = join(dir, 'stdout');
      const err = join(dir, 'stderr');
      const fds = [openSync(out, 'w'), openSync(err, 'w')];
      try {
        const r = spawnSync(TS_RUNC, ['--root', root, '--storage', storage, ...args], { stdio: ['ignore', fds[0]!, fds[1]!], timeout: 20_000, ...options });
        return { status: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
      } finally {
        fds.forEach((fd) => closeSync(fd));
      }
    },
    cgroupLeaf(id) {
      return defaultLeaf(root, id);
    },
    bundle(args, edit) {
      const bundle = join(dir, `bundle-${bundles++}`);
      mkdirSync(bundle);
      const spec = defaultSpec({ rootless: false });
      spec.root = { path: FIXTURE_ROOTFS, readonly: true };
      spec.process!.terminal = false;
      spec.process!.args = args;
      edit?.(spec);
      writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
      return bundle;
    },
    cleanup() {
      // Force-delete whatever a failing test left, then the directory. Each delete in a
      // session of its own (setsid): a ts-runc that signalled its process group, as one
      // did for a container at pid 0 (issue 9 item 2), must not take the test runner along.
      if (existsSync(root)) {
        for (const id of readdirSync(root)) {
          spawnSync('setsid', [TS_RUNC, '--root', root, '--storage', storage, 'delete', '--force', id], { stdio: 'ignore', timeout: 20_000 });
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return box;
}

/** Mount points whose path mentions `text` (a bundle or state path), from our mountinfo. */
export function mountsMentioning(text: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.includes(text));
}

/** cgroup directories named for a container id, in any hierarchy below our own. */
export function cgroupDirsFor(id: string): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 6) return;
    let entries: string[];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (name.includes(id)) found.push(join(dir, name));
      walk(join(dir, name), depth + 1);
    }
  };
  walk('/sys/fs/cgroup', 0);
  return found;
}
