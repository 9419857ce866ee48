/**
 * The pure parts of the container views: ps output for top, docker's short-flag groups,
 * the stats arithmetic of docker's CLI, update's resource conversion, prune's filters,
 * commit's config changes, /proc parsing, and diff over a fabricated upper/lower pair.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePs } from '../../src/engine/inspect/top.js';
import { splitShortFlags } from '../../src/cli/short-flags.js';
import type { FlagSpec } from '../../src/cli/args.js';
import { cpuPercent, memoryUsage, statsRow } from '../../src/engine/inspect/stats-row.js';
import { parseNetDev, systemCpuUsage, type StatsResponse } from '../../src/engine/inspect/stats.js';
import { updateResources } from '../../src/engine/containers/update.js';
import { pruneFilterMatches } from '../../src/engine/containers/prune.js';
import { configChanges } from '../../src/engine/containers/commit.js';
import { applyChanges } from '../../src/image/commit.js';
import { layerChanges } from '../../src/engine/inspect/diff.js';

describe('top', () => {
  const ps = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
root        4242    4200  0 10:01 ?        00:00:00 sleep 1000
root        4243    4242  0 10:01 ?        00:00:00 sh -c echo  two  spaces
`;
  it('keeps the container\'s pids, the command with its spaces as one column', () => {
    expect(parsePs(ps, [4242, 4243])).toEqual({
      Titles: ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD'],
      Processes: [
        ['root', '4242', '4200', '0', '10:01', '?', '00:00:00', 'sleep 1000'],
        ['root', '4243', '4242', '0', '10:01', '?', '00:00:00', 'sh -c echo two spaces'],
      ],
    });
  });
  it('ps output without a PID column is refused', () => {
    expect(() => parsePs('USER COMMAND\nroot sh\n', [1])).toThrow("couldn't find PID field");
  });
});

describe('short flag groups as pflag reads them', () => {
  const flags: FlagSpec[] = [
    { name: 'all', short: 'a', type: 'bool', help: '' },
    { name: 'quiet', short: 'q', type: 'bool', help: '' },
    { name: 'last', short: 'n', type: 'string', help: '' },
    { name: 'no-trunc', type: 'bool', help: '' },
  ];
  it('-aq, -n5, -an 2; long and single flags untouched', () => {
    expect(splitShortFlags(['-aq'], flags)).toEqual(['-a', '-q']);
    expect(splitShortFlags(['-n5'], flags)).toEqual(['-n', '5']);
    expect(splitShortFlags(['-an', '2'], flags)).toEqual(['-a', '-n', '2']);
    expect(splitShortFlags(['--all', '-a', '-no-trunc', 'x'], flags)).toEqual(['--all', '-a', '-no-trunc', 'x']);
    expect(splitShortFlags(['-az'], flags)).toEqual(['-a', '-z']);
  });
});

function stats(partial: { total: number; pretotal: number; system: number; presystem: number; usage?: number; inactive?: number; limit?: number }): StatsResponse {
  const cpu = (total: number, system: number) => ({
    cpu_usage: { total_usage: total, usage_in_kernelmode: 0, usage_in_usermode: 0 },
    system_cpu_usage: system, online_cpus: 2,
    throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
  });
  return {
    name: '/web', id: 'f'.repeat(64), read: '', preread: '', num_procs: 0, pids_stats: { current: 3 },
    blkio_stats: { io_service_bytes_recursive: [{ major: 8, minor: 0, op: 'Read', value: 1_500_000 }, { major: 8, minor: 0, op: 'write', value: 2048 }], io_serviced_recursive: null },
    cpu_stats: cpu(partial.total, partial.system), precpu_stats: cpu(partial.pretotal, partial.presystem),
    memory_stats: { usage: partial.usage ?? 0, stats: partial.inactive === undefined ? {} : { inactive_file: partial.inactive }, limit: partial.limit ?? 0 },
    networks: { eth0: { rx_bytes: 1296, rx_packets: 1, rx_errors: 0, rx_dropped: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_dropped: 0 } },
  };
}

describe('stats as docker\'s CLI computes them', () => {
  it('CPU % = cpu delta / system delta × CPUs × 100; 0 without a delta', () => {
    expect(cpuPercent(stats({ total: 2e8, pretotal: 1e8, system: 2e9, presystem: 1e9 }))).toBeCloseTo(20);
    expect(cpuPercent(stats({ total: 1e8, pretotal: 1e8, system: 2e9, presystem: 1e9 }))).toBe(0);
  });
  it('memory without inactive file pages; the row\'s strings', () => {
    const s = stats({ total: 2e8, pretotal: 1e8, system: 2e9, presystem: 1e9, usage: 3 * 1024 * 1024, inactive: 1024 * 1024, limit: 8 * 1024 ** 3 });
    expect(memoryUsage(s)).toBe(2 * 1024 * 1024);
    expect(statsRow(s, true)).toEqual({
      Container: 'ffffffffffff', ID: 'ffffffffffff', Name: 'web', CPUPerc: '20.00%', MemUsage: '2MiB / 8GiB', MemPerc: '0.02%',
      NetIO: '1.3kB / 0B', BlockIO: '1.5MB / 2.05kB', PIDs: '3',
    });
  });
  it('/proc/<pid>/net/dev without lo; /proc/stat in ns', () => {
    const dev = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     100       1    0    0    0     0          0         0      100       1    0    0    0     0       0          0
  eth0:    1296      16    1    2    0     0          0         0      866       9    3    4    0     0       0          0
`;
    expect(parseNetDev(dev)).toEqual({ eth0: { rx_bytes: 1296, rx_packets: 16, rx_errors: 1, rx_dropped: 2, tx_bytes: 866, tx_packets: 9, tx_errors: 3, tx_dropped: 4 } });
    expect(systemCpuUsage('cpu  1 2 3 4 5 6 7 8 9 10\ncpu0 1 1 1 1 1 1 1\n')).toBe(28 * 1e7);
  });
});

describe('update', () => {
  it('converts docker\'s fields to the runtime\'s resources, only those given', () => {
    expect(updateResources({ NanoCpus: 1.5e9, Memory: 64 * 1024 * 1024, PidsLimit: -1 })).toEqual({
      cpu: { period: 100_000, quota: 150_000 }, memory: { limit: 67108864 }, pids: { limit: -1 },
    });
    expect(updateResources({ CpuShares: 512 })).toEqual({ cpu: { shares: 512 } });
    expect(updateResources({ RestartPolicy: { Name: 'always' } })).toEqual({});
  });
});

describe('prune filters', () => {
  const now = Date.parse('2026-12-04T21:00:00Z');
  it('until, label, label!', () => {
    expect(pruneFilterMatches({ until: ['1h'] }, {}, '2026-12-04T19:00:00Z', now)).toBe(true);
    expect(pruneFilterMatches({ until: ['1h'] }, {}, '2026-12-04T20:30:00Z', now)).toBe(false);
    expect(pruneFilterMatches({ label: ['keep'] }, { keep: '' }, '2026-12-04T19:00:00Z', now)).toBe(true);
    expect(pruneFilterMatches({ 'label!': ['keep'] }, { keep: '' }, '2026-12-04T19:00:00Z', now)).toBe(false);
    expect(() => pruneFilterMatches({ status: ['x'] }, {}, '', now)).toThrow("invalid filter 'status'");
  });
});

describe('commit takes the container\'s config', () => {
  it('round-trips through the changes commitLayer applies', () => {
    const config = { Image: 'x', Cmd: ['sh', '-c', 'echo "a b"'], Env: ['A=1', 'B=with space and "quote"'], WorkingDir: '/w', User: '1:1', ExposedPorts: { '80/tcp': {} }, Labels: { l: 'v v' } };
    const applied = applyChanges({}, configChanges(config));
    expect(applied).toMatchObject({ Cmd: config.Cmd, Env: config.Env, WorkingDir: '/w', User: '1:1', ExposedPorts: { '80/tcp': {} }, Labels: { l: 'v v' } });
  });
});

describe('diff of an upper layer over the image\'s', () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));
  it('A for new paths, C for paths the image has, D for whiteouts (root: mknod)', () => {
    dir = mkdtempSync(join(tmpdir(), 'ts-runc-diff-'));
    const lower = join(dir, 'lower');
    const upper = join(dir, 'upper');
    mkdirSync(join(lower, 'etc'), { recursive: true });
    writeFileSync(join(lower, 'etc/passwd'), 'root\n');
    writeFileSync(join(lower, 'etc/gone'), 'x');
    mkdirSync(join(upper, 'etc'), { recursive: true });
    mkdirSync(join(upper, 'new/deeper'), { recursive: true });
    writeFileSync(join(upper, 'etc/passwd'), 'root\nme\n');
    writeFileSync(join(upper, 'etc/added'), 'y');
    const expected = [
      { Path: '/etc', Kind: 0 }, { Path: '/etc/added', Kind: 1 }, { Path: '/etc/passwd', Kind: 0 },
      { Path: '/new', Kind: 1 }, { Path: '/new/deeper', Kind: 1 },
    ];
    const root = process.getuid?.() === 0 && spawnSync('mknod', [join(upper, 'etc/gone'), 'c', '0', '0']).status === 0;
    if (root) expected.splice(2, 0, { Path: '/etc/gone', Kind: 2 });
    expect(layerChanges(upper, [lower])).toEqual(expected);
  });
});
