import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { newContainerId, randomName, validateName } from '../../src/engine/containers/ids.js';
import { EXIT_MONITOR_GONE, ZERO_TIME, mergeState } from '../../src/engine/containers/status.js';
import { ContainerStore } from '../../src/engine/containers/store.js';
import type { ContainerRecord, MonitorState } from '../../src/engine/types.js';

const running: MonitorState = {
  Status: 'running', Pid: 4242, ExitCode: 0, StartedAt: '2026-12-04T10:00:00.000Z', FinishedAt: '',
  RestartCount: 1, OOMKilled: false, Error: '',
};

describe('the status merge (record + state.json + monitor liveness + freezer)', () => {
  it('a container never started is created, with Go zero times', () => {
    const { state, restartCount } = mergeState(undefined, false, () => false);
    expect(state).toMatchObject({ Status: 'created', Running: false, Pid: 0, StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME });
    expect(restartCount).toBe(0);
  });

  it('running with a live monitor is running, with the pid and restart count', () => {
    const { state, restartCount } = mergeState(running, true, () => false);
    expect(state).toMatchObject({ Status: 'running', Running: true, Paused: false, Pid: 4242, FinishedAt: ZERO_TIME });
    expect(restartCount).toBe(1);
  });

  it('running with a frozen cgroup is paused (Running stays true, as Docker)', () => {
    expect(mergeState(running, true, () => true).state).toMatchObject({ Status: 'paused', Running: true, Paused: true });
  });

  it('running while the monitor is gone (reboot, kill -9) is exited 255 with an Error', () => {
    const { state } = mergeState(running, false, () => { throw new Error('freezer must not be read'); });
    expect(state).toMatchObject({ Status: 'exited', Running: false, Pid: 0, ExitCode: EXIT_MONITOR_GONE });
    expect(state.Error).toContain('monitor is gone');
    expect(state.FinishedAt).toBe(running.StartedAt);
  });

  it('restarting with a live monitor is restarting; without one, exited 255', () => {
    const restarting = { ...running, Status: 'restarting' as const };
    expect(mergeState(restarting, true, () => false).state).toMatchObject({ Status: 'restarting', Restarting: true });
    expect(mergeState(restarting, false, () => false).state).toMatchObject({ Status: 'exited', ExitCode: 255 });
  });

  it('exited keeps the exit code, OOMKilled and the finish time whether or not a monitor lives', () => {
    const exited: MonitorState = { ...running, Status: 'exited', Pid: 0, ExitCode: 137, OOMKilled: true, FinishedAt: '2026-12-04T10:01:00.000Z' };
    for (const alive of [true, false]) {
      expect(mergeState(exited, alive, () => false).state).toMatchObject({ Status: 'exited', ExitCode: 137, OOMKilled: true, FinishedAt: exited.FinishedAt });
    }
  });
});

describe('container records under --storage', () => {
  let storage: string;
  let store: ContainerStore;
  beforeEach(() => { storage = mkdtempSync(join(tmpdir(), 'ts-runc-engine-')); store = new ContainerStore(storage); });
  afterEach(() => rmSync(storage, { recursive: true, force: true }));

  function make(name: string): ContainerRecord {
    const id = newContainerId();
    mkdirSync(store.paths(id).dir, { recursive: true });
    const record = { Id: id, Name: `/${name}`, Created: new Date().toISOString(), Path: 'sh', Args: [], Image: 'sha256:00', Config: { Image: 'x' }, HostConfig: {}, NetworkingConfig: {}, Mounts: [], Root: '/run/x' };
    store.write(record);
    store.claimName(name, id);
    return record;
  }

  it('finds a container by full id, name, /name and unique prefix; says no such container otherwise', () => {
    const web = make('web');
    expect(store.resolve(web.Id).Id).toBe(web.Id);
    expect(store.resolve('web').Id).toBe(web.Id);
    expect(store.resolve('/web').Id).toBe(web.Id);
    expect(store.resolve(web.Id.slice(0, 5)).Id).toBe(web.Id);
    expect(() => store.resolve('wbe')).toThrow('no such container: wbe');
  });

  it('a name is claimed once; a stale claim (no record behind it) is taken over', () => {
    const web = make('web');
    expect(() => store.claimName('web', newContainerId())).toThrow(`the container name "/web" is already in use by container "${web.Id}"`);
    store.remove(web);
    expect(() => store.resolve('web')).toThrow('no such container');
    const stale = newContainerId();
    store.claimName('db', stale); // its creator "died" before writing a record
    const again = newContainerId();
    store.claimName('db', again);
    expect(store.idOfName('db')).toBe(again);
  });

  it('lists records newest first and skips directories without a record', () => {
    const a = make('aa');
    const b = make('bb');
    mkdirSync(store.paths(newContainerId()).dir, { recursive: true });
    writeFileSync(join(storage, 'engine', 'containers', 'junk'), '');
    const ids = store.list().map((r) => r.Id);
    expect(ids.sort()).toEqual([a.Id, b.Id].sort());
  });

  it('makes 64-hex ids and docker-style names, and refuses bad names', () => {
    expect(newContainerId()).toMatch(/^[0-9a-f]{64}$/);
    expect(randomName()).toMatch(/^[a-z]+_[a-z]+$/);
    expect(validateName('/web-1')).toBe('web-1');
    expect(() => validateName('a b')).toThrow('invalid container name');
  });
});
