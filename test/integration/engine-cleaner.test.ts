/**
 * A container's cleanup done by the process that started it (src/engine/lifecycle/cleaner.ts,
 * native/monitor/cleaner.c) instead of by a hook process, and by the hook again whenever
 * that process cannot: gone, silent, or failing. As root, on the fixture image, each test
 * with its own --root and --storage, every container with --network none.
 *
 * The monitor is spawned as startContainer spawns it, its hook command wrapped in a script
 * that notes each phase it is run for, so a test sees which cleanups were the hook's.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { containerView } from '../../src/engine/containers/status.js';
import { ContainerStore } from '../../src/engine/containers/store.js';
import { serveCleanups, stopServingCleanups } from '../../src/engine/lifecycle/cleaner.js';
import { monitorOptions } from '../../src/engine/lifecycle/start.js';
import { MonitorClient } from '../../src/engine/monitor/client.js';
import { spawnMonitor, type MonitorOptions } from '../../src/engine/monitor/spawn.js';
import { eventsFile } from '../../src/engine/paths.js';
import { REPO, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';
import { monitorGone, waitFor } from './monitor-helpers.js';

const IMAGE_TAR = join(REPO, 'rootfs-fixtures/out/image.tar');
const suite = isRoot && haveFixture && existsSync(IMAGE_TAR) && existsSync(join(REPO, 'build/ts-runc-monitor')) ? describe : describe.skip;

suite('cleanups by the process that started the container', { timeout: 120_000 }, () => {
  let box: Sandbox;
  let store: ContainerStore;
  beforeEach(() => {
    box = sandbox();
    const loaded = box.run(['image', 'load', '-i', IMAGE_TAR]);
    if (loaded.status !== 0) throw new Error(`image load: ${loaded.stderr}`);
    store = new ContainerStore(box.storage);
  });
  afterEach(async () => {
    await stopServingCleanups();
    for (const record of store.list()) box.run(['container', 'rm', '-f', record.Id], { timeout: 60_000 });
    for (const line of mountsMentioning(box.dir)) spawnSync('umount', ['-l', line.split(' ')[4]!]);
    box.cleanup();
  });

  const create = (args: string[]) => {
    const r = box.run(['container', 'create', '--network', 'none', ...args]);
    if (r.status !== 0) throw new Error(`create: ${r.stderr}`);
    return r.stdout.trim();
  };

  /** Starts `id` under a monitor whose hook notes its phases; returns where they are noted. */
  async function startNoting(id: string, edit: (o: MonitorOptions) => MonitorOptions = (o) => o): Promise<() => string[]> {
    const notes = join(box.dir, `phases-${id}`);
    const wrapper = join(box.dir, 'noting-hook');
    writeFileSync(wrapper, '#!/bin/sh\nfor phase; do :; done\necho "$phase" >> "$NOTES"\nexec "$@"\n', { mode: 0o755 });
    const options = monitorOptions(box.storage, store.read(id));
    await spawnMonitor(edit({ ...options, hook: [wrapper, ...options.hook], env: { ...process.env, NOTES: notes } }));
    const client = await MonitorClient.connect(store.paths(id).dir);
    await client.start();
    client.close();
    return () => (existsSync(notes) ? readFileSync(notes, 'utf8').trim().split('\n') : []);
  }

  const monitorExited = (id: string) => monitorGone(store.paths(id).dir);
  const events = (id: string) => readFileSync(eventsFile(box.storage), 'utf8').trim().split('\n')
    .map((line) => JSON.parse(line) as { Action: string; Actor: { ID: string; Attributes: Record<string, string> } })
    .filter((e) => e.Actor.ID === id);

  it('--rm: this process cleans up and removes the container; no cleanup hook runs', async () => {
    await serveCleanups(box.storage);
    const id = create(['--rm', 'fixture:3layers', 'sh', '-c', 'exit 3']);
    expect(monitorOptions(box.storage, store.read(id)).cleaner).toMatch(/cleaners\/\d+\.sock$/);
    const phases = await startNoting(id);
    await waitFor(() => store.tryRead(id) === undefined, 'the container removed');
    expect(phases()).toEqual(['init']);
    const died = events(id).find((e) => e.Action === 'die');
    expect(died?.Actor.Attributes.exitCode).toBe('3');
    expect(events(id).map((e) => e.Action)).toContain('destroy');
    expect(mountsMentioning(box.dir)).toEqual([]);
    expect(existsSync(join(box.root, id))).toBe(false); // the runtime's state
  });

  it('without it (never served, or stopped before the exit) the hook cleans up, as before', async () => {
    const id = create(['fixture:3layers', 'sh', '-c', 'exit 4']);
    expect(monitorOptions(box.storage, store.read(id)).cleaner).toBeUndefined();
    const phases = await startNoting(id);
    await monitorExited(id);
    expect(phases()).toEqual(['init', 'cleanup']);
    expect(containerView(store, store.read(id)).state).toMatchObject({ Status: 'exited', ExitCode: 4 });
    expect(mountsMentioning(store.paths(id).rootfs)).toEqual([]);

    // served when the monitor was spawned, gone when the container exits
    await serveCleanups(box.storage);
    const later = create(['fixture:3layers', 'sh', '-c', 'sleep 0.5; exit 5']);
    const laterPhases = await startNoting(later);
    await stopServingCleanups();
    await monitorExited(later);
    expect(laterPhases()).toEqual(['init', 'cleanup']);
    expect(containerView(store, store.read(later)).state).toMatchObject({ Status: 'exited', ExitCode: 5 });
    expect(mountsMentioning(store.paths(later).rootfs)).toEqual([]);
  });

  it('a cleaner that takes the request and closes without an answer: the hook does the cleanup', async () => {
    const path = join(box.dir, 'silent.sock');
    const requests: string[] = [];
    const silent: Server = createServer((socket) => socket.once('data', (chunk) => {
      requests.push(chunk.toString());
      socket.destroy();
    }));
    await new Promise<void>((resolve) => silent.listen(path, resolve));
    try {
      const id = create(['fixture:3layers', 'sh', '-c', 'exit 6']);
      const phases = await startNoting(id, (o) => ({ ...o, cleaner: relative(o.dir, path) }));
      await monitorExited(id);
      expect(requests.map((r) => JSON.parse(r))).toEqual([{ id, exitCode: 6, restarting: false }]);
      expect(phases()).toEqual(['init', 'cleanup']);
      expect(containerView(store, store.read(id)).state).toMatchObject({ Status: 'exited', ExitCode: 6 });
      expect(mountsMentioning(store.paths(id).rootfs)).toEqual([]);
    } finally {
      silent.close();
      rmSync(path, { force: true });
    }
  });

  it('answers what is not a request with an error, and cleans nothing', async () => {
    await serveCleanups(box.storage);
    const id = create(['fixture:3layers', 'true']);
    const cleaner = join(store.paths(id).dir, monitorOptions(box.storage, store.read(id)).cleaner!);
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(cleaner, () => socket.write('{"id":"../../etc","exitCode":0,"restarting":false}\n'));
      let text = '';
      socket.on('data', (chunk) => { text += chunk; });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ error: expect.stringMatching(/not a cleanup request/) });
    expect(store.tryRead(id)).toBeDefined();
  });

  it('a request for an exit its monitor is not waiting on (a late one: the container runs again) is refused', async () => {
    await serveCleanups(box.storage);
    const id = create(['fixture:3layers', 'sleep', '60']);
    expect(box.run(['container', 'start', id]).status).toBe(0);
    const cleaner = join(store.paths(id).dir, monitorOptions(box.storage, store.read(id)).cleaner!);
    const { connect } = await import('node:net');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(cleaner, () => socket.write(`${JSON.stringify({ id, exitCode: 0, restarting: false })}\n`));
      let text = '';
      socket.on('data', (chunk) => { text += chunk; });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(JSON.parse(reply)).toMatchObject({ error: expect.stringMatching(/not waiting for the cleanup/) });
    expect(containerView(store, store.read(id)).state).toMatchObject({ Status: 'running', Running: true });
    expect(mountsMentioning(store.paths(id).rootfs).length).toBeGreaterThan(0);
  });
});
