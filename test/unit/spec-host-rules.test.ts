import { describe, expect, it } from 'vitest';
import { defaultSpec } from '../../src/spec/defaults.js';
import { checkSpecOnHost, hostNamespaceProblems } from '../../src/spec/host-rules.js';
import { SpecError } from '../../src/spec/errors.js';
import type { NamespaceType, Spec } from '../../src/spec/schema.js';

/** The default spec, joining namespace `type` at `path`. */
function joining(type: NamespaceType, path: string, edit: (spec: Spec) => void = () => {}): Spec {
  const spec = defaultSpec({ rootless: false });
  spec.linux!.namespaces = [...spec.linux!.namespaces!.filter((ns) => ns.type !== type), { type, path }];
  edit(spec);
  return spec;
}

describe('namespaces joined by path that are the host\'s own (checked at create)', () => {
  it('refuses a net.* sysctl when the joined network namespace is the one ts-runc runs in, as runc does', () => {
    const spec = joining('network', '/proc/self/ns/net', (s) => { s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; });
    const index = spec.linux!.namespaces!.length - 1;
    expect(hostNamespaceProblems(spec)).toEqual([{
      path: ['linux', 'sysctl', 'net.ipv4.ip_forward'],
      message: `is not allowed in the host's network namespace (linux.namespaces[${index}].path /proc/self/ns/net is the namespace ts-runc runs in)`,
    }]);
    expect(() => checkSpecOnHost(spec)).toThrow(SpecError);
    expect(() => checkSpecOnHost(spec)).toThrow(/^config.json: linux.sysctl\["net.ipv4.ip_forward"\]: is not allowed in the host's network namespace/);
  });

  it('refuses IPC sysctls and a hostname for the host\'s IPC and UTS namespaces too', () => {
    const ipc = joining('ipc', '/proc/self/ns/ipc', (s) => { s.linux!.sysctl = { 'kernel.shmmax': '1' }; });
    expect(hostNamespaceProblems(ipc).map((p) => p.path)).toEqual([['linux', 'sysctl', 'kernel.shmmax']]);
    const uts = joining('uts', '/proc/self/ns/uts', (s) => { s.hostname = 'renamed'; s.domainname = 'example'; });
    expect(hostNamespaceProblems(uts).map((p) => p.path)).toEqual([['hostname'], ['domainname']]);
  });

  it('a joined path that does not exist is named when the config writes into it', () => {
    const spec = joining('network', '/run/netns/no-such-netns-for-ts-runc', (s) => { s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' }; });
    expect(hostNamespaceProblems(spec)).toEqual([{
      path: ['linux', 'namespaces', spec.linux!.namespaces!.length - 1, 'path'],
      message: 'invalid netns path: stat /run/netns/no-such-netns-for-ts-runc: ENOENT',
    }]);
  });

  it('leaves joined namespaces alone when the config writes nothing into them', () => {
    expect(hostNamespaceProblems(joining('network', '/proc/self/ns/net'))).toEqual([]);
    expect(hostNamespaceProblems(joining('network', '/run/netns/no-such-netns-for-ts-runc'))).toEqual([]);
  });

  it('runs the spec-only rules again, for a spec --network edited (host mode drops the netns)', () => {
    const spec = defaultSpec({ rootless: false });
    spec.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
    spec.linux!.namespaces = spec.linux!.namespaces!.filter((ns) => ns.type !== 'network');
    expect(() => checkSpecOnHost(spec)).toThrow(/linux.sysctl\["net.ipv4.ip_forward"\]: is not allowed in the host's network namespace \(no "network" entry/);
  });
});
