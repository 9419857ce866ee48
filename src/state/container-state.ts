/**
 * What ts-runc remembers about a container between CLI calls: one directory per container
 * under `--root` (default /run/ts-runc), holding `state.json` and, until `start`, the
 * two FIFOs of the barrier the init waits at.
 *
 *   <root>/<id>/state.json   written atomically (temp file + rename), so a reader never
 *                            sees half a file
 *   <root>/<id>/start.fifo   exists while the container is "created"; `start` writes a byte
 *                            into it and removes it (runc's `exec.fifo`, container/start.ts)
 *   <root>/<id>/report.fifo  where the init then reports a failed execve(2); removed by
 *                            `start` with start.fifo
 *
 * Creating the directory is the lock on the id: mkdir(2) is atomic, so of two concurrent
 * `create`s of one id exactly one gets the directory and the other "already exists".
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeError, errorCode } from '../errors.js';
import { writeFileAtomic } from '../sys/write-atomic.js';
import type { Hook } from '../hooks/run-hooks.js';
import type { NetworkRecord } from '../network/record.js';
import type { SpecResources, SpecSeccomp } from '../spec/schema.js';

export const DEFAULT_ROOT = '/run/ts-runc';

/** What state.json holds: the OCI state's fixed parts plus what later verbs need. */
export interface StoredState {
  ociVersion: string;
  id: string;
  /** host pid of the container's init, 0 before it exists */
  pid: number;
  /** field 22 of /proc/<pid>/stat: tells our pid from a recycled one */
  pidStartTime: string;
  /**
   * The ts-runc process that runs `create` (its pid and start time): while pid is 0, the
   * container is "creating" as long as this process lives, and stopped once it died.
   */
  creator?: { pid: number; startTime: string };
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
  /** true once `start` released the barrier */
  started: boolean;
  /**
   * cgroup directories, by hierarchy, to join on exec and remove on delete; recorded
   * before they are made, so a create killed while making them leaves none unnamed
   */
  cgroupPaths: Record<string, string>;
  /** hooks `start` and `delete` still have to run */
  hooks: { poststart: Hook[]; poststop: Hook[] };
  /** namespaces the container was created in, as /proc paths are only valid while it runs */
  namespaces: string[];
  /** whether a user namespace was created (exec must join it first) */
  userns: boolean;
  /**
   * true when the container has a new pid namespace of its own (not the caller's, not one
   * joined by path): its init's death kills every other process in it (pid_namespaces(7)),
   * so `delete` has no other process of its cgroup to kill, and must not, as another
   * container may share that cgroup. Absent in states written before it existed.
   */
  newPidNamespace?: boolean;
  /** linux.resources as last applied (create, then each `update` merged in), as runc keeps
   *  them in its state.json config: a later `update` completes pairs (quota/period) from them */
  resources?: SpecResources;
  /**
   * true when the container has no mount namespace of its own and its init chroot(2)ed into
   * rootfs (plan/compile.ts chrootSteps): exec must chroot too. Decided at create and kept
   * here, not read again from config.json, which may have changed since. Absent in states
   * written before it existed.
   */
  chroot?: boolean;
  /**
   * linux.seccomp as create applied it (null: none), which `exec` applies to its processes
   * too. Kept here as runc keeps its config in its state.json: config.json may be edited or
   * deleted once the container exists. Absent (undefined) in states written before it existed.
   */
  seccomp?: SpecSeccomp | null;
  /** ts-runc's networking (--network): address, veth, ports, hosts files; undone on delete */
  network?: NetworkRecord;
}

export type Status = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/** The state as the OCI runtime-spec `state` operation reports it (runtime.md#state). */
export interface OciState {
  ociVersion: string;
  id: string;
  status: Status;
  pid: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

/** A container id becomes a directory name: keep it to what runc allows. */
export function validateId(id: string): void {
  if (!/^[\w+\-.]+$/.test(id) || id === '.' || id === '..') {
    throw new RuntimeError(`invalid container id ${JSON.stringify(id)}: use letters, digits, '_', '+', '-' and '.'`);
  }
}

export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  /** The create/start barrier's FIFOs (container/start.ts says how they are used). */
  startFifo(id: string): string {
    return join(this.dir(id), 'start.fifo');
  }

  reportFifo(id: string): string {
    return join(this.dir(id), 'report.fifo');
  }

  /** A container created by a ts-runc from before the FIFOs waits on this socket instead
   *  (status: created; `start` tells to create it again). */
  legacyExecSocket(id: string): string {
    return join(this.dir(id), 'exec.sock');
  }

  /** Take the id: fails with "already exists" if another container (or create) has it. */
  claim(id: string): void {
    validateId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    try {
      mkdirSync(this.dir(id), { mode: 0o700 });
    } catch (error) {
      if (errorCode(error) === 'EEXIST') throw new RuntimeError(`container with id ${id} already exists`);
      throw error;
    }
  }

  write(state: StoredState): void {
    writeFileAtomic(join(this.dir(state.id), 'state.json'), JSON.stringify(state), { mode: 0o600 });
  }

  read(id: string): StoredState {
    validateId(id);
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as StoredState;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new RuntimeError(`container ${id} does not exist`, { code: 'ENOENT' });
      throw error;
    }
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), 'state.json'));
  }

  /** Ids of every container with a state file, sorted. */
  list(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    return names.filter((name) => existsSync(join(this.root, name, 'state.json'))).sort();
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
