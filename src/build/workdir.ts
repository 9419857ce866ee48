/**
 * A build's scratch space, <storage>/build/<pid>-<random>/, and the record that lets the
 * NEXT build clean up after one that was killed (SIGKILL gives no chance to clean up):
 *
 *   owner.json      the builder's pid and start time, the runtime --root its RUN
 *                   containers live in, the ids of those containers, and the layers
 *                   on their way into the store (freed if no image lists them)
 *   mnt-N/ up-N/    a step's overlay mount and its upper layer (COPY, ADD, WORKDIR)
 *   context/        a context read from stdin
 *   state/          the RUN containers' runtime state, unless the caller gave a --root
 *
 * A RUN container's own bundle (overlay, upper layer, hold on the image) is in
 * <storage>/containers/<id>, which `delete --force` removes; so a dead build is undone by
 * deleting its containers, unmounting what is mounted below its directory and removing it.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { log } from '../log.js';
import { isAlive, pidStartTime } from '../process/liveness.js';
import { writeFileAtomic } from '../sys/write-atomic.js';
import { umount2, MNT_DETACH } from '../sys/libc.js';

interface OwnerRecord {
  pid: number;
  startTime: string;
  root: string;
  containers: string[];
  /** diff_ids of layers being added to the store and not yet listed by an image */
  pending?: string[];
}

export function buildDir(storage: string): string {
  return join(storage, 'build');
}

export class WorkDir {
  readonly dir: string;
  private readonly record: OwnerRecord;
  private steps = 0;

  constructor(readonly storage: string, root: string | undefined) {
    const base = buildDir(storage);
    mkdirSync(base, { recursive: true, mode: 0o700 });
    this.dir = join(base, `${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(this.dir, { mode: 0o700 });
    this.record = { pid: process.pid, startTime: pidStartTime(process.pid), root: root ?? join(this.dir, 'state'), containers: [] };
    this.save();
  }

  get root(): string {
    return this.record.root;
  }

  /** A fresh numbered directory name for one step ("mnt-3"). */
  next(prefix: string): string {
    return join(this.dir, `${prefix}-${++this.steps}`);
  }

  addContainer(id: string): void {
    this.record.containers.push(id);
    this.save();
  }

  /** A layer about to enter the store (stored uncompressed, so its blob digest is its diff_id). */
  addPending(diffId: string): void {
    this.record.pending = [...(this.record.pending ?? []), diffId];
    this.save();
  }

  clearPending(): void {
    this.record.pending = [];
    this.save();
  }

  removeContainer(id: string): void {
    this.record.containers = this.record.containers.filter((c) => c !== id);
    this.save();
  }

  private save(): void {
    writeFileAtomic(join(this.dir, 'owner.json'), JSON.stringify(this.record));
  }

  /** Everything, after the build (containers are already deleted by their steps). */
  async remove(): Promise<void> {
    await undo(this.storage, this.dir, this.record);
  }
}

/** Removes the work directories of builders that are no longer alive; returns how many. */
export async function cleanDeadBuilds(storage: string): Promise<number> {
  const base = buildDir(storage);
  if (!existsSync(base)) return 0;
  let cleaned = 0;
  for (const name of readdirSync(base)) {
    const dir = join(base, name);
    let record: OwnerRecord | undefined;
    try {
      record = JSON.parse(readFileSync(join(dir, 'owner.json'), 'utf8')) as OwnerRecord;
    } catch {
      record = undefined; // killed before its record was written: nothing was made yet
    }
    if (record && isAlive(record.pid, record.startTime)) continue;
    if (!record && Number(name.split('-')[0]) > 0 && existsSync(`/proc/${name.split('-')[0]}`)) continue;
    try {
      await undo(storage, dir, record);
      cleaned++;
    } catch (error) {
      log().warn(`build: could not clean ${dir}: ${errorMessage(error)}`);
    }
  }
  return cleaned;
}

async function undo(storage: string, dir: string, record: OwnerRecord | undefined): Promise<void> {
  if (record && record.containers.length > 0) {
    const [{ StateStore }, { deleteContainer }] = await Promise.all([import('../state/container-state.js'), import('../container/delete.js')]);
    const store = new StateStore(record.root);
    for (const id of record.containers) await deleteContainer(store, id, true, { storage });
  }
  unmountBelow(dir);
  if (record?.pending && record.pending.length > 0) {
    const { ImageStore } = await import('../image/store.js');
    new ImageStore(storage).freeUnlisted(record.pending, record.pending);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Every mount point at or below `dir` (mountinfo field 5), deepest first. */
export function unmountBelow(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) umount2(point, MNT_DETACH);
}
