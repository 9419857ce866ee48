/**
 * The container records under <storage>/engine/ (paths.ts): read, list, write (atomically,
 * by rename), lock, and find one by what a user types: the full 64-hex id, a unique
 * prefix of it, or its name (Docker's order: an exact id, then a name, then a prefix).
 *
 * Names are claimed with symlink(2), which is atomic: <storage>/engine/names/<name> → <id>.
 * Of two `run --name x` at once exactly one symlink is made; the other gets EEXIST and a
 * clear error, before it has made anything but its own (then removed) directory.
 *
 * Order of writes, so that a create or rm killed at any moment leaves nothing unnamed:
 *   create: mkdir <id>/ → record.json → name symlink → layer …
 *   rm:     record.json goes first (the container is no longer listed), then the name,
 *           then the directory.
 * Hence a name whose target has no record.json is stale (its creator died before the record
 * or its remover after it), and the next claim may take it over.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { RuntimeError, errorCode, errorMessage } from '../../errors.js';
import { withFileLock, withFileLockAsync } from '../../sys/file-lock.js';
import { writeFileAtomic } from '../../sys/write-atomic.js';
import { containerPaths, containersDir, namePath, namesDir, type ContainerPaths } from '../paths.js';
import type { ContainerRecord } from '../types.js';
import { isFullId } from './ids.js';
import { mountsBelow, unmountBelow } from '../../image/overlay.js';

/** `no such container: wbe` (Docker: "No such container: wbe"). */
export class NoSuchContainer extends RuntimeError {
  constructor(reference: string) {
    super(`no such container: ${reference}`);
  }
}

export class ContainerStore {
  constructor(readonly storage: string) {}

  paths(id: string): ContainerPaths {
    return containerPaths(this.storage, id);
  }

  /** The ids that have a record, sorted by creation (newest first, as `ls`). */
  ids(): string[] {
    let entries: string[];
    try {
      entries = readdirSync(containersDir(this.storage));
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return [];
      throw error;
    }
    return entries.filter((id) => isFullId(id) && existsSync(this.paths(id).record));
  }

  /** Every record, newest first. A record removed while listing is skipped. */
  list(): ContainerRecord[] {
    const records: ContainerRecord[] = [];
    for (const id of this.ids()) {
      const record = this.tryRead(id);
      if (record) records.push(record);
    }
    return records.sort((a, b) => (a.Created < b.Created ? 1 : a.Created > b.Created ? -1 : 0));
  }

  read(id: string): ContainerRecord {
    const record = this.tryRead(id);
    if (!record) throw new NoSuchContainer(id);
    return record;
  }

  tryRead(id: string): ContainerRecord | undefined {
    if (!isFullId(id)) return undefined;
    let text: string;
    try {
      text = readFileSync(this.paths(id).record, 'utf8');
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text) as ContainerRecord;
    } catch (error) {
      throw new RuntimeError(`container ${id}: ${this.paths(id).record} is not valid JSON: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Write the whole record by rename: a reader sees the old one or the new one. */
  write(record: ContainerRecord): void {
    writeFileAtomic(this.paths(record.Id).record, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  }

  /** Read, change and write the record under the container's lock. */
  update(id: string, change: (record: ContainerRecord) => void): ContainerRecord {
    return this.withLock(id, () => {
      const record = this.read(id);
      change(record);
      this.write(record);
      return record;
    });
  }

  withLock<T>(id: string, fn: () => T): T {
    return withFileLock(this.paths(id).lock, fn);
  }

  withLockAsync<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return withFileLockAsync(this.paths(id).lock, fn);
  }

  /**
   * The record a user's reference names: a full id, a name ("web" or "/web"), or a unique
   * id prefix. An ambiguous prefix is an error naming the count, as Docker's.
   */
  resolve(reference: string): ContainerRecord {
    if (reference === '') throw new NoSuchContainer(reference);
    if (isFullId(reference)) {
      const record = this.tryRead(reference);
      if (record) return record;
    }
    const byName = this.idOfName(reference.startsWith('/') ? reference.slice(1) : reference);
    if (byName) {
      const record = this.tryRead(byName);
      if (record) return record;
    }
    if (/^[0-9a-f]+$/.test(reference)) {
      const matches = this.ids().filter((id) => id.startsWith(reference));
      if (matches.length > 1) throw new RuntimeError(`multiple containers match id prefix ${reference}: give more of the id`);
      if (matches.length === 1) return this.read(matches[0]!);
    }
    throw new NoSuchContainer(reference);
  }

  /** The id a name is claimed by, if the claim is live. */
  idOfName(name: string): string | undefined {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) return undefined;
    try {
      const id = readlinkSync(namePath(this.storage, name));
      return isFullId(id) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Claim `name` for `id` (symlink(2): atomic). A name claimed by a live record is refused
   * with Docker's message; a stale claim (its target has no record) is taken over.
   */
  claimName(name: string, id: string): void {
    mkdirSync(namesDir(this.storage), { recursive: true, mode: 0o700 });
    const link = namePath(this.storage, name);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        symlinkSync(id, link);
        return;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const holder = this.idOfName(name);
      if (holder === id) return;
      if (holder !== undefined && existsSync(this.paths(holder).record)) {
        throw new RuntimeError(
          `the container name "/${name}" is already in use by container "${holder}": remove (or rename) that container to reuse the name`,
          { exitCode: 125 },
        );
      }
      // stale: its creator died before writing the record, or its remover after removing it
      try {
        if (readlinkSync(link) === (holder ?? readlinkSync(link))) unlinkSync(link);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
      }
    }
    throw new RuntimeError(`cannot claim the container name "/${name}": it keeps changing hands`, { exitCode: 125 });
  }

  /** Give up `name` if `id` holds it (never another container's claim). */
  releaseName(name: string, id: string): void {
    const bare = name.startsWith('/') ? name.slice(1) : name;
    if (this.idOfName(bare) !== id) return;
    try {
      unlinkSync(namePath(this.storage, bare));
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
  }

  /**
   * A lock taken on a container removed meanwhile makes its directory again (to hold the
   * lock file): a directory without a record is removed here. (Only `create` makes one
   * legitimately, and it writes the record right after; nobody else knows its new id.)
   */
  removeIfGone(id: string): void {
    if (isFullId(id) && !existsSync(this.paths(id).record) && existsSync(this.paths(id).dir)) {
      removableDir(this.paths(id).dir);
      rmSync(this.paths(id).dir, { recursive: true, force: true });
    }
  }

  /**
   * Forget a container: record first (it is no longer listed), then its name, then the
   * directory. The caller has unmounted and released what the directory's files held.
   */
  remove(record: ContainerRecord): void {
    const paths = this.paths(record.Id);
    // what a killed `cp` or `export` left mounted below (a bind of a host directory among
    // them) goes first: the removal below must never cross into a mount
    removableDir(paths.dir);
    rmSync(paths.record, { force: true });
    this.releaseName(record.Name, record.Id);
    rmSync(paths.dir, { recursive: true, force: true });
  }
}

/** Unmount everything below a container's directory; refuse (throw) if anything stays mounted. */
export function removableDir(dir: string): void {
  unmountBelow(dir);
  const left = mountsBelow(dir);
  if (left.length > 0) throw new RuntimeError(`${dir}: still mounted below it (${left.join(', ')}): not removed`, { code: 'EBUSY' });
}
