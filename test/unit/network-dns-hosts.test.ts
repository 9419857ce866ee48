/** --dns/--dns-search/--dns-option and --add-host into the name files (src/network/hosts-files.ts), and hosts of a container on two networks (peers.ts). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExtraHosts, renderHosts, renderResolvConf } from '../../src/network/hosts-files.js';
import { macForAddress } from '../../src/network/attach.js';

describe('resolv.conf and hosts from docker\'s flags', () => {
  const host = 'domain corp\nsearch example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\noptions edns0\n';
  it('replaces only the kinds of line given, keeps the host\'s others', () => {
    expect(renderResolvConf(host, { servers: ['1.1.1.1', '9.9.9.9'] })).toBe('domain corp\nsearch example.org\nnameserver 1.1.1.1\nnameserver 9.9.9.9\noptions edns0\n');
    expect(renderResolvConf(host, { search: ['a.test', 'b.test'], options: ['ndots:2'] })).toBe('search a.test b.test\nnameserver 10.0.0.2\noptions ndots:2\n');
    expect(renderResolvConf(host, undefined)).toBe('search example.org\nnameserver 10.0.0.2\noptions edns0\n'.replace(/^/, 'domain corp\n'));
    expect(() => renderResolvConf(host, { servers: ['dns.example'] })).toThrow('--dns dns.example: not an IP address');
  });
  it('--add-host: NAME:IP, NAME=IP, IPv6 in brackets, host-gateway as the network\'s gateway', () => {
    expect(parseExtraHosts(['db:10.1.1.1', 'cache=10.1.1.2', 'v6:[::1]', 'gw:host-gateway'], '10.89.0.1')).toEqual([
      { ip: '10.1.1.1', names: ['db'] }, { ip: '10.1.1.2', names: ['cache'] }, { ip: '::1', names: ['v6'] }, { ip: '10.89.0.1', names: ['gw'] },
    ]);
    expect(() => parseExtraHosts(['gw:host-gateway'], undefined)).toThrow('host-gateway needs a bridge network');
    expect(() => parseExtraHosts(['db'], undefined)).toThrow('expected NAME:IP');
    expect(() => parseExtraHosts(['db:nohost'], undefined)).toThrow('is not an IP address');
    expect(renderHosts(undefined, [], [{ ip: '10.1.1.1', names: ['db'] }])).toContain('::1\tlocalhost ip6-localhost ip6-loopback\n10.1.1.1\tdb\n');
  });
  it('a MAC from the address, as Docker\'s', () => {
    expect(macForAddress('172.17.0.2')).toBe('02:42:ac:11:00:02');
  });
});

describe('hosts of a container on two networks', () => {
  it('lists its address on each and the peers of both', async () => {
    const { refreshHosts } = await import('../../src/network/peers.js');
    const root = mkdtempSync(join(tmpdir(), 'ts-runc-peers-'));
    try {
      // leases whose containers are "live": a runtime state dir with the same created time
      const state = join(root, 'state');
      const lease = (net: string, ip: string, id: string, hostsFile: string, names: string[]) => {
        mkdirSync(join(state, id), { recursive: true });
        writeFileSync(join(state, id, 'state.json'), JSON.stringify({ created: 'c' }));
        mkdirSync(join(root, 'networks', net, 'leases'), { recursive: true });
        writeFileSync(join(root, 'networks', net, 'leases', `${ip}.json`), JSON.stringify({ ip, container: id, root: state, created: 'c', names, hostname: id, hostsFile, hostVeth: 'x' }));
      };
      const files = { web: join(root, 'web.hosts'), a: join(root, 'a.hosts'), b: join(root, 'b.hosts') };
      for (const file of Object.values(files)) writeFileSync(file, '');
      lease('front', '10.1.0.2', 'web', files.web, ['web']);
      lease('back', '10.2.0.5', 'web', files.web, ['web', 'api']);
      lease('front', '10.1.0.3', 'a', files.a, ['a']);
      lease('back', '10.2.0.2', 'b', files.b, ['b']);
      refreshHosts(join(root, 'networks', 'back'));
      const web = readFileSync(files.web, 'utf8');
      expect(web).toMatch(/^10\.2\.0\.5\tweb api$/m);
      expect(web).toMatch(/^10\.1\.0\.2\tweb$/m);
      expect(web).toMatch(/^10\.1\.0\.3\ta$/m);
      expect(web).toMatch(/^10\.2\.0\.2\tb$/m);
      const b = readFileSync(files.b, 'utf8');
      expect(b).toMatch(/^10\.2\.0\.5\tweb api$/m);
      expect(b).not.toMatch(/\ta$/m); // a is on front only: b does not see it
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
