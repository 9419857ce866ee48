/** `exec --cgroup` values read as runc's getSubCgroupPaths reads them (issue 10 item 3). */
import { describe, expect, it } from 'vitest';
import { parseSubCgroups } from '../../src/cli/commands/exec.js';

describe('exec --cgroup', () => {
  it('maps each controller of a prefix to the path, and a bare path to every hierarchy', () => {
    expect(parseSubCgroups([])).toEqual({});
    expect(parseSubCgroups(['sub/x'])).toEqual({ '': 'sub/x' });
    expect(parseSubCgroups(['cpu,cpuacct:a', 'memory:b'])).toEqual({ cpu: 'a', cpuacct: 'a', memory: 'b' });
    expect(parseSubCgroups(['name=systemd:a'])).toEqual({ 'name=systemd': 'a' });
  });
  it('refuses a bare path beside others, an empty controller and a controller given twice', () => {
    expect(() => parseSubCgroups(['a', 'memory:b'])).toThrow('missing <controller>: prefix');
    expect(() => parseSubCgroups([':a'])).toThrow('empty <controller> prefix');
    expect(() => parseSubCgroups(['cpu,:a'])).toThrow('empty <controller> prefix');
    expect(() => parseSubCgroups(['memory:a', 'memory,pids:b'])).toThrow('controller memory specified multiple times');
  });
});
