import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/args.js';
import { NETWORK_FLAGS, networkRequest } from '../../src/cli/network-flags.js';

const parse = (argv: string[]) => parseFlags(argv, NETWORK_FLAGS, 'run');

describe('network flags', () => {
  it('leaves a bundle\'s netns alone without --network, and gives image containers the default bridge', () => {
    expect(networkRequest(parse([]), false, '/s')).toBeUndefined();
    expect(networkRequest(parse([]), true, '/s')).toEqual({ mode: { kind: 'bridge', network: 'ts-runc' }, storage: '/s', aliases: [], publish: [], publishAll: false });
  });

  it('parses the modes, aliases and ports', () => {
    expect(networkRequest(parse(['--network', 'none']), false, '/s')?.mode).toEqual({ kind: 'none' });
    expect(networkRequest(parse(['--network', 'host']), false, '/s')?.mode).toEqual({ kind: 'host' });
    expect(networkRequest(parse(['--network', 'container:db']), false, '/s')?.mode).toEqual({ kind: 'container', id: 'db' });
    const r = networkRequest(parse(['--network', 'appnet', '--network-alias', 'www', '-p', '8080:80', '-P']), false, '/s');
    expect(r).toMatchObject({ mode: { kind: 'bridge', network: 'appnet' }, aliases: ['www'], publishAll: true });
    expect(r?.publish).toEqual([{ hostIp: '', hostPort: 8080, containerPort: 80, protocol: 'tcp' }]);
  });

  it('refuses ports without a network for a bundle', () => {
    expect(() => networkRequest(parse(['-p', '80:80']), false, '/s')).toThrow('need --network NAME');
  });
});
