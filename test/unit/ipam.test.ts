import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allocate, intToIp, ipToInt, liveLeases, overlaps, parseSubnet, release, type Lease } from '../../src/network/ipam.js';
import { teardownNetwork } from '../../src/network/container-network.js';
import { withFileLock } from '../../src/sys/file-lock.js';

describe('IPAM: subnets', () => {
  it('converts addresses to numbers and back', () => {
    expect(ipToInt('10.89.0.1')).toBe(0x0a590001);
    expect(intToIp(0x0a590001)).toBe('10.89.0.1');
    expect(() => ipToInt('10.89.0.256')).toThrow('is not an IPv4 address');
  });

  it('parses a subnet and refuses host bits and odd prefixes', () => {
    expect(parseSubnet('10.89.0.0/24')).toEqual({ base: 0x0a590000, prefix: 24 });
    expect(() => parseSubnet('10.89.0.5/24')).toThrow('host bits set (did you mean 10.89.0.0/24?)');
    expect(() => parseSubnet('10.0.0.0/31')).toThrow('N from 8 to 30');
    expect(() => parseSubnet('10.0.0.0')).toThrow('invalid subnet');
  });

  it('tells overlapping subnets', () => {
    expect(overlaps(parseSubnet('10.0.0.0/16'), parseSubnet('10.0.5.0/24'))).toBe(true);
    expect(overlaps(parseSubnet('10.0.0.0/24'), parseSubnet('10.0.1.0/24'))).toBe(false);
  });
});

describe('IPAM: leases', () => {
  let dir: string;
  let root: string;
  const subnet = parseSubnet('10.89.0.0/29'); // .1 gateway, .2-.6 for containers, .7 broadcast
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-ipam-'));
    root = join(dir, 'state');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A container that exists (its state says `created`), as create.ts leaves it before leasing. */
  function container(id: string, created = '2026-01-01T00:00:00.000Z'): Omit<Lease, 'ip'> {
    mkdirSync(join(root, id), { recursive: true });
    writeFileSync(join(root, id, 'state.json'), JSON.stringify({ id, created }));
    return { container: id, root, created, names: [id], hostname: id, hostsFile: join(dir, `${id}.hosts`), hostVeth: `tsr${id}` };
  }
  const lease = (id: string) => withFileLock(join(dir, 'lock'), () => allocate(dir, subnet, '10.89.0.1', container(id)).ip);

  it('hands out the first free address after the gateway, and never the broadcast', () => {
    expect(['a', 'b', 'c', 'd', 'e'].map(lease)).toEqual(['10.89.0.2', '10.89.0.3', '10.89.0.4', '10.89.0.5', '10.89.0.6']);
    expect(() => lease('f')).toThrow('has no free address left (5 in use)');
  });

  it('reuses a released address, and only its holder can release it', () => {
    lease('a');
    lease('b');
    release(dir, '10.89.0.2', 'someone-else', root);
    expect(readdirSync(join(dir, 'leases'))).toHaveLength(2);
    release(dir, '10.89.0.2', 'a', root);
    expect(lease('c')).toBe('10.89.0.2');
  });

  it('reclaims the address of a container that is gone or whose id was reused', () => {
    lease('a');
    lease('b');
    rmSync(join(root, 'a'), { recursive: true }); // died without delete, its --root wiped
    container('b', '2026-02-02T00:00:00.000Z'); // a newer container under the old id
    const stale: string[] = [];
    const live = withFileLock(join(dir, 'lock'), () => liveLeases(dir, (l) => stale.push(l.container)));
    expect(live).toEqual([]);
    expect(stale.sort()).toEqual(['a', 'b']);
    expect(lease('c')).toBe('10.89.0.2');
  });

  it('a reader without reclaim skips a stale lease but keeps its file for the next allocate to clean up', () => {
    lease('a');
    rmSync(join(root, 'a'), { recursive: true });
    expect(withFileLock(join(dir, 'lock'), () => liveLeases(dir))).toEqual([]);
    expect(readdirSync(join(dir, 'leases'))).toEqual(['10.89.0.2.json']);
    const reclaimed: string[] = [];
    withFileLock(join(dir, 'lock'), () => allocate(dir, subnet, '10.89.0.1', container('b'), (l) => reclaimed.push(l.container)));
    expect(reclaimed).toEqual(['a']);
  });

  it('keeps the lease of a create in progress (directory claimed, no state yet)', () => {
    lease('a');
    rmSync(join(root, 'a', 'state.json'));
    expect(withFileLock(join(dir, 'lock'), () => liveLeases(dir)).map((l) => l.container)).toEqual(['a']);
  });

  it('a lease file a killed writer left half-written, or its temporary file, is skipped and removed by the next allocate', () => {
    lease('a');
    writeFileSync(join(dir, 'leases', '10.89.0.3.json'), ''); // opened, killed before the write
    writeFileSync(join(dir, 'leases', '10.89.0.4.json.123.tmp'), '{"ip":');
    expect(withFileLock(join(dir, 'lock'), () => liveLeases(dir)).map((l) => l.ip)).toEqual(['10.89.0.2']);
    expect(lease('b')).toBe('10.89.0.3');
    expect(readdirSync(join(dir, 'leases')).sort()).toEqual(['10.89.0.2.json', '10.89.0.3.json']);
  });

  it('teardown of a create killed between leasing an address and recording it finds the lease by its holder', () => {
    // <storage>/networks/net: the network's directory, as networks.ts lays it out
    const storage = join(dir, 'storage');
    const net = join(storage, 'networks', 'net');
    mkdirSync(net, { recursive: true });
    const held = withFileLock(join(net, 'lock'), () => allocate(net, subnet, '10.89.0.1', container('a')).ip);
    const other = withFileLock(join(net, 'lock'), () => allocate(net, subnet, '10.89.0.1', container('b')).ip);
    // state.network as create.ts writes it before the lease: no ip yet
    teardownNetwork({ mode: 'bridge', storage, network: 'net', bridge: 'tsbr-x', hostVeth: 'tsr0000', aliases: [], ports: [], ownFiles: false }, 'a', root);
    expect(readdirSync(join(net, 'leases'))).toEqual([`${other}.json`]);
    expect(held).toBe('10.89.0.2');
  });

  it('starts after a gateway that is not the first address, wrapping round', () => {
    const ip = withFileLock(join(dir, 'lock'), () => allocate(dir, subnet, '10.89.0.5', container('a')).ip);
    expect(ip).toBe('10.89.0.6');
    const next = withFileLock(join(dir, 'lock'), () => allocate(dir, subnet, '10.89.0.5', container('b')).ip);
    expect(next).toBe('10.89.0.1'); // .1 is a host address too when the gateway is .5
    expect(existsSync(join(dir, 'leases', '10.89.0.1.json'))).toBe(true);
  });
});
