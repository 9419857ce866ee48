/**
 * `container rename OLD NEW` (POST /containers/{id}/rename?name=NEW): the new name is
 * claimed first (symlink(2), atomic: store.ts), then the record changes under its lock,
 * then the old claim goes. A name in use is refused with Docker's message and nothing
 * changes; the container may be running (its network aliases keep the old name until it
 * is started again, as the running container's /etc/hosts does).
 */
import { RuntimeError } from '../../errors.js';
import { ContainerStore } from './store.js';

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function renameContainer(storage: string, reference: string, newName: string): void {
  const bare = newName.startsWith('/') ? newName.slice(1) : newName;
  if (!NAME.test(bare)) throw new RuntimeError(`rename: invalid container name (${newName}): only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const store = new ContainerStore(storage);
  const record = store.resolve(reference);
  const old = record.Name.slice(1);
  if (old === bare) throw new RuntimeError(`rename: renaming a container with the same name as its current name (${bare})`);
  store.claimName(bare, record.Id);
  try {
    store.update(record.Id, (r) => {
      r.Name = `/${bare}`;
    });
  } catch (error) {
    store.releaseName(bare, record.Id);
    throw error;
  }
  store.releaseName(old, record.Id);
}
