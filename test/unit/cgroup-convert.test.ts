import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyResources } from '../../src/cgroups/resources.js';
import { ignoredSettings } from '../../src/plan/ignored.js';
import { parseSpec } from '../../src/spec/validate.js';
import {
  blkioToIoWeight, cpuMax, hugetlbFile, ioMaxLine, memoryV2, parseCpuList, pidsMax, sharesToWeight, swapV2, v1Writes, v2Writes,
} from '../../src/cgroups/convert.js';
import { parseBytes, resourcesFromFlags } from '../../src/cli/commands/update.js';
import { parseFlags } from '../../src/cli/args.js';
import { command as update } from '../../src/cli/commands/update.js';

const files = (plan: { writes: { file: string; value: string }[] }) => plan.writes.map((w) => [w.file, w.value]);

describe('cgroup v2 value conversions', () => {
  it('maps cpu shares to cpu.weight as runc and crun do now: the v1 default 1024 is the v2 default 100', () => {
    // runc's table (opencontainers/cgroups utils_test.go TestConvertCPUSharesToCgroupV2Value):
    // unset, below the minimum, minimum, just above, default, just below the maximum, maximum, above.
    const runc: [number, number][] = [[0, 0], [1, 1], [2, 1], [3, 2], [1024, 100], [262143, 10000], [262144, 10000], [262145, 10000]];
    // Points in between, printed by crun's convert_shares_to_weight (cgroup-internal.h) compiled
    // with gcc and glibc's libm.
    const crun: [number, number][] = [
      [4, 2], [10, 4], [100, 17], [256, 35], [512, 59], [1000, 99], [2048, 174], [4096, 303],
      [10000, 627], [100000, 4340], [500000, 10000],
    ];
    for (const [shares, weight] of [...runc, ...crun]) expect([shares, sharesToWeight(shares)]).toEqual([shares, BigInt(weight)]);
    expect(sharesToWeight(1024n)).toBe(100n);
  });

  it('writes cpu.max as "quota period", with max for no quota and 100000 for no period', () => {
    expect(cpuMax(50000, 100000)).toBe('50000 100000');
    expect(cpuMax(-1, 100000)).toBe('max 100000');
    expect(cpuMax(0, undefined)).toBe('max 100000');
    expect(cpuMax(20000, undefined)).toBe('20000 100000');
    expect(cpuMax(undefined, 50000)).toBe('max 50000');
  });

  it('writes -1 memory values as max', () => {
    expect(memoryV2(-1)).toBe('max');
    expect(memoryV2(1048576)).toBe('1048576');
    expect(memoryV2(2n ** 60n)).toBe(String(2n ** 60n));
  });

  it('converts memory+swap to swap alone (memory.swap.max = swap - limit), as runc does', () => {
    expect(swapV2(200, 100)).toBe('100');
    expect(swapV2(100, 100)).toBe('0');
    expect(swapV2(-1, 100)).toBe('max');
    expect(swapV2(undefined, -1)).toBe('max');
    expect(swapV2(undefined, 100)).toBeUndefined();
    expect(swapV2(0, 100)).toBeUndefined();
    expect(() => swapV2(50, 100)).toThrow(/memory\.swap: 50 is below memory\.limit 100/);
    expect(() => swapV2(100, undefined)).toThrow(/needs a memory limit/);
  });

  it('maps blkio weight 10..1000 to io.weight 1..10000', () => {
    expect(blkioToIoWeight(10)).toBe(1);
    expect(blkioToIoWeight(500)).toBe(4950); // 1 + 490*9999/990 = 4950.0
    expect(blkioToIoWeight(1000)).toBe(10000);
    expect(blkioToIoWeight(0)).toBe(0);
  });

  it('writes one io.max line per device with the throttles that are set', () => {
    expect(ioMaxLine({ major: 8, minor: 0, rbps: 1048576, wiops: 100 })).toBe('8:0 rbps=1048576 wiops=100');
    expect(ioMaxLine({ major: 8, minor: 16, wbps: 0 })).toBe('8:16 wbps=max');
  });

  it('writes a pids limit <= 0 as max', () => {
    expect(pidsMax(-1)).toBe('max');
    expect(pidsMax(0)).toBe('max');
    expect(pidsMax(10)).toBe('10');
  });

  it('names hugetlb files per version and rejects odd page sizes', () => {
    expect(hugetlbFile('2MB', 2)).toBe('hugetlb.2MB.max');
    expect(hugetlbFile('1GB', 1)).toBe('hugetlb.1GB.limit_in_bytes');
    expect(() => hugetlbFile('2M', 2)).toThrow(/hugepageLimits: pageSize "2M"/);
  });

  it('parses cpuset lists', () => {
    expect([...parseCpuList('0-2,5')]).toEqual([0, 1, 2, 5]);
    expect([...parseCpuList('')]).toEqual([]);
    expect(() => parseCpuList('3-1', 'linux.resources.cpu.cpus')).toThrow(/linux.resources.cpu.cpus: range 3-1/);
    expect(() => parseCpuList('a', 'x')).toThrow(/x: "a" is not a list/);
  });
});

