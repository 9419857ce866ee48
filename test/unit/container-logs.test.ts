/**
 * Reading json-file logs (src/engine/logs/): order across rotated files, --tail over file
 * boundaries, --since/--until, stream selection, and -f following a rotation and a
 * truncation, ending when the container is no longer running. The container is a
 * fabricated record whose "monitor" is this test process (monitor.pid names it).
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerPaths } from '../../src/engine/paths.js';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { pidStartTime } from '../../src/process/liveness.js';
import { readLogs, type LogEntry } from '../../src/engine/logs/read.js';
import { lastLines } from '../../src/engine/logs/json-file.js';
import type { ContainerRecord, MonitorState } from '../../src/engine/types.js';

const ID = 'ab'.repeat(32);
let storage: string;

function entry(line: string, stream: 'stdout' | 'stderr' = 'stdout', time = '2026-12-04T20:00:00.000000001Z'): string {
  return `${JSON.stringify({ log: `${line}\n`, stream, time })}\n`;
}

function setState(status: MonitorState['Status']): void {
  const state: MonitorState = { Status: status, Pid: process.pid, ExitCode: 0, StartedAt: '2026-12-04T20:00:00Z', FinishedAt: '', RestartCount: 0, OOMKilled: false, Error: '' };
  const paths = containerPaths(storage, ID);
  writeFileSync(`${paths.state}.tmp`, JSON.stringify(state));
  renameSync(`${paths.state}.tmp`, paths.state);
}

beforeEach(() => {
  storage = mkdtempSync(join(tmpdir(), 'ts-runc-logs-'));
  const paths = containerPaths(storage, ID);
  mkdirSync(paths.dir, { recursive: true });
  const record: ContainerRecord = {
    Id: ID, Name: '/logger', Created: '2026-12-04T20:00:00Z', Path: 'sh', Args: [], Image: 'sha256:00', Config: { Image: 'x' },
    HostConfig: {}, NetworkingConfig: {}, Mounts: [], Root: join(storage, 'root'),
  };
  writeFileSync(paths.record, JSON.stringify(record));
  new ContainerStore(storage).claimName('logger', ID);
  writeFileSync(paths.monitorPid, `${process.pid} ${pidStartTime(process.pid)}\n`);
  setState('exited');
});

afterEach(() => rmSync(storage, { recursive: true, force: true }));

async function collect(iterator: AsyncGenerator<LogEntry>): Promise<string[]> {
  const lines: string[] = [];
  for await (const e of iterator) lines.push(`${e.stream}:${e.line.trimEnd()}`);
  return lines;
}

function writeRotated(): void {
  const log = containerPaths(storage, ID).log;
  writeFileSync(`${log}.2`, entry('one') + entry('two', 'stderr'));
  writeFileSync(`${log}.1`, entry('three') + entry('four'));
  writeFileSync(log, entry('five', 'stderr') + entry('six'));
}

describe('container logs', () => {
  it('reads rotated files oldest first, then the live one', async () => {
    writeRotated();
    expect(await collect(readLogs(storage, 'logger'))).toEqual(['stdout:one', 'stderr:two', 'stdout:three', 'stdout:four', 'stderr:five', 'stdout:six']);
  });

  it('--tail N reaches into rotated files; --tail 0 shows nothing', async () => {
    writeRotated();
    expect(await collect(readLogs(storage, ID.slice(0, 6), { tail: 3 }))).toEqual(['stdout:four', 'stderr:five', 'stdout:six']);
    expect(await collect(readLogs(storage, 'logger', { tail: 0 }))).toEqual([]);
  });

  it('--since and --until keep the window; stdout or stderr alone', async () => {
    const log = containerPaths(storage, ID).log;
    writeFileSync(log, entry('early', 'stdout', '2026-12-04T19:00:00Z') + entry('mid', 'stderr', '2026-12-04T20:00:00.5Z') + entry('late', 'stdout', '2026-12-04T21:00:00Z'));
    const since = Date.parse('2026-12-04T19:30:00Z');
    const until = Date.parse('2026-12-04T20:30:00Z');
    expect(await collect(readLogs(storage, 'logger', { since, until }))).toEqual(['stderr:mid']);
    expect(await collect(readLogs(storage, 'logger', { stderr: false }))).toEqual(['stdout:early', 'stdout:late']);
  });

  it('a line being written (no newline yet) is not shown; a torn line is skipped', async () => {
    const log = containerPaths(storage, ID).log;
    writeFileSync(log, `${entry('whole')}{"log":"bro\n${entry('after')}{"log":"half`);
    expect(await collect(readLogs(storage, 'logger'))).toEqual(['stdout:whole', 'stdout:after']);
  });

  it('-f follows across a rotation and a truncation and ends when the container stops', async () => {
    const log = containerPaths(storage, ID).log;
    setState('running');
    writeFileSync(log, entry('a'));
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readLogs(storage, 'logger', { follow: true, pollMs: 10 })) seen.push(e.line.trimEnd());
    })();
    const waitFor = async (n: number) => {
      for (let i = 0; i < 2000 && seen.length < n; i++) await new Promise((r) => setTimeout(r, 5));
      expect(seen.length).toBeGreaterThanOrEqual(n);
    };
    await waitFor(1);
    appendFileSync(log, entry('b'));
    await waitFor(2);
    // rotation: the writer appends one more line to the old file, renames it, starts a new one
    appendFileSync(log, entry('c'));
    renameSync(log, `${log}.1`);
    writeFileSync(log, entry('d'));
    await waitFor(4);
    // truncation (copytruncate): noticed as a file shorter than what was read, then read
    // again from its start (a rewrite to the same length or longer cannot be told apart)
    truncateSync(log, 0);
    appendFileSync(log, entry('e', 'stdout', '2026-12-04T20:00:00Z'));
    await waitFor(5);
    // three rotations before the follower looks again (synchronous: it cannot run in
    // between): the files in the middle are read too, found by inode, oldest first
    appendFileSync(log, entry('f'));
    for (const line of ['g', 'h', 'i']) {
      for (let n = 4; n >= 1; n--) if (existsSync(`${log}.${n}`)) renameSync(`${log}.${n}`, `${log}.${n + 1}`);
      renameSync(log, `${log}.1`);
      writeFileSync(log, entry(line));
    }
    appendFileSync(log, entry('j'));
    setState('exited');
    await done;
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
  });

  it('lastLines reads only the end of a large file', () => {
    const file = join(storage, 'big');
    writeFileSync(file, Array.from({ length: 50_000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    expect(lastLines(file, 2)).toEqual(['line 49998', 'line 49999']);
  });

  it('an unknown container is named', async () => {
    await expect(collect(readLogs(storage, 'nope'))).rejects.toThrow('no such container: nope');
  });
});
