import { describe, expect, it } from 'vitest';
import { checkNoDuplicateHostPorts, exposedPorts, formatMapping, parsePublish } from '../../src/network/ports.js';

describe('published ports', () => {
  it('parses -p as docker does', () => {
    expect(parsePublish('8080:80')).toEqual({ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('127.0.0.1:5353:53/udp')).toEqual({ hostIp: '127.0.0.1', hostPort: 5353, containerPort: 53, protocol: 'udp' });
    expect(parsePublish('80')).toEqual({ hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' });
    expect(parsePublish('127.0.0.1::80')).toEqual({ hostIp: '127.0.0.1', hostPort: 0, containerPort: 80, protocol: 'tcp' });
  });

  it('refuses bad mappings with the reason', () => {
    expect(() => parsePublish('8080:80/sctp')).toThrow('protocol must be tcp or udp');
    expect(() => parsePublish('70000:80')).toThrow('host port "70000" is not a port');
    expect(() => parsePublish('8080:http')).toThrow('container port "http" is not a port');
    expect(() => parsePublish('300.1.1.1:80:80')).toThrow('is not an IPv4 address');
    expect(() => parsePublish('1:2:3:4')).toThrow('use [ip:]hostPort:containerPort');
    expect(() => parsePublish('8000-8001:80-81')).toThrow('port ranges (80-81) are not supported; give one -p per port');
  });

  it('reads the exposed-ports annotation for -P', () => {
    expect(exposedPorts('80/tcp, 53/udp,8080')).toEqual([
      { hostIp: '', hostPort: 0, containerPort: 80, protocol: 'tcp' },
      { hostIp: '', hostPort: 0, containerPort: 53, protocol: 'udp' },
      { hostIp: '', hostPort: 0, containerPort: 8080, protocol: 'tcp' },
    ]);
    expect(exposedPorts(undefined)).toEqual([]);
  });

  it('prints mappings like docker port', () => {
    expect(formatMapping(parsePublish('8080:80'))).toBe('80/tcp -> 0.0.0.0:8080');
    expect(formatMapping(parsePublish('127.0.0.1:5353:53/udp'))).toBe('53/udp -> 127.0.0.1:5353');
  });

  it('refuses one host port published twice', () => {
    expect(() => checkNoDuplicateHostPorts([parsePublish('8080:80'), parsePublish('8080:81')])).toThrow('host port 0.0.0.0:8080/tcp is published twice');
    expect(() => checkNoDuplicateHostPorts([parsePublish('8080:80'), parsePublish('8080:80/udp')])).not.toThrow();
    // every address overlaps any one address; two different addresses do not
    expect(() => checkNoDuplicateHostPorts([parsePublish('0.0.0.0:8080:80'), parsePublish('127.0.0.1:8080:81')])).toThrow('published twice');
    expect(() => checkNoDuplicateHostPorts([parsePublish('127.0.0.1:8080:80'), parsePublish('192.0.2.1:8080:81')])).not.toThrow();
  });

  it('takes -p 0.0.0.0:H:C as every address, as docker does (no `ip daddr 0.0.0.0` rule, which nothing matches)', () => {
    expect(parsePublish('0.0.0.0:8080:80')).toEqual(parsePublish('8080:80'));
    expect(parsePublish('0.0.0.0::80').hostIp).toBe('');
  });
});
