/**
 * The cgroupfs and procfs writes of create, update and delete, checked without root
 * against the recording double of src/sys/kernel-files.ts: which files, which values, in
 * which order, and what the code does when the kernel says EINVAL or EBUSY.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupsLeftToJoin, createCgroups, initCgroups, removeCgroups } from '../../src/cgroups/cgroup.js';
import { applyResources } from '../../src/cgroups/resources.js';
import { writeIdMaps } from '../../src/container/id-maps.js';
import { writeOomScoreAdj } from '../../src/container/oom-score-adj.js';
import type { Spec } from '../../src/spec/schema.js';
import { RecordingKernelFiles } from './kernel-files-double.js';

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});
function install(double: RecordingKernelFiles): RecordingKernelFiles {
  restore = double.install();
  return double;
}

const CGROUP2_SUPER_MAGIC = 0x63677270;

/** files of a v1 cgroup directory, all empty */
function v1Files(dir: string, names: string[]): Record<string, string> {
  return Object.fromEntries(names.map((name) => [`${dir}/${name}`, '']));
}

describe('applyResources on cgroup v1', () => {
  const paths = { memory: '/cg/memory/c', 'cpu,cpuacct': '/cg/cpu,cpuacct/c', pids: '/cg/pids/c' };
  const files = {
    ...v1Files(paths.memory, ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']),
    ...v1Files(paths['cpu,cpuacct'], ['cpu.shares', 'cpu.cfs_period_us', 'cpu.cfs_quota_us']),
    ...v1Files(paths.pids, ['pids.max']),
  };
  const resources = {
    memory: { limit: 268435456, swap: 536870912 },
    cpu: { shares: 512, quota: 50000, period: 100000 },
    pids: { limit: 64 },
  };

  it('writes each file in its controller’s hierarchy, in order, limit before swap when lowering', () => {
    const kernel = install(new RecordingKernelFiles({ ...files, [`${paths.memory}/memory.limit_in_bytes`]: '9223372036854771712\n' }));
    applyResources(paths, resources, 'legacy');
    expect(kernel.writes()).toEqual([
      ['/cg/memory/c/memory.limit_in_bytes', '268435456'],
      ['/cg/memory/c/memory.memsw.limit_in_bytes', '536870912'],
      ['/cg/cpu,cpuacct/c/cpu.shares', '512'],
      ['/cg/cpu,cpuacct/c/cpu.cfs_period_us', '100000'],
      ['/cg/cpu,cpuacct/c/cpu.cfs_quota_us', '50000'],
      ['/cg/pids/c/pids.max', '64'],
    ]);
  });

  it('writes memory+swap first when raising both above the current limit (runc setMemoryAndSwap)', () => {
    const kernel = install(new RecordingKernelFiles({ ...files, [`${paths.memory}/memory.limit_in_bytes`]: '104857600\n' }));
    applyResources(paths, { memory: resources.memory }, 'legacy');
    expect(kernel.writes()).toEqual([
      ['/cg/memory/c/memory.memsw.limit_in_bytes', '536870912'],
      ['/cg/memory/c/memory.limit_in_bytes', '268435456'],
    ]);
  });

  it('writes the cfs period again after the quota when the kernel refuses it first with EINVAL', () => {
    const kernel = install(new RecordingKernelFiles(files).failNext('/cg/cpu,cpuacct/c/cpu.cfs_period_us', 'EINVAL'));
    applyResources(paths, { cpu: { quota: 20000, period: 10000 } }, 'legacy');
    expect(kernel.writes()).toEqual([
      ['/cg/cpu,cpuacct/c/cpu.cfs_quota_us', '20000'],
      ['/cg/cpu,cpuacct/c/cpu.cfs_period_us', '10000'],
    ]);
  });

  it('reports an EINVAL on the period without a quota to pair it with, naming the setting and file', () => {
    install(new RecordingKernelFiles(files).failNext('/cg/cpu,cpuacct/c/cpu.cfs_period_us', 'EINVAL'));
    expect(() => applyResources(paths, { cpu: { period: 10000 } }, 'legacy'))
      .toThrow(/^linux\.resources\.cpu\.period: write "10000" to \/cg\/cpu,cpuacct\/c\/cpu\.cfs_period_us: EINVAL/);
  });

  it('names a controller that is not mounted before writing anything', () => {
    const kernel = install(new RecordingKernelFiles(files));
    expect(() => applyResources({ memory: paths.memory }, { pids: { limit: 5 } }, 'legacy')).toThrow('pids.limit: the pids cgroup controller is not mounted on this host');
    expect(kernel.calls).toEqual([]);
  });
});

describe('applyResources on cgroup v2', () => {
  const dir = '/sys/fs/cgroup/ci/c';
  function unifiedHost(ciControl: string): RecordingKernelFiles {
    const kernel = new RecordingKernelFiles({
      '/proc/self/cgroup': '0::/ci\n',
      '/proc/self/mountinfo': '30 20 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n',
      '/sys/fs/cgroup/cgroup.subtree_control': 'cpu memory pids\n',
      '/sys/fs/cgroup/cgroup.controllers': 'cpuset cpu io memory pids\n',
      '/sys/fs/cgroup/ci/cgroup.subtree_control': `${ciControl}\n`,
      '/sys/fs/cgroup/ci/cgroup.controllers': 'cpu memory pids\n',
      ...Object.fromEntries(['memory.max', 'memory.swap.max', 'cpu.weight', 'cpu.max', 'pids.max'].map((f) => [`${dir}/${f}`, ''])),
    });
    kernel.fsTypes.set('/sys/fs/cgroup', CGROUP2_SUPER_MAGIC);
    return install(kernel);
  }

  it('enables the controllers in the ancestors that lack them, then writes the converted values in one directory', () => {
    const kernel = unifiedHost('');
    applyResources({ unified: dir }, { memory: { limit: 268435456, swap: 536870912 }, cpu: { shares: 1024, quota: 50000, period: 100000 }, pids: { limit: 64 } }, 'unified');
    expect(kernel.writes()).toEqual([
      ['/sys/fs/cgroup/ci/cgroup.subtree_control', '+memory +cpu +pids'],
      [`${dir}/memory.max`, '268435456'],
      [`${dir}/memory.swap.max`, '268435456'],
      [`${dir}/cpu.weight`, '100'], // 1024 shares, the default, is weight 100 (convert.ts)
      [`${dir}/cpu.max`, '50000 100000'],
      [`${dir}/pids.max`, '64'],
    ]);
  });

  it('writes no subtree_control where the controllers are already enabled', () => {
    const kernel = unifiedHost('cpu memory pids');
    applyResources({ unified: dir }, { pids: { limit: -1 } }, 'unified');
    expect(kernel.writes()).toEqual([[`${dir}/pids.max`, 'max']]);
  });

  it('explains an EBUSY from subtree_control: a cgroup with processes cannot hand controllers down', () => {
    const kernel = unifiedHost('');
    kernel.failNext('/sys/fs/cgroup/ci/cgroup.subtree_control', 'EBUSY');
    expect(() => applyResources({ unified: dir }, { pids: { limit: 5 } }, 'unified')).toThrow(/pids\.limit: enable "\+pids" in \/sys\/fs\/cgroup\/ci\/cgroup\.subtree_control: .*no internal processes/);
    expect(kernel.writes()).toEqual([]);
  });
});

describe('createCgroups and removeCgroups', () => {
  function hybridHost(): RecordingKernelFiles {
    const kernel = new RecordingKernelFiles({
      '/proc/self/cgroup': '4:memory:/ci\n3:pids:/ci\n0::/ci\n',
      '/proc/self/mountinfo': [
        '25 20 0:22 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw',
        '26 20 0:23 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory',
        '27 20 0:24 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids',
      ].join('\n'),
    }, ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/unified/ci', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/memory/ci', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/pids/ci']);
    kernel.fsTypes.set('/sys/fs/cgroup/unified', CGROUP2_SUPER_MAGIC);
    return install(kernel);
  }
  const name = { cgroupsPath: 'pod/ctr', id: 'c1', root: '/run/test' };

  it('makes each missing level below the caller’s cgroup in every hierarchy, parent first', () => {
    const kernel = hybridHost();
    expect(createCgroups(name)).toEqual({
      unified: '/sys/fs/cgroup/unified/ci/pod/ctr',
      memory: '/sys/fs/cgroup/memory/ci/pod/ctr',
      pids: '/sys/fs/cgroup/pids/ci/pod/ctr',
    });
    expect(kernel.calls).toEqual([
      ['mkdir', '/sys/fs/cgroup/unified/ci/pod'], ['mkdir', '/sys/fs/cgroup/unified/ci/pod/ctr'],
      ['mkdir', '/sys/fs/cgroup/memory/ci/pod'], ['mkdir', '/sys/fs/cgroup/memory/ci/pod/ctr'],
      ['mkdir', '/sys/fs/cgroup/pids/ci/pod'], ['mkdir', '/sys/fs/cgroup/pids/ci/pod/ctr'],
    ]);
  });

  it('has the init join each v1 cgroup by its tasks file and return to the caller’s, and clone into the cgroup2 one', () => {
    const kernel = hybridHost();
    kernel.files.set('/sys/fs/cgroup/memory/ci/tasks', '');
    kernel.files.set('/sys/fs/cgroup/pids/ci/tasks', '');
    const paths = createCgroups(name);
    // a caller's cgroup the mount does not show, or a hierarchy the caller keeps: by pid
    kernel.files.delete('/sys/fs/cgroup/pids/ci/tasks');
    expect(initCgroups(paths).rest).toEqual({ unified: '/sys/fs/cgroup/unified/ci/pod/ctr', pids: '/sys/fs/cgroup/pids/ci/pod/ctr' });
    expect(initCgroups(paths, { byPid: ['memory'] }).join).toEqual([]);
    kernel.files.set('/sys/fs/cgroup/pids/ci/tasks', '');
    const planned = initCgroups(paths);
    expect(planned).toEqual({
      join: ['/sys/fs/cgroup/memory/ci/pod/ctr/tasks', '/sys/fs/cgroup/pids/ci/pod/ctr/tasks'],
      leave: ['/sys/fs/cgroup/memory/ci/tasks', '/sys/fs/cgroup/pids/ci/tasks'],
      into: '/sys/fs/cgroup/unified/ci/pod/ctr',
      rest: { unified: '/sys/fs/cgroup/unified/ci/pod/ctr' },
    });
    // clone3 CLONE_INTO_CGROUP refused (an old kernel, seccomp): Node writes that pid itself
    expect(cgroupsLeftToJoin(planned, false)).toEqual({ unified: '/sys/fs/cgroup/unified/ci/pod/ctr' });
    expect(cgroupsLeftToJoin(planned, true)).toEqual({});
  });

  it('removes what it made, deepest first, when a later mkdir fails', () => {
    const kernel = hybridHost();
    kernel.failNext('/sys/fs/cgroup/pids/ci/pod', 'EACCES');
    expect(() => createCgroups(name)).toThrow(/^create cgroup: EACCES/);
    expect(kernel.calls.filter((c) => c[0] === 'rmdir')).toEqual([
      ['rmdir', '/sys/fs/cgroup/memory/ci/pod/ctr'], ['rmdir', '/sys/fs/cgroup/memory/ci/pod'],
      ['rmdir', '/sys/fs/cgroup/unified/ci/pod/ctr'], ['rmdir', '/sys/fs/cgroup/unified/ci/pod'],
    ]);
    expect([...kernel.dirs].filter((d) => d.includes('/pod'))).toEqual([]);
  });

  it('refuses a default leaf that already exists, making nothing', () => {
    const kernel = hybridHost();
    const leafName = { cgroupsPath: undefined, id: 'c1', root: '/run/test' };
    createCgroups(leafName);
    kernel.calls.length = 0;
    expect(() => createCgroups(leafName)).toThrow(/already exists/);
    expect(kernel.calls).toEqual([]);
  });

  it('removes sub-cgroups the container made before its own, deepest first, and retries EBUSY', async () => {
    const top = '/sys/fs/cgroup/memory/ci/ctr';
    const kernel = install(new RecordingKernelFiles({}, ['/sys/fs/cgroup/memory/ci', top, `${top}/a`, `${top}/a/b`, `${top}/c`]));
    kernel.failNext(top, 'EBUSY', 'EBUSY');
    await removeCgroups({ memory: top, gone: '/sys/fs/cgroup/pids/ci/ctr' });
    expect(kernel.calls).toEqual([['rmdir', `${top}/a/b`], ['rmdir', `${top}/a`], ['rmdir', `${top}/c`], ['rmdir', top]]);
  });
});

describe('procfs writes for a new process', () => {
  const spec = {
    ociVersion: '1.0.2',
    linux: {
      uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      gidMappings: [{ containerID: 0, hostID: 200000, size: 1 }, { containerID: 1, hostID: 300000, size: 10 }],
    },
  } as Spec;

  it('writes uid_map then gid_map, one "inside outside count" line per mapping', () => {
    const kernel = install(new RecordingKernelFiles({ '/proc/42/uid_map': '', '/proc/42/gid_map': '' }));
    writeIdMaps(42, spec);
    expect(kernel.writes()).toEqual([
      ['/proc/42/uid_map', '0 100000 65536\n'],
      ['/proc/42/gid_map', '0 200000 1\n1 300000 10\n'],
    ]);
  });

  it('names the process when the kernel refuses a map', () => {
    install(new RecordingKernelFiles({ '/proc/42/uid_map': '', '/proc/42/gid_map': '' }).failNext('/proc/42/gid_map', 'EPERM'));
    expect(() => writeIdMaps(42, spec)).toThrow(/^write uid\/gid map of 42: EPERM/);
  });

  it('writes oom_score_adj only when process.oomScoreAdj is set', () => {
    const kernel = install(new RecordingKernelFiles({ '/proc/42/oom_score_adj': '0' }));
    writeOomScoreAdj(42, undefined);
    expect(kernel.calls).toEqual([]);
    writeOomScoreAdj(42, -500);
    expect(kernel.writes()).toEqual([['/proc/42/oom_score_adj', '-500']]);
  });
});