describe('resource writes for a whole linux.resources', () => {
  const full = {
    memory: { limit: 104857600, reservation: 52428800, swap: 209715200, swappiness: 10, disableOOMKiller: true },
    cpu: { shares: 512, quota: 10000, period: 100000, cpus: '0', mems: '0' },
    pids: { limit: 10 },
    blockIO: {
      weight: 500,
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 20 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
  };

  it('uses the v1 file names', () => {
    const plan = v1Writes(full);
    expect(files(plan)).toEqual([
      ['memory.limit_in_bytes', '104857600'],
      ['memory.memsw.limit_in_bytes', '209715200'],
      ['memory.soft_limit_in_bytes', '52428800'],
      ['memory.swappiness', '10'],
      ['memory.oom_control', '1'],
      ['cpu.shares', '512'],
      ['cpu.cfs_period_us', '100000'],
      ['cpu.cfs_quota_us', '10000'],
      ['cpuset.cpus', '0'],
      ['cpuset.mems', '0'],
      ['pids.max', '10'],
      ['blkio.weight', '500'],
      ['blkio.throttle.read_bps_device', '8:0 1000'],
      ['blkio.throttle.write_iops_device', '8:0 20'],
      ['hugetlb.2MB.limit_in_bytes', '4194304'],
    ]);
    expect(plan.unsupported).toEqual([]);
    expect(plan.writes[0]!.setting).toBe('linux.resources.memory.limit');
    expect(plan.writes[0]!.controller).toBe('memory');
  });

  it('uses the v2 file names and converted values, and lists what v2 lacks', () => {
    const plan = v2Writes({ ...full, unified: { 'memory.high': '90000000' } });
    expect(files(plan)).toEqual([
      ['memory.max', '104857600'],
      ['memory.swap.max', '104857600'],
      ['memory.low', '52428800'],
      ['cpu.weight', '59'],
      ['cpu.max', '10000 100000'],
      ['cpuset.cpus', '0'],
      ['cpuset.mems', '0'],
      ['pids.max', '10'],
      ['io.weight', '4950'],
      ['io.max', '8:0 rbps=1000 wiops=20'],
      ['hugetlb.2MB.max', '4194304'],
      ['memory.high', '90000000'],
    ]);
    expect(plan.unsupported).toEqual(['linux.resources.memory.swappiness', 'linux.resources.memory.disableOOMKiller']);
    expect(plan.writes.find((w) => w.file === 'io.max')!.controller).toBe('io');
  });

  it('lifts the swap limit with an unlimited memory limit', () => {
    expect(files(v1Writes({ memory: { limit: -1 } }))).toEqual([['memory.limit_in_bytes', '-1'], ['memory.memsw.limit_in_bytes', '-1']]);
    expect(files(v2Writes({ memory: { limit: -1 } }))).toEqual([['memory.max', 'max'], ['memory.swap.max', 'max']]);
  });

  it('writes an unlimited cpu quota as -1 on v1 and max on v2', () => {
    expect(files(v1Writes({ cpu: { quota: -1 } }))).toEqual([['cpu.cfs_quota_us', '-1']]);
    expect(files(v2Writes({ cpu: { quota: -1 } }))).toEqual([['cpu.max', 'max 100000']]);
  });

  it('rejects negative values and out-of-range weights, naming the setting', () => {
    expect(() => v1Writes({ memory: { limit: -5 } })).toThrow(/^linux.resources.memory.limit: -5 is not a valid value/);
    expect(() => v2Writes({ cpu: { quota: -2 } })).toThrow(/^linux.resources.cpu.quota: -2/);
    expect(() => v2Writes({ cpu: { shares: 1 } })).toThrow(/^linux.resources.cpu.shares: 1 is outside 2..262144/);
    expect(() => v1Writes({ blockIO: { weight: 5 } })).toThrow(/^linux.resources.blockIO.weight: 5 is outside 10..1000/);
    expect(() => v1Writes({ cpu: { cpus: '0-' } })).toThrow(/^linux.resources.cpu.cpus: "0-" is not a list/);
  });

  it('refuses unified on v1 and odd unified file names on v2', () => {
    expect(() => v1Writes({ unified: { 'memory.high': '1' } })).toThrow(/linux.resources.unified: sets cgroup v2 files/);
    expect(() => v2Writes({ unified: { '../x': '1' } })).toThrow(/"..\/x" is not a cgroup file name/);
    expect(v2Writes({ unified: { 'cgroup.max.depth': '3' } }).writes[0]!.controller).toBe('');
  });

  it('writes nothing for empty resources', () => {
    expect(v1Writes({}).writes).toEqual([]);
    expect(v2Writes({}).writes).toEqual([]);
  });
});

describe('update flags', () => {
  const parse = (argv: string[]) => resourcesFromFlags(parseFlags(argv, update.flags, 'update'));

  it('reads sizes as runc does (k, m, g are powers of 1024)', () => {
    expect(parseBytes('512m', 'memory')).toBe(512 * 1024 * 1024);
    expect(parseBytes('1g', 'memory')).toBe(1024 ** 3);
    expect(parseBytes('-1', 'memory')).toBe(-1);
    expect(parseBytes('4096', 'memory')).toBe(4096);
    expect(() => parseBytes('lots', 'memory')).toThrow(/--memory "lots" is not a size/);
  });

  it('turns runc\'s update flags into linux.resources', () => {
    expect(parse(['--memory', '100m', '--memory-swap=200m', '--cpu-quota', '-1', '--cpu-share', '512', '--pids-limit', '20',
      '--cpuset-cpus', '0', '--blkio-weight', '300', 'web'])).toEqual({
      memory: { limit: 104857600, swap: 209715200 },
      cpu: { shares: 512, quota: -1, cpus: '0' },
      pids: { limit: 20 },
      blockIO: { weight: 300 },
    });
    expect(parse(['web'])).toEqual({});
  });

  it('reads -r FILE as linux.resources, with flags taking precedence and JSON paths in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-runc-update-'));
    try {
      const file = join(dir, 'r.json');
      writeFileSync(file, JSON.stringify({ memory: { limit: 100, swap: 300 }, pids: { limit: 5 } }));
      expect(parse(['-r', file, '--memory', '200', 'web'])).toEqual({ memory: { limit: 200, swap: 300 }, pids: { limit: 5 } });
      writeFileSync(file, JSON.stringify({ pids: { limit: 'many' } }));
      expect(() => parse(['-r', file, 'web'])).toThrow(/r.json: linux.resources.pids.limit: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('applyResources on a v1 layout (files in a temporary directory)', () => {
  const layout = () => {
    const root = mkdtempSync(join(tmpdir(), 'ts-runc-cg-'));
    const dirs = { memory: join(root, 'memory', 'c'), cpuset: join(root, 'cpuset', 'c'), unified: join(root, 'unified', 'c') };
    for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
    writeFileSync(join(dirs.memory, 'memory.limit_in_bytes'), '67108864\n');
    writeFileSync(join(dirs.memory, 'memory.memsw.limit_in_bytes'), '67108864\n');
    writeFileSync(join(root, 'cpuset', 'cpuset.effective_cpus'), '0-1\n');
    writeFileSync(join(dirs.cpuset, 'cpuset.cpus'), '');
    return { root, dirs };
  };

  it('writes the files, raising memory+swap before the memory limit', () => {
    const { root, dirs } = layout();
    try {
      applyResources(dirs, { memory: { limit: 134217728, swap: 268435456 }, cpu: { cpus: '1' } }, 'hybrid');
      expect(readFileSync(join(dirs.memory, 'memory.limit_in_bytes'), 'utf8')).toBe('134217728');
      expect(readFileSync(join(dirs.memory, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe('268435456');
      expect(readFileSync(join(dirs.cpuset, 'cpuset.cpus'), 'utf8')).toBe('1');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('names the setting when a cpuset is outside the parent\'s, a controller is missing, or a file is absent', () => {
    const { root, dirs } = layout();
    try {
      expect(() => applyResources(dirs, { cpu: { cpus: '0-3' } }, 'hybrid'))
        .toThrow(/^linux.resources.cpu.cpus: CPUs 2,3 are not available \(.*cpuset.effective_cpus is "0-1"\)/);
      expect(() => applyResources(dirs, { pids: { limit: 5 } }, 'legacy'))
        .toThrow(/^linux.resources.pids.limit: the pids cgroup controller is not mounted/);
      expect(() => applyResources(dirs, { memory: { reservation: 1 } }, 'hybrid'))
        .toThrow(/^linux.resources.memory.reservation: .*memory.soft_limit_in_bytes does not exist/);
      expect(() => applyResources(dirs, undefined, 'hybrid')).not.toThrow();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('what create still warns about', () => {
  it('no longer lists the resources it applies, and keeps network and rdma', () => {
    const s = parseSpec({ ociVersion: '1.2.1', root: { path: 'rootfs' }, linux: { resources: {
      memory: { limit: 1 }, cpu: { shares: 2 }, pids: { limit: 1 }, network: { classID: 1 }, devices: [{ allow: false }],
    } } });
    expect(ignoredSettings(s)).toEqual(['linux.resources.network']);
  });
});
