import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bridgeNameFor, createNetwork, findNetwork, listNetworks, loadNetwork } from '../../src/network/networks.js';

describe('network definitions', () => {
  let storage: string;
  beforeEach(() => { storage = mkdtempSync(join(tmpdir(), 'ts-runc-nets-')); });
  afterEach(() => rmSync(storage, { recursive: true, force: true }));

  it('creates a network with defaults from the auto pool, and lists it', () => {
    const def = createNetwork(storage, { name: 'appnet' });
    expect(def).toMatchObject({ name: 'appnet', subnet: '10.78.0.0/24', gateway: '10.78.0.1', bridge: bridgeNameFor('appnet') });
    expect(def.bridge).toMatch(/^tsbr-[0-9a-f]{8}$/);
    expect(createNetwork(storage, { name: 'second' }).subnet).toBe('10.78.1.0/24');
    expect(listNetworks(storage).map((n) => n.name)).toEqual(['appnet', 'second']);
  });

  it('refuses a taken name, an overlapping subnet, a foreign gateway, a shared bridge and reserved names', () => {
    createNetwork(storage, { name: 'a', subnet: '10.89.0.0/16', bridge: 'br-a' });
    expect(() => createNetwork(storage, { name: 'a' })).toThrow('network a already exists');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.89.3.0/24' })).toThrow('overlaps network a (10.89.0.0/16)');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.90.0.0/24', gateway: '10.91.0.1' })).toThrow('is not a host address of 10.90.0.0/24');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.90.0.0/24', bridge: 'br-a' })).toThrow('bridge br-a is already used by network a');
    expect(() => createNetwork(storage, { name: 'host' })).toThrow('invalid network name');
    expect(() => createNetwork(storage, { name: 'b', bridge: 'a-very-long-bridge-name' })).toThrow('at most 15');
    expect(findNetwork(storage, 'b')).toBeUndefined();
  });

  it('makes the default network on first use only', () => {
    expect(listNetworks(storage)).toEqual([]);
    expect(loadNetwork(storage, 'ts-runc')).toMatchObject({ subnet: '10.77.0.0/16', gateway: '10.77.0.1', bridge: 'tsrunc0' });
    expect(() => loadNetwork(storage, 'nope')).toThrow('network nope not found');
  });
});
