/**
 * `update` and the freezer against the recording double of src/sys/kernel-files.ts: what an
 * update writes on v2 when it gives one half of a pair (cpu.max holds quota and period), and
 * what freeze and thaw write. The state store is real, in a temporary directory.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freeze, thaw } from '../../src/cgroups/freezer.js';
import { updateContainer } from '../../src/container/update.js';
import { pidStartTime } from '../../src/process/liveness.js';
import { StateStore, type StoredState } from '../../src/state/container-state.js';
import type { SpecResources } from '../../src/spec/schema.js';
import { RecordingKernelFiles } from './kernel-files-double.js';

const CGROUP2_SUPER_MAGIC = 0x63677270;
const dir = '/sys/fs/cgroup/ci/c';

let restore: (() => void) | undefined;
let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ts-runc-update-'));
});
afterEach(() => {
  restore?.();
  restore = undefined;
  rmSync(root, { recursive: true, force: true });
});

/** a cgroup v2 host whose container cgroup has every controller enabled above it */
function unifiedHost(files: Record<string, string>): RecordingKernelFiles {
  const kernel = new RecordingKernelFiles({
    '/proc/self/cgroup': '0::/ci\n',
    '/proc/self/mountinfo': '30 20 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n',
    '/sys/fs/cgroup/cgroup.subtree_control': 'cpu memory pids\n',
    '/sys/fs/cgroup/ci/cgroup.subtree_control': 'cpu memory pids\n',
    [`${dir}/cgroup.events`]: 'populated 1\nfrozen 0\n',
    [`${dir}/cgroup.freeze`]: '0\n',
    ...files,
  });
  kernel.fsTypes.set('/sys/fs/cgroup', CGROUP2_SUPER_MAGIC);
  restore = kernel.install();
  return kernel;
}

/** a running container whose init is this very process (alive, with its real start time) */
function runningContainer(store: StateStore, resources: SpecResources | undefined): void {
  store.claim('c');
  const state = {
    ociVersion: '1.0.2', id: 'c', pid: process.pid, pidStartTime: pidStartTime(process.pid),
    bundle: root, rootfs: join(root, 'rootfs'), created: new Date(0).toISOString(), owner: 'root', annotations: {},
    started: true, cgroupPaths: { unified: dir }, hooks: { poststart: [], poststop: [] }, namespaces: [], userns: false,
    resources,
  } satisfies StoredState;
  store.write(state);
}

describe('update on cgroup v2', () => {
  it('completes cpu.max from the resources kept in the state, and keeps the merge', () => {
    const kernel = unifiedHost({ [`${dir}/cpu.max`]: '50000 100000\n', [`${dir}/pids.max`]: '' });
    const store = new StateStore(root);
    runningContainer(store, { cpu: { quota: 50000, period: 100000 }, pids: { limit: 10 } });
    updateContainer(store, 'c', { cpu: { quota: 20000 } });
    expect(kernel.writes()).toEqual([[`${dir}/cpu.max`, '20000 100000']]);
    expect(store.read('c').resources).toEqual({ cpu: { quota: 20000, period: 100000 }, pids: { limit: 10 } });
  });

  it('completes the other half from cpu.max itself when the state kept no resources', () => {
    const kernel = unifiedHost({ [`${dir}/cpu.max`]: '30000 50000\n' });
    const store = new StateStore(root);
    runningContainer(store, undefined);
    updateContainer(store, 'c', { cpu: { period: 200000 } });
    expect(kernel.writes()).toEqual([[`${dir}/cpu.max`, '30000 200000']]);
  });

  it('names the container and the setting when the kernel refuses a write', () => {
    const kernel = unifiedHost({ [`${dir}/pids.max`]: '' }).failNext(`${dir}/pids.max`, 'EINVAL');
    const store = new StateStore(root);
    runningContainer(store, { pids: { limit: 10 } });
    expect(() => updateContainer(store, 'c', { pids: { limit: 5 } })).toThrow(/^update c: linux\.resources\.pids\.limit: write "5" to .*pids\.max: EINVAL/);
    expect(kernel.writes()).toEqual([]);
    expect(store.read('c').resources).toEqual({ pids: { limit: 10 } }); // not kept: nothing was applied
  });
});

describe('freezer', () => {
  it('v1: writes FROZEN, sees freezer.state FROZEN, and THAWED on thaw', async () => {
    const v1 = '/sys/fs/cgroup/freezer/c';
    const kernel = new RecordingKernelFiles({ [`${v1}/freezer.state`]: 'THAWED\n' });
    restore = kernel.install();
    await freeze({ freezer: v1, unified: dir });
    thaw({ freezer: v1, unified: dir });
    expect(kernel.writes()).toEqual([[`${v1}/freezer.state`, 'FROZEN'], [`${v1}/freezer.state`, 'THAWED']]);
  });

  it('v2: thaws again and says so when cgroup.events never shows frozen 1', async () => {
    const kernel = unifiedHost({});
    await expect(freeze({ unified: dir }, 30)).rejects.toThrow(`the cgroup ${dir} did not freeze within 30 ms; thawed it again`);
    expect(kernel.writes()).toEqual([[`${dir}/cgroup.freeze`, '1'], [`${dir}/cgroup.freeze`, '0']]);
  });
});

describe('device rules on cgroup v1', () => {
  it('says so when devices.list does not list the wanted rules after the writes (a parent that forbids them)', async () => {
    const { applyDeviceUpdate } = await import('../../src/cgroups/device-transition.js');
    const v1 = '/sys/fs/cgroup/devices/c';
    // the double keeps devices.list as it was, as a kernel whose parent refuses every change would
    const kernel = new RecordingKernelFiles({ [`${v1}/devices.list`]: 'a *:* rwm\n', [`${v1}/devices.allow`]: '', [`${v1}/devices.deny`]: '' });
    restore = kernel.install();
    expect(() => applyDeviceUpdate({ devices: v1 }, undefined, [{ allow: false, access: 'rwm' }], 'legacy'))
      .toThrow(`linux.resources.devices: ${v1}/devices.list does not match the rules after the update`);
    expect(kernel.writes()[0]).toEqual([`${v1}/devices.deny`, 'a *:* rwm']); // the new default first
  });
});
