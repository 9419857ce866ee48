/** docker run's storage flags → HostConfig (src/cli/container/mount-flags.ts). */
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/args.js';
import { MOUNT_FLAGS, mountHostConfig, parseMountFlag, parseTmpfsFlag } from '../../src/cli/container/mount-flags.js';

describe('--mount', () => {
  it('reads every key docker documents, with its synonyms', () => {
    expect(parseMountFlag('type=bind,source=/srv,target=/data,readonly,bind-propagation=rslave')).toEqual({
      Type: 'bind', Source: '/srv', Target: '/data', ReadOnly: true, BindOptions: { Propagation: 'rslave' },
    });
    expect(parseMountFlag('type=volume,src=v,dst=/v,volume-nocopy,volume-label=a=b,ro=false')).toEqual({
      Type: 'volume', Source: 'v', Target: '/v', ReadOnly: false, VolumeOptions: { NoCopy: true, Labels: { a: 'b' } },
    });
    expect(parseMountFlag('type=tmpfs,destination=/t,tmpfs-size=64m,tmpfs-mode=1770')).toEqual({
      Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 64 * 1024 * 1024, Mode: 0o1770 },
    });
    expect(parseMountFlag('target=/anon')).toEqual({ Type: 'volume', Target: '/anon' });
  });
  it('names the bad key or value', () => {
    expect(() => parseMountFlag('type=bind,src=/a,dst=/b,colour=red')).toThrow('unexpected key "colour"');
    expect(() => parseMountFlag('type=nfs,dst=/b')).toThrow('type "nfs" is not supported');
    expect(() => parseMountFlag('type=bind,dst=/b')).toThrow('type=bind needs a source');
    expect(() => parseMountFlag('type=volume,dst=/b,tmpfs-size=1m')).toThrow('tmpfs-size is for type=tmpfs only');
    expect(() => parseMountFlag('type=bind,src=/a,dst=/b,bind-propagation=sideways')).toThrow('invalid bind-propagation "sideways"');
    expect(() => parseMountFlag('type=bind,src=/a,dst=/b,readonly=maybe')).toThrow('invalid value for readonly');
    expect(() => parseMountFlag('type=tmpfs,dst=/b,tmpfs-mode=999')).toThrow('invalid tmpfs-mode');
    expect(() => parseMountFlag('type=bind,src=/a')).toThrow('target (dst=) is required');
  });
});

describe('run flags → HostConfig', () => {
  it('collects -v, --mount, --tmpfs, --volumes-from and --read-only', () => {
    const parsed = parseFlags(['-v', '/a:/b:ro', '--mount', 'type=tmpfs,dst=/t', '--tmpfs', '/run:size=1m', '--volumes-from', 'web:ro', '--read-only'], MOUNT_FLAGS, 'run');
    expect(mountHostConfig(parsed)).toEqual({
      Binds: ['/a:/b:ro'], Mounts: [{ Type: 'tmpfs', Target: '/t' }], Tmpfs: { '/run': 'size=1m' }, VolumesFrom: ['web:ro'], ReadonlyRootfs: true,
    });
  });
  it('refuses a bad -v, --tmpfs or --volumes-from before anything is made', () => {
    expect(() => mountHostConfig(parseFlags(['-v', '/a:/b:xx'], MOUNT_FLAGS, 'run'))).toThrow('unknown option "xx"');
    expect(() => parseTmpfsFlag('/run:colour=red')).toThrow('unknown option "colour"');
    expect(() => mountHostConfig(parseFlags(['--volumes-from', 'web:rx'], MOUNT_FLAGS, 'run'))).toThrow('CONTAINER[:ro|rw]');
  });
});
