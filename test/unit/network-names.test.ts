import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filterResolvConf, renderHosts, writeInPlace } from '../../src/network/hosts-files.js';

describe('name files', () => {
  it('renders /etc/hosts: localhost, the container, then its peers with their aliases', () => {
    expect(renderHosts({ ip: '10.89.0.3', names: ['web', 'www'] }, [{ ip: '10.89.0.2', names: ['db', 'database'] }])).toBe(
      '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.89.0.3\tweb www\n10.89.0.2\tdb database\n');
    expect(renderHosts(undefined, [])).toBe('127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n');
  });

  it('drops loopback nameservers from the host\'s resolv.conf and keeps the rest', () => {
    const host = 'search example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\noptions edns0\n';
    expect(filterResolvConf(host)).toBe('search example.org\nnameserver 10.0.0.2\noptions edns0\n');
  });

  it('says so, and names no resolver, when only loopback ones were there', () => {
    const out = filterResolvConf('nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n');
    expect(out).not.toMatch(/^nameserver/m);
    expect(out).toContain('# ts-runc: the host has no nameserver reachable from a container');
    expect(out).toContain('search .');
  });

  it('rewrites a hosts file in place: the inode a bind mount pins stays the same', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-runc-hosts-'));
    try {
      const file = join(dir, 'hosts');
      writeFileSync(file, 'a long first version of the file\n');
      const inode = statSync(file).ino;
      const held = openSync(file, 'r'); // as the bind mount holds it
      writeInPlace(file, 'short\n');
      expect(statSync(file).ino).toBe(inode);
      expect(readFileSync(file, 'utf8')).toBe('short\n');
      closeSync(held);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
