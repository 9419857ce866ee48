import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bridgeNameFor, createNetwork, findNetwork, listNetworks, loadNetwork } from '../../src/network/networks.js';

/** A host without routes of its own, so the tests do not depend on this machine's. */
const noRoutes = () => [];

describe('network definitions', () => {
  let storage: string;
  beforeEach(() => { storage = mkdtempSync(join(tmpdir(), 'ts-runc-nets-')); });
  afterEach(() => rmSync(storage, { recursive: true, force: true }));

  it('creates a network with defaults from the auto pool, and lists it', () => {
    const def = createNetwork(storage, { name: 'appnet' }, noRoutes);
    expect(def).toMatchObject({ name: 'appnet', subnet: '10.78.0.0/24', gateway: '10.78.0.1', bridge: bridgeNameFor(storage, 'appnet') });
    expect(def.bridge).toMatch(/^tsbr-[0-9a-f]{8}$/);
    expect(createNetwork(storage, { name: 'second' }, noRoutes).subnet).toBe('10.78.1.0/24');
    expect(listNetworks(storage).map((n) => n.name)).toEqual(['appnet', 'second']);
  });

  it('refuses a taken name, an overlapping subnet, a foreign gateway, a shared bridge and reserved names', () => {
    createNetwork(storage, { name: 'a', subnet: '10.89.0.0/16', bridge: 'br-a' }, noRoutes);
    expect(() => createNetwork(storage, { name: 'a' }, noRoutes)).toThrow('network a already exists');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.89.3.0/24' }, noRoutes)).toThrow('overlaps network a (10.89.0.0/16)');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.90.0.0/24', gateway: '10.91.0.1' }, noRoutes)).toThrow('is not a host address of 10.90.0.0/24');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.90.0.0/24', bridge: 'br-a' }, noRoutes)).toThrow('bridge br-a is already used by network a');
    expect(() => createNetwork(storage, { name: 'host' }, noRoutes)).toThrow('invalid network name');
    expect(() => createNetwork(storage, { name: 'b', bridge: 'a-very-long-bridge-name' }, noRoutes)).toThrow('at most 15');
    expect(findNetwork(storage, 'b')).toBeUndefined();
  });

  it('steers clear of the host\'s routes: the auto pool skips them, an explicit overlapping subnet is refused', () => {
    const routes = () => [{ dst: '10.78.0.0/23', ifname: 'eth1' }, { dst: '10.89.0.0/24', ifname: bridgeNameFor(storage, 'mine') }];
    expect(createNetwork(storage, { name: 'auto' }, routes).subnet).toBe('10.78.2.0/24');
    expect(() => createNetwork(storage, { name: 'b', subnet: '10.78.1.0/24' }, routes)).toThrow("subnet 10.78.1.0/24 overlaps the host's route to 10.78.0.0/23 (dev eth1)");
    // the route of this network's own bridge (left from an earlier life) is not a clash
    expect(createNetwork(storage, { name: 'mine', subnet: '10.89.0.0/24' }, routes).subnet).toBe('10.89.0.0/24');
    expect(bridgeNameFor('/other/storage', 'mine')).not.toBe(bridgeNameFor(storage, 'mine'));
  });

  it('makes the default network on first use only', () => {
    expect(listNetworks(storage)).toEqual([]);
    expect(loadNetwork(storage, 'ts-runc')).toMatchObject({ subnet: '10.77.0.0/16', gateway: '10.77.0.1', bridge: 'tsrunc0' });
    expect(() => loadNetwork(storage, 'nope')).toThrow('network nope not found');
  });
});
