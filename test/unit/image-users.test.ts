import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseGroup, parsePasswd, readEtcFiles, resolveInRoot, resolveUser } from '../../src/image/users.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  '# a comment',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  'broken:x:notanumber:1::/:/bin/sh',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'wheel:x:10:app,root', 'app:x:1000:', 'audio:x:29:daemon, app', 'staff:x:50:'].join('\n');
const ETC = { passwd: PASSWD, group: GROUP };

describe('passwd and group files', () => {
  it('parses entries and skips comments and malformed lines', () => {
    expect(parsePasswd(PASSWD)).toEqual([
      { name: 'root', uid: 0, gid: 0, home: '/root' },
      { name: 'daemon', uid: 1, gid: 1, home: '/usr/sbin' },
      { name: 'app', uid: 1000, gid: 1000, home: '/home/app' },
    ]);
    expect(parseGroup(GROUP).find((g) => g.name === 'audio')).toEqual({ name: 'audio', gid: 29, members: ['daemon', 'app'] });
  });
});

describe('User → uid, gid and supplementary groups', () => {
  it('no user is root', () => {
    expect(resolveUser('', ETC)).toEqual({ uid: 0, gid: 0, additionalGids: [10], home: '/root' });
    expect(resolveUser('', {})).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/' });
  });
  it('a name takes uid, gid and home from passwd, and the groups that list it', () => {
    expect(resolveUser('app', ETC)).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app' });
  });
  it('a uid found in passwd is that user', () => {
    expect(resolveUser('1000', ETC)).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/app' });
  });
  it('an unknown uid runs with gid 0 and needs no files', () => {
    expect(resolveUser('4242', ETC)).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
    expect(resolveUser('4242:4343', {})).toEqual({ uid: 4242, gid: 4343, additionalGids: [], home: '/' });
  });
  it('uid:gid and name:group set the primary group and no supplementary ones', () => {
    expect(resolveUser('1000:50', ETC)).toEqual({ uid: 1000, gid: 50, additionalGids: [], home: '/home/app' });
    expect(resolveUser('app:staff', ETC)).toEqual({ uid: 1000, gid: 50, additionalGids: [], home: '/home/app' });
    expect(resolveUser('daemon:wheel', ETC)).toEqual({ uid: 1, gid: 10, additionalGids: [], home: '/usr/sbin' });
  });
  it('a missing user or group is a clear error', () => {
    expect(() => resolveUser('nobody', ETC)).toThrow('unable to find user nobody: no matching entries in /etc/passwd');
    expect(() => resolveUser('nobody', {})).toThrow('unable to find user nobody: the image has no /etc/passwd');
    expect(() => resolveUser('app:nogroup', ETC)).toThrow('unable to find group nogroup: no matching entries in /etc/group');
    expect(() => resolveUser('a:b:c', ETC)).toThrow('expected user[:group]');
  });
});

describe('reading the image\'s files inside its root', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves absolute and relative symlinks and ".." inside the root, never above it', () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-users-'));
    const root = join(dir, 'rootfs');
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, 'real'), { recursive: true });
    writeFileSync(join(dir, 'secret'), 'host:x:0:0::/:/bin/sh\n');
    writeFileSync(join(root, 'real', 'passwd'), 'img:x:7:7::/img:/bin/sh\n');
    symlinkSync('/real/passwd', join(root, 'etc', 'passwd'));
    symlinkSync('../../../../secret', join(root, 'etc', 'group'));
    expect(resolveInRoot(root, '/etc/passwd')).toBe(join(root, 'real/passwd'));
    expect(resolveInRoot(root, '/../../etc/../real/./x/y')).toBe(join(root, 'real/x/y'));
    expect(resolveInRoot(root, '/etc/group')).toBe(join(root, 'secret'));
    const etc = readEtcFiles(root);
    expect(etc.passwd).toContain('img:x:7:7');
    expect(etc.group).toBeUndefined(); // the link escapes to /secret of the image, which does not exist
  });

  it('a symlink loop is an error, not a hang', () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-users-'));
    symlinkSync('/b', join(dir, 'a'));
    symlinkSync('/a', join(dir, 'b'));
    expect(() => resolveInRoot(dir, '/a/x')).toThrow('too many levels of symbolic links');
  });
});
