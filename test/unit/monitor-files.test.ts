/**
 * What the TS side reads of a monitor's files (src/engine/monitor/state.ts) and the argv it
 * spawns the monitor with (src/engine/monitor/spawn.ts): no root, no monitor.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { monitorArgs } from '../../src/engine/monitor/spawn.js';
import { monitorAlive, monitorPid, readMonitorState } from '../../src/engine/monitor/state.js';
import { pidStartTime } from '../../src/process/liveness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ts-runc-monitor-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the monitor's files", () => {
  it('reads state.json, and nothing when there is none', () => {
    const path = join(dir, 'state.json');
    expect(readMonitorState(path)).toBeUndefined();
    const state = { Status: 'running', Pid: 42, ExitCode: 0, StartedAt: '2026-12-04T20:00:00.000000001Z', FinishedAt: '0001-01-01T00:00:00Z', RestartCount: 2, OOMKilled: false, Error: '' };
    writeFileSync(path, JSON.stringify(state) + '\n');
    expect(readMonitorState(path)).toEqual(state);
  });

  it('says which file is not a monitor state, and why', () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, '{"Status":"runn');
    expect(() => readMonitorState(path)).toThrow(`${path}: not JSON`);
    writeFileSync(path, '{"Status":"paused"}');
    expect(() => readMonitorState(path)).toThrow(`${path}: not a monitor state (Status missing or unknown)`);
  });

  it('takes a monitor.pid as alive only with the start time of the running process', () => {
    const path = join(dir, 'monitor.pid');
    expect(monitorPid(path)).toBeUndefined();
    writeFileSync(path, `${process.pid} ${pidStartTime(process.pid)}\n`);
    expect(monitorPid(path)).toBe(process.pid);
    expect(monitorAlive(path)).toBe(true);
    writeFileSync(path, `${process.pid} 1\n`); // a recycled pid: another start time
    expect(monitorAlive(path)).toBe(false);
    writeFileSync(path, `${process.pid}`); // half a file: never alive
    expect(monitorAlive(path)).toBe(false);
  });
});

describe("the monitor's argv", () => {
  it('passes each option as the monitor parses it, the ready fd as 3 and the hook after --', () => {
    expect(monitorArgs({ dir: '/d', id: 'x', hook: ['/bin/ts-runc', 'container', '_hook', 'x'] })).toEqual([
      '--dir', '/d', '--id', 'x', '--ready-fd', '3', '--', '/bin/ts-runc', 'container', '_hook', 'x',
    ]);
    expect(
      monitorArgs({
        dir: '/d', id: 'x', tty: true, stdin: true, stdinOnce: true, logDriver: 'none', logMaxSize: 1000, logMaxFiles: 3,
        restart: 'on-failure:2', healthIntervalMs: 500, hook: ['h'],
      }),
    ).toEqual([
      '--dir', '/d', '--id', 'x', '--ready-fd', '3', '--tty', '--stdin', '--stdin-once', '--log-driver', 'none',
      '--log-max-size', '1000', '--log-max-files', '3', '--restart', 'on-failure:2', '--health-interval-ms', '500', '--', 'h',
    ]);
    expect(() => monitorArgs({ dir: '/d', id: 'x', hook: [] })).toThrow('monitor: the hook command is empty');
  });
});
