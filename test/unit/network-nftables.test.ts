import { describe, expect, it } from 'vitest';
import { containerTag, deleteScript, hostPortOf, networkScript, portsScript, tableScript } from '../../src/network/nftables.js';
import { parsePublish } from '../../src/network/ports.js';

describe('nftables scripts', () => {
  it('makes the table idempotently: hook chains are flushed and refilled with one jump each', () => {
    const script = tableScript();
    expect(script).toContain('add table ip ts-runc\n');
    expect(script).toContain('add chain ip ts-runc prerouting { type nat hook prerouting priority dstnat; policy accept; }');
    expect(script).toContain('flush chain ip ts-runc prerouting\nflush chain ip ts-runc output\n');
    expect(script.match(/jump ports/g)).toHaveLength(2);
    expect(script).toContain('fib daddr type local jump ports');
  });

  it('gives a network masquerade, localhost and hairpin masquerade and isolation, tagged with its name', () => {
    expect(networkScript({ name: 'appnet', subnet: '10.89.0.0/24', bridge: 'tsbr-1' })).toBe([
      'add element ip ts-runc bridges { "tsbr-1" }',
      'add rule ip ts-runc postrouting ip saddr 10.89.0.0/24 oifname != "tsbr-1" masquerade comment "net:appnet"',
      'add rule ip ts-runc postrouting ip saddr 127.0.0.0/8 oifname "tsbr-1" masquerade comment "net:appnet"',
      'add rule ip ts-runc postrouting ip saddr 10.89.0.0/24 oifname "tsbr-1" ct status dnat masquerade comment "net:appnet"',
      'add rule ip ts-runc forward iifname "tsbr-1" oifname @bridges oifname != "tsbr-1" drop comment "net:appnet"',
    ].join('\n') + '\n');
  });

  it('DNATs each published port to the container, on one host address if given', () => {
    const tag = containerTag('web', 'tsr0123456789ab');
    expect(tag).toBe('ctr:web:tsr0123456789ab');
    expect(portsScript(tag, '10.89.0.2', [parsePublish('8080:80'), parsePublish('127.0.0.1:5353:53/udp')])).toBe(
      'add rule ip ts-runc ports tcp dport 8080 dnat to 10.89.0.2:80 comment "ctr:web:tsr0123456789ab"\n' +
      'add rule ip ts-runc ports ip daddr 127.0.0.1 udp dport 5353 dnat to 10.89.0.2:53 comment "ctr:web:tsr0123456789ab"\n');
  });

  it('deletes exactly the rules carrying a tag, by handle', () => {
    const rules = [
      { chain: 'ports', handle: 7, comment: 'ctr:web:tsr1' },
      { chain: 'ports', handle: 8, comment: 'ctr:web2:tsr2' },
      { chain: 'postrouting', handle: 9, comment: 'net:appnet' },
      { chain: 'prerouting', handle: 3 },
    ];
    expect(deleteScript(rules, 'ctr:web:tsr1')).toBe('delete rule ip ts-runc ports handle 7\n');
    expect(deleteScript(rules, 'net:appnet')).toBe('delete rule ip ts-runc postrouting handle 9\n');
    expect(deleteScript(rules, 'ctr:gone:tsr3')).toBe('');
  });

  it('reads back the host address and port a DNAT rule takes, from `nft -j` output', () => {
    const match = (protocol: string, field: string, right: unknown) => ({ match: { op: '==', left: { payload: { protocol, field } }, right } });
    expect(hostPortOf([match('ip', 'daddr', '127.0.0.1'), match('udp', 'dport', 5353), { dnat: { addr: '10.1.0.2', port: 53 } }]))
      .toEqual({ hostIp: '127.0.0.1', hostPort: 5353, protocol: 'udp' });
    expect(hostPortOf([match('tcp', 'dport', 8080), { dnat: { addr: '10.1.0.2', port: 80 } }])).toEqual({ hostIp: '', hostPort: 8080, protocol: 'tcp' });
    expect(hostPortOf([{ jump: { target: 'ports' } }])).toBeUndefined();
  });
});
