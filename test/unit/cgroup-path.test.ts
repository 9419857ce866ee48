import { describe, expect, it } from 'vitest';
import { containerCgroupPath, defaultLeaf } from '../../src/cgroups/cgroup.js';
import type { Hierarchy } from '../../src/cgroups/hierarchy.js';

const memory: Hierarchy = { key: 'memory', mountPoint: '/sys/fs/cgroup/memory', ownPath: '/ci/job', version: 1 };

describe('where a container cgroup goes', () => {
  it('keeps a relative cgroupsPath with .. below the caller’s cgroup, as runc’s CleanPath does', () => {
    expect(containerCgroupPath(memory, { cgroupsPath: '../x', id: 'c', root: '/run/a' })).toBe('/ci/job/x');
    expect(containerCgroupPath(memory, { cgroupsPath: 'a/../../../x', id: 'c', root: '/run/a' })).toBe('/ci/job/x');
    expect(containerCgroupPath(memory, { cgroupsPath: 'pod/ctr', id: 'c', root: '/run/a' })).toBe('/ci/job/pod/ctr');
  });

  it('reads an absolute cgroupsPath from the mount point, never above it', () => {
    expect(containerCgroupPath(memory, { cgroupsPath: '/../../x', id: 'c', root: '/run/a' })).toBe('/x');
    expect(containerCgroupPath(memory, { cgroupsPath: '/machine/ctr', id: 'c', root: '/run/a' })).toBe('/machine/ctr');
  });

  it('refuses a cgroupsPath that names the caller’s own cgroup or the root', () => {
    expect(() => containerCgroupPath(memory, { cgroupsPath: '..', id: 'c', root: '/run/a' })).toThrow(/linux.cgroupsPath/);
    expect(() => containerCgroupPath(memory, { cgroupsPath: '/', id: 'c', root: '/run/a' })).toThrow(/linux.cgroupsPath/);
  });

  it('gives one id under two --roots two different cgroups', () => {
    const a = containerCgroupPath(memory, { cgroupsPath: undefined, id: 'web', root: '/tmp/a' });
    const b = containerCgroupPath(memory, { cgroupsPath: undefined, id: 'web', root: '/tmp/b' });
    expect(a).not.toBe(b);
    expect(a).toBe(`/ci/job/${defaultLeaf('/tmp/a', 'web')}`);
    expect(defaultLeaf('/tmp/a', 'web')).toMatch(/^ts-runc-[0-9a-f]{8}-web$/);
  });
});
