/** The volume store's verbs without root: create, filters, prune (anonymous only unless all), rm refused in use. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { parseFilterFlags, queryVolumes } from '../../src/engine/volumes/list.js';
import { pruneVolumes, removeVolume } from '../../src/engine/volumes/remove.js';
import { createVolume, getVolume } from '../../src/engine/volumes/store.js';
import type { ContainerRecord } from '../../src/engine/types.js';

describe('volume store', () => {
  let storage: string;
  beforeEach(() => {
    storage = mkdtempSync(join(tmpdir(), 'ts-runc-vols-'));
  });
  afterEach(() => rmSync(storage, { recursive: true, force: true }));

  const record = (name: string, host: ContainerRecord['HostConfig'], mounts: ContainerRecord['Mounts'] = []) => {
    const id = name.padEnd(64, '0').replace(/[^0-9a-f]/g, 'a');
    const store = new ContainerStore(storage);
    mkdirSync(store.paths(id).dir, { recursive: true });
    store.write({ Id: id, Name: `/${name}`, Created: '', Path: 'sh', Args: [], Image: '', Config: { Image: 'x' }, HostConfig: host, NetworkingConfig: {}, Mounts: mounts, Root: '/r' });
    return id;
  };

  it('creates Docker\'s Volume objects and refuses options the local driver does not mount', () => {
    const v = createVolume(storage, { Name: 'data', Labels: { team: 'web' } });
    expect(v).toMatchObject({ Name: 'data', Driver: 'local', Scope: 'local', Labels: { team: 'web' }, Options: {}, Mountpoint: join(storage, 'volumes/data/_data') });
    expect(v.CreatedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(createVolume(storage, { Name: 'data' })).toEqual(v);
    expect(() => createVolume(storage, { Name: 'x', DriverOpts: { type: 'nfs' } })).toThrow('mounts only type=tmpfs');
    expect(() => createVolume(storage, { Name: 'x', DriverOpts: { type: 'tmpfs', o: 'exec' } })).toThrow('"exec" is not a tmpfs option');
    expect(() => createVolume(storage, { Name: 'x', Driver: 'nfs' })).toThrow('volume driver "nfs" is not supported');
    expect(() => createVolume(storage, { Name: '../x' })).toThrow('invalid volume name');
    expect(() => getVolume(storage, 'nope')).toThrow('no such volume: nope');
  });

  it('filters as docker: dangling, name (substring), label, label!=', () => {
    createVolume(storage, { Name: 'web-data', Labels: { tier: 'front' } });
    createVolume(storage, { Name: 'db-data', Labels: { tier: 'back' } });
    createVolume(storage, { Name: 'cache' });
    record('app', { Binds: ['db-data:/var/lib/db'] });
    const names = (filters: string[]) => queryVolumes(storage, parseFilterFlags(filters)).map((v) => v.Name);
    expect(names([])).toEqual(['cache', 'db-data', 'web-data']);
    expect(names(['dangling=true'])).toEqual(['cache', 'web-data']);
    expect(names(['dangling=false'])).toEqual(['db-data']);
    expect(names(['name=data'])).toEqual(['db-data', 'web-data']);
    expect(names(['label=tier'])).toEqual(['db-data', 'web-data']);
    expect(names(['label=tier=back', 'label=tier=front'])).toEqual(['db-data', 'web-data']);
    expect(names(['label!=tier=back', 'name=data'])).toEqual(['web-data']);
    expect(() => parseFilterFlags(['colour=red'])).toThrow('invalid filter "colour"');
  });

  it('rm is refused while a container uses the volume, naming it; prune takes unused anonymous volumes, -a all unused ones', () => {
    createVolume(storage, { Name: 'used' });
    createVolume(storage, { Name: 'named' });
    const anon = createVolume(storage, {}).Name;
    const anonUsed = createVolume(storage, {}).Name;
    const id = record('web', {}, [{ Type: 'volume', Name: 'used', Source: '', Destination: '/d', Mode: '', RW: true, Propagation: '' },
      { Type: 'volume', Name: anonUsed, Source: '', Destination: '/a', Mode: '', RW: true, Propagation: '' }]);
    expect(() => removeVolume(storage, 'used')).toThrow(`volume used is in use by container web (${id.slice(0, 12)})`);
    expect(() => removeVolume(storage, 'used', { force: true })).toThrow('in use');
    expect(() => removeVolume(storage, 'gone')).toThrow('no such volume: gone');
    removeVolume(storage, 'gone', { force: true });
    expect(pruneVolumes(storage).VolumesDeleted).toEqual([anon]);
    expect(pruneVolumes(storage, { all: true }).VolumesDeleted).toEqual(['named']);
    expect(queryVolumes(storage).map((v) => v.Name).sort()).toEqual([anonUsed, 'used'].sort());
  });
});
