/**
 * -v strings (HostConfig.Binds) and the mount set a container gets (resolveMounts): the
 * parsing and ordering rules, checked without root on a temporary --storage.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseBind } from '../../src/engine/volumes/bind-spec.js';
import { resolveMounts } from '../../src/engine/volumes/mounts.js';
import { createVolume, findVolume, listVolumes } from '../../src/engine/volumes/store.js';
import type { ContainerRecord } from '../../src/engine/types.js';

describe('-v (HostConfig.Binds)', () => {
  it('parses host paths, names, anonymous volumes and their options', () => {
    expect(parseBind('/srv/data:/data:ro')).toMatchObject({ type: 'bind', source: '/srv/data', destination: '/data', readOnly: true, mode: 'ro' });
    expect(parseBind('cache:/var/cache/')).toMatchObject({ type: 'volume', source: 'cache', destination: '/var/cache', readOnly: false });
    expect(parseBind('/scratch')).toEqual({ type: 'volume', destination: '/scratch', readOnly: false, mode: '', noCopy: false });
    expect(parseBind('/a:/b:rshared,Z,ro')).toMatchObject({ propagation: 'rshared', label: 'Z', readOnly: true });
    expect(parseBind('v:/b:nocopy')).toMatchObject({ noCopy: true });
  });
  it('refuses what docker refuses, naming the problem', () => {
    expect(() => parseBind('/a:rel')).toThrow('must be absolute');
    expect(() => parseBind('/a:/b:rx')).toThrow('unknown option "rx"');
    expect(() => parseBind('../x:/b')).toThrow('neither an absolute host path nor a volume name');
    expect(() => parseBind('/data:ro')).toThrow('an anonymous volume takes no options');
    expect(() => parseBind('/a:/b:ro,rw')).toThrow('more than one ro/rw option');
    expect(() => parseBind('/a:/b:nocopy')).toThrow('nocopy applies to volumes only');
    expect(() => parseBind('v:/b:shared')).toThrow('propagation applies to bind mounts only');
    expect(() => parseBind('/a:/')).toThrow('cannot be "/"');
  });
});

describe('resolveMounts', () => {
  let storage: string;
  beforeEach(() => {
    storage = mkdtempSync(join(tmpdir(), 'ts-runc-mounts-'));
  });
  afterEach(() => rmSync(storage, { recursive: true, force: true }));

  it('orders parents first, makes named and anonymous volumes, and keeps the anonymous one on the next call', () => {
    const host = join(storage, 'host');
    const first = resolveMounts({
      storage, id: 'c1', volumes: ['/data'],
      hostConfig: { Binds: [`${host}:/data/cache:ro`, 'named:/srv'], Tmpfs: { '/run': 'size=64m' } },
    });
    expect(first.specMounts.map((m) => m.destination)).toEqual(['/srv', '/run', '/data', '/data/cache']);
    const anon = first.mounts.find((m) => m.Destination === '/data')!;
    expect(anon.Name).toMatch(/^[0-9a-f]{64}$/);
    expect(first.mounts.find((m) => m.Destination === '/data/cache')).toMatchObject({ Type: 'bind', Source: host, RW: false, Propagation: 'rprivate' });
    expect(first.specMounts.find((m) => m.destination === '/run')).toEqual({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'noexec', 'size=64m', 'rw'] });
    expect(findVolume(storage, anon.Name!)?.Labels).toEqual({ 'com.docker.volume.anonymous': '' });
    const again = resolveMounts({ storage, id: 'c1', volumes: ['/data'], previous: first.mounts, hostConfig: { Binds: [`${host}:/data/cache:ro`, 'named:/srv'] } });
    expect(again.mounts.find((m) => m.Destination === '/data')!.Name).toBe(anon.Name);
    expect(listVolumes(storage).map((v) => v.Name).sort()).toEqual([anon.Name, 'named'].sort());
  });

  it('refuses a missing --mount bind source and the same path twice, leaving no volume behind', () => {
    expect(() => resolveMounts({ storage, id: 'c', volumes: ['/x'], hostConfig: { Binds: ['v1:/a'], Mounts: [{ Type: 'bind', Source: join(storage, 'nope'), Target: '/b' }] } }))
      .toThrow('bind source path does not exist');
    expect(listVolumes(storage)).toEqual([]);
    expect(() => resolveMounts({ storage, id: 'c', volumes: [], hostConfig: { Binds: ['v1:/a'], Mounts: [{ Type: 'volume', Source: 'v2', Target: '/a' }] } }))
      .toThrow('duplicate mount point: /a');
    expect(() => resolveMounts({ storage, id: 'c', volumes: [], hostConfig: { Mounts: [{ Type: 'tmpfs', Source: 'x', Target: '/a' }] } }))
      .toThrow('field Source must not be specified');
  });

  it('--volumes-from takes the other container\'s volumes and binds, in the mode asked for', () => {
    const other = { Id: 'a'.repeat(64), Name: '/web', Mounts: [
      { Type: 'volume', Name: 'site', Source: '', Destination: '/www', Mode: '', RW: true, Propagation: '' },
      { Type: 'bind', Source: storage, Destination: '/host', Mode: 'ro', RW: false, Propagation: 'rprivate' },
      { Type: 'tmpfs', Source: '', Destination: '/run', Mode: '', RW: true, Propagation: '' },
    ] } as unknown as ContainerRecord;
    createVolume(storage, { Name: 'site' });
    const find = (ref: string) => (ref === 'web' ? other : undefined);
    const r = resolveMounts({ storage, id: 'c', volumes: [], hostConfig: { VolumesFrom: ['web:ro'] }, findContainer: find });
    expect(r.mounts.map((m) => [m.Destination, m.RW])).toEqual([['/www', false], ['/host', false]]);
    expect(() => resolveMounts({ storage, id: 'c', volumes: [], hostConfig: { VolumesFrom: ['nope'] }, findContainer: find })).toThrow('--volumes-from nope: no such container');
  });

  it('adopts a volume directory from before volume.json', () => {
    mkdirSync(join(storage, 'volumes/old'), { recursive: true });
    writeFileSync(join(storage, 'volumes/old/f'), 'x');
    const v = findVolume(storage, 'old')!;
    expect(v.Mountpoint).toBe(join(storage, 'volumes/old/_data'));
    expect(readFileSync(join(v.Mountpoint, 'f'), 'utf8')).toBe('x');
    // one whose creation was cut short before volume.json keeps its _data where it is
    mkdirSync(join(storage, 'volumes/half/_data'), { recursive: true });
    writeFileSync(join(storage, 'volumes/half/_data/g'), 'y');
    expect(readFileSync(join(findVolume(storage, 'half')!.Mountpoint, 'g'), 'utf8')).toBe('y');
  });
});
