/**
 * The v1 device-rule transition `update` writes (src/cgroups/device-transition.ts): the
 * kernel's state replayed from rules, and the smallest safe list of lines between two states.
 */
import { describe, expect, it } from 'vitest';
import { emulate, parseDevicesList, transition } from '../../src/cgroups/device-transition.js';
import { normaliseDeviceRules } from '../../src/cgroups/devices.js';
import { mergeResources } from '../../src/container/update.js';

const denyAll = { allow: false, access: 'rwm' };

describe('device rule transition (update on cgroup v1)', () => {
  it('replays rules as the kernel keeps them: a default and merged exceptions', () => {
    const state = emulate(normaliseDeviceRules([denyAll, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
      { allow: true, type: 'c', major: 1, minor: 11, access: 'w' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]));
    expect(state.defaultAllow).toBe(false);
    expect(state.exceptions.get('c 1:11')).toBe('rw');
    expect(state.exceptions.get('c 1:3')).toBe('rwm'); // ALWAYS_ALLOWED comes after the spec's rules
    expect(state.exceptions.get('c *:*')).toBe('m');
  });

  it('reads devices.list: "a *:* rwm" is default-allow, other lines are allowed exceptions', () => {
    expect(parseDevicesList('a *:* rwm\n')).toEqual({ defaultAllow: true, exceptions: new Map() });
    expect(parseDevicesList('c 1:3 rwm\nc *:* m\n')).toEqual({ defaultAllow: false, exceptions: new Map([['c 1:3', 'rwm'], ['c *:*', 'm']]) });
  });

  it('between two deny-by-default states writes no "a" line, and revokes before it grants', () => {
    const from = emulate(normaliseDeviceRules([denyAll, { allow: true, type: 'c', major: 1, minor: 11, access: 'rwm' }]));
    const to = emulate(normaliseDeviceRules([denyAll, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' },
      { allow: true, type: 'b', major: 7, minor: 0, access: 'rw' }]));
    expect(transition(from, to)).toEqual([['devices.deny', 'c 1:11 wm'], ['devices.allow', 'b 7:0 rw']]);
    expect(transition(to, to)).toEqual([]);
  });

  it('between two allow-by-default states adds the new denies before lifting the old', () => {
    const from = emulate([{ allow: false, type: 'c', major: 4, minor: 1, access: 'rw' }]);
    const to = emulate([{ allow: false, type: 'c', major: 4, minor: 2, access: 'rw' }]);
    expect(transition(from, to)).toEqual([['devices.deny', 'c 4:2 rw'], ['devices.allow', 'c 4:1 rw']]);
  });

  it('changing the default writes it first, then the exceptions of the new state', () => {
    const from = parseDevicesList('a *:* rwm');
    const to = emulate([{ allow: false, type: 'a', access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }]);
    expect(transition(from, to)).toEqual([['devices.deny', 'a *:* rwm'], ['devices.allow', 'c 1:3 rw']]);
  });
});

describe('update keeps the resources and merges each update into them', () => {
  it('replaces the values given and keeps the others; lists are replaced whole', () => {
    const kept = { cpu: { quota: 20000, period: 100000, cpus: '0' }, pids: { limit: 50 }, devices: [{ allow: false, access: 'rwm' }] };
    expect(mergeResources(kept, { cpu: { period: 50000 }, devices: [] })).toEqual({
      cpu: { quota: 20000, period: 50000, cpus: '0' }, pids: { limit: 50 }, devices: [],
    });
  });
});
