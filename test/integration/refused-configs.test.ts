/**
 * Configs runc refuses (or cannot start) are refused by ts-runc too, with the JSON path of
 * the setting to blame, and leave nothing behind: ids that would leave the process root,
 * a sysctl that would land in the runtime's own network namespace, uid mappings the kernel
 * refuses, a memory limit too small for the container to start.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TS_RUNC, cgroupDirsFor, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';
import { makeNetns, type Netns } from './netns.js';

const suite = isRoot && haveFixture ? describe : describe.skip;

suite('configs ts-runc refuses, naming the setting', () => {
  let box: Sandbox;
  let ns: Netns | undefined;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => {
    box.cleanup();
    ns?.remove();
    ns = undefined;
  });

  /** Nothing of container `id` is left: no state directory, no cgroup directory. */
  const nothingLeft = (id: string) => {
    expect(existsSync(join(box.root, id))).toBe(false);
    expect(cgroupDirsFor(box.cgroupLeaf(id))).toEqual([]);
  };

  it('uid or gid 4294967295 ((uid_t)-1) does not start a container, which would run as root', () => {
    for (const [field, user] of [['uid', { uid: 4294967295, gid: 0 }], ['gid', { uid: 0, gid: 4294967295 }]] as const) {
      const id = `uidmax-${field}`;
      const r = box.run(['run', '-b', box.bundle(['id'], (s) => { s.process!.user = user; }), id]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`config.json: process.user.${field}: must be in range 0-2147483647`);
      nothingLeft(id);
    }
  });

  it('exec --user, --additional-gids and exec -p refuse the same ids; the container is unharmed', () => {
    expect(box.run(['run', '-d', '-b', box.bundle(['sleep', '30']), 'idexec']).status).toBe(0);
    const byFlag = box.run(['exec', '--user', '4294967295:0', 'idexec', 'id']);
    // runc's status for an exec the runtime refuses: 255 ("exec failed: ... uids and gids must be in range").
    expect(byFlag.status).toBe(255);
    expect(byFlag.stdout).toBe('');
    expect(byFlag.stderr).toContain('exec flags: user.uid: must be in range 0-2147483647');
    const gids = box.run(['exec', '--additional-gids', '4294967295', 'idexec', 'id']);
    expect(gids.stderr).toContain('exec flags: user.additionalGids[0]: must be in range 0-2147483647');
    const file = join(box.dir, 'process.json');
    writeFileSync(file, JSON.stringify({ args: ['id'], cwd: '/', user: { uid: 0, gid: 4294967295 } }));
    const byFile = box.run(['exec', '-p', file, 'idexec']);
    expect(byFile.status).toBe(255);
    expect(byFile.stderr).toContain('process.json: user.gid: must be in range 0-2147483647');
    expect(box.run(['exec', '--user', '2147483647:2147483647', 'idexec', 'id']).stdout.trim()).toBe('uid=2147483647 gid=2147483647');
  });

  it('a net.* sysctl for a joined network namespace that is ts-runc\'s own is refused, and the value is unchanged', () => {
    // "The host" is the namespace ts-runc runs in: here a namespace this test made, so even
    // a runtime that got it wrong would change only the test's namespace.
    ns = makeNetns('tsr-sysctl');
    const ttl = () => ns!.run('cat', ['/proc/sys/net/ipv4/ip_default_ttl']).trim();
    const before = ttl();
    const bundle = box.bundle(['true'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: ns!.path } : n));
      s.linux!.sysctl = { 'net.ipv4.ip_default_ttl': '99' };
    });
    const r = spawnSync('nsenter', [`--net=${ns.path}`, '--', TS_RUNC, '--root', box.root, '--storage', box.storage, 'run', '-b', bundle, 'hostnet'], {
      encoding: 'utf8', timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/config\.json: linux\.sysctl\["net\.ipv4\.ip_default_ttl"\]: is not allowed in the host's network namespace \(linux\.namespaces\[\d+\]\.path \/run\/netns\/tsr-sysctl-\S+ is the namespace ts-runc runs in\)/);
    expect(ttl()).toBe(before);
    nothingLeft('hostnet');
  });

  it('a net.* sysctl for a joined network namespace that is not ts-runc\'s own is set there, as runc does', () => {
    ns = makeNetns('tsr-sysctl');
    const bundle = box.bundle(['cat', '/proc/sys/net/ipv4/ip_default_ttl'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: ns!.path } : n));
      s.linux!.sysctl = { 'net.ipv4.ip_default_ttl': '99' };
    });
    const r = box.run(['run', '-b', bundle, 'ownnet']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('99');
    expect(ns.run('cat', ['/proc/sys/net/ipv4/ip_default_ttl']).trim()).toBe('99');
  });

  it('a uid mapping of size 0 is refused before anything is made, naming the mapping', () => {
    const bundle = box.bundle(['id'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 0 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    const r = box.run(['run', '-b', bundle, 'size0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('config.json: linux.uidMappings[0].size: must be at least 1');
    nothingLeft('size0');
  });

  it('a process uid its user namespace does not map is refused before anything is made, as runc refuses it', () => {
    const bundle = box.bundle(['id'], (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 10 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 10 }];
      s.process!.user = { uid: 50, gid: 0 };
    });
    const r = box.run(['run', '-b', bundle, 'unmapped']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('config.json: process.user.uid: 50 is not mapped by linux.uidMappings');
    nothingLeft('unmapped');
  });

  it('a memory limit too small to start fails create naming linux.resources.memory.limit, and leaves nothing', () => {
    const bundle = box.bundle(['true'], (s) => { s.linux!.resources = { memory: { limit: 4096 } }; });
    const r = box.run(['create', '-b', bundle, 'tinymem']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/create tinymem: config\.json: linux\.resources\.memory\.limit: 4096 bytes is too small for the container to start: the kernel's OOM killer killed its init/);
    expect(r.stderr).not.toMatch(/^ts-runc: create tinymem: the container process exited before it was ready/);
    nothingLeft('tinymem');
  });
});
