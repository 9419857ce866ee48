import { describe, expect, it } from 'vitest';
import { parseChallenges } from '../../src/image/registry/challenge.js';

describe('WWW-Authenticate challenges from a registry', () => {
  it('reads a Bearer challenge: realm, service and a scope whose actions contain a comma', () => {
    const header = 'Bearer realm="https://auth.registry.example/token",service="registry.example",scope="repository:library/busybox:pull,push"';
    expect(parseChallenges(header)).toEqual([{
      scheme: 'bearer',
      params: { realm: 'https://auth.registry.example/token', service: 'registry.example', scope: 'repository:library/busybox:pull,push' },
    }]);
  });

  it('reads a Basic challenge as htpasswd registries send it', () => {
    expect(parseChallenges('Basic realm="basic-realm"')).toEqual([{ scheme: 'basic', params: { realm: 'basic-realm' } }]);
  });

  it('accepts unquoted values, any case in names, spaces after commas and escaped quotes', () => {
    expect(parseChallenges('bearer Realm=http://127.0.0.1:1/token, Service="a \\"b\\""')).toEqual([{
      scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/token', service: 'a "b"' },
    }]);
  });

  it('splits several challenges in one header', () => {
    const parsed = parseChallenges('Basic realm="r", Bearer realm="https://t/x",service="s"');
    expect(parsed.map((c) => c.scheme)).toEqual(['basic', 'bearer']);
    expect(parsed[1]!.params).toEqual({ realm: 'https://t/x', service: 's' });
  });

  it('says what is wrong with an unterminated quoted value', () => {
    expect(() => parseChallenges('Bearer realm="https://t')).toThrow('unterminated quoted string');
  });
});
