import { describe, expect, it } from 'vitest';
import {
  MAX_U64, blkioV1, blkioV2, cpuV1, cpuV2, memoryV1, memoryV2, parseKeyed, pidsStats, type StatFileReader,
} from '../../src/cgroups/stats.js';
import { eventLine } from '../../src/container/events.js';
import { parseDuration } from '../../src/cli/commands/events.js';

const files = (contents: Record<string, string>): StatFileReader => (file) => contents[file];
const none: StatFileReader = () => undefined;

describe('cgroup v1 stats', () => {
  it('reads cpuacct usage, converting cpuacct.stat ticks (USER_HZ 100) to nanoseconds', () => {
    const cpuacct = files({
      'cpuacct.usage': '123456789\n',
      'cpuacct.usage_percpu': '100000000 23456789 \n',
      'cpuacct.stat': 'user 7\nsystem 3\n',
    });
    const cpu = files({ 'cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 5000\n' });
    expect(cpuV1(cpuacct, cpu)).toEqual({
      usage: { total: 123456789n, percpu: [100000000n, 23456789n], kernel: 30_000_000n, user: 70_000_000n },
      throttling: { periods: 10n, throttledPeriods: 4n, throttledTime: 5000n },
    });
  });

  it('reads memory usage, memsw as swap, and memory.stat as raw with cache', () => {
    const memory = memoryV1(files({
      'memory.usage_in_bytes': '4096\n',
      'memory.max_usage_in_bytes': '8192\n',
      'memory.limit_in_bytes': '33554432\n',
      'memory.failcnt': '2\n',
      'memory.memsw.usage_in_bytes': '4096\n',
      'memory.memsw.limit_in_bytes': '9223372036854771712\n',
      'memory.stat': 'cache 1024\nrss 3072\n',
    }));
    expect(memory).toEqual({
      cache: 1024n,
      usage: { limit: 33554432n, usage: 4096n, max: 8192n, failcnt: 2n },
      swap: { limit: 9223372036854771712n, usage: 4096n },
      raw: { cache: 1024n, rss: 3072n },
    });
  });

  it('leaves out what the host does not have (no memsw without swap accounting)', () => {
    expect(memoryV1(files({ 'memory.usage_in_bytes': '1\n' }))).toEqual({ usage: { usage: 1n } });
    expect(memoryV1(none)).toBeUndefined();
    expect(cpuV1(none, none)).toBeUndefined();
  });

  it('reads blkio throttle files, dropping the Total line', () => {
    const blkio = blkioV1(files({
      'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\nTotal 4608\n',
      'blkio.throttle.io_serviced_recursive': '8:0 Read 1\nTotal 1\n',
    }));
    expect(blkio?.ioServiceBytesRecursive).toEqual([
      { major: 8n, minor: 0n, op: 'Read', value: 4096n },
      { major: 8n, minor: 0n, op: 'Write', value: 512n },
      { major: 8n, minor: 0n, op: 'Sync', value: 0n },
    ]);
    expect(blkio?.ioServicedRecursive).toEqual([{ major: 8n, minor: 0n, op: 'Read', value: 1n }]);
  });
});

describe('cgroup v2 stats', () => {
  it('converts cpu.stat microseconds to nanoseconds', () => {
    const cpu = cpuV2(files({
      'cpu.stat': 'usage_usec 2500\nuser_usec 2000\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\nthrottled_usec 70\n',
    }));
    expect(cpu).toEqual({
      usage: { total: 2_500_000n, kernel: 500_000n, user: 2_000_000n },
      throttling: { periods: 3n, throttledPeriods: 1n, throttledTime: 70_000n },
    });
  });

  it('reads memory.current/max/peak, counts "max" events as failcnt, and reports swap as memory+swap', () => {
    const memory = memoryV2(files({
      'memory.current': '4096\n',
      'memory.max': '33554432\n',
      'memory.peak': '8192\n',
      'memory.events': 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\n',
      'memory.swap.current': '100\n',
      'memory.swap.max': '0\n',
      'memory.stat': 'anon 3000\nfile 1000\n',
    }));
    expect(memory).toEqual({
      cache: 1000n,
      usage: { limit: 33554432n, usage: 4096n, max: 8192n, failcnt: 5n },
      swap: { limit: 33554432n, usage: 4196n },
      raw: { anon: 3000n, file: 1000n },
    });
  });

  it('reports "max" as the largest u64 for memory and as 0 for pids, as runc does', () => {
    expect(memoryV2(files({ 'memory.max': 'max\n', 'memory.swap.max': 'max\n', 'memory.current': '1\n', 'memory.swap.current': '0\n' })))
      .toEqual({ usage: { limit: MAX_U64, usage: 1n }, swap: { limit: MAX_U64, usage: 1n } });
    expect(pidsStats(files({ 'pids.current': '3\n', 'pids.max': 'max\n' }))).toEqual({ current: 3n, limit: 0n });
    expect(pidsStats(files({ 'pids.current': '3\n', 'pids.max': '20\n' }))).toEqual({ current: 3n, limit: 20n });
  });

  it('maps io.stat to blkio entries (rbytes → Read bytes, wios → Write ios)', () => {
    const blkio = blkioV2(files({ 'io.stat': '8:16 rbytes=4096 wbytes=0 rios=1 wios=2 dbytes=0 dios=0\n' }));
    expect(blkio?.ioServiceBytesRecursive).toContainEqual({ major: 8n, minor: 16n, op: 'Read', value: 4096n });
    expect(blkio?.ioServicedRecursive).toContainEqual({ major: 8n, minor: 16n, op: 'Write', value: 2n });
    expect(blkioV2(files({ 'io.stat': '' }))).toBeUndefined();
  });

  it('reads oom_kill from memory.events and memory.oom_control alike', () => {
    expect(parseKeyed('low 0\noom 2\noom_kill 2\n')?.get('oom_kill')).toBe(2n);
    expect(parseKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 7\n')?.get('oom_kill')).toBe(7n);
  });
});

describe('events output', () => {
  it('writes u64 counters exactly, one JSON object per line', () => {
    const line = eventLine({ type: 'stats', id: 'web', data: { memory: { usage: { limit: 9223372036854771712n } } } });
    expect(line).toBe('{"type":"stats","id":"web","data":{"memory":{"usage":{"limit":9223372036854771712}}}}\n');
    expect(eventLine({ type: 'oom', id: 'web' })).toBe('{"type":"oom","id":"web"}\n');
  });

  it('parses Go durations for --interval', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(() => parseDuration('5')).toThrow('invalid duration');
    expect(() => parseDuration('')).toThrow('invalid duration');
  });
});
