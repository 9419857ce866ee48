import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore, type StoredState } from '../../src/state/container-state.js';

function sample(id: string): StoredState {
  return {
    ociVersion: '1.2.1', id, pid: 0, pidStartTime: '', bundle: '/b', rootfs: '/b/rootfs',
    created: new Date(0).toISOString(), owner: '', annotations: {}, started: false, cgroupPaths: {},
    hooks: { poststart: [], poststop: [] }, namespaces: [], userns: false,
  };
}

describe('container state under --root', () => {
  let root: string;
  let store: StateStore;
  beforeEach(() => { root = mkdtempSync(join(tmpdir(), 'ts-runc-state-')); store = new StateStore(root); });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('claims an id once: a second claim says it already exists', () => {
    store.claim('web');
    expect(() => store.claim('web')).toThrow('container with id web already exists');
  });

  it('refuses ids that are not safe directory names', () => {
    for (const id of ['', '..', 'a/b', 'a b']) expect(() => store.claim(id)).toThrow('invalid container id');
  });

  it('writes state atomically and reads it back; leaves no temp file', () => {
    store.claim('web');
    store.write({ ...sample('web'), pid: 42 });
    expect(store.read('web').pid).toBe(42);
    expect(readdirSync(store.dir('web'))).toEqual(['state.json']);
  });

  it('lists only containers with a state file, sorted, and says when one does not exist', () => {
    for (const id of ['b', 'a']) { store.claim(id); store.write(sample(id)); }
    store.claim('half-made');
    expect(store.list()).toEqual(['a', 'b']);
    expect(() => store.read('nope')).toThrow('container nope does not exist');
    store.remove('a');
    expect(store.list()).toEqual(['b']);
  });

  it('an empty or missing root lists nothing', () => {
    expect(new StateStore(join(root, 'absent')).list()).toEqual([]);
  });
});
