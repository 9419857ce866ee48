/**
 * The monitor holding real containers: a hook script that runs `ts-runc create` and
 * `start` on a fixture bundle, with pipes and with a terminal (the pty master through the
 * console socket), to show a real container's output reaches the log and its exit code
 * the state.
 */
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MonitorOptions } from '../../src/engine/monitor/spawn.js';
import { monitorPid } from '../../src/engine/monitor/state.js';
import { REPO, haveFixture, isRoot, sandbox } from './helpers.js';
import { makeScratch, monitorGone, readLog, removeScratch, startMonitor, waitFor } from './monitor-helpers.js';

let dir: string;
let work: string;

beforeEach(() => {
  ({ dir, work } = makeScratch());
});
afterEach(() => removeScratch(dir, work));

const monitor = (options: Partial<MonitorOptions> & { hook: string[] }) => startMonitor(dir, options);
const logLines = (file?: string) => readLog(dir, file);
const finished = () => monitorGone(dir);

describe.skipIf(!isRoot || !haveFixture)('the monitor with a real container', () => {
  it("writes a real container's output to the log and records its exit code", async () => {
    const box = sandbox();
    try {
      const bundle = box.bundle(['sh', '-c', 'echo from the container; echo to stderr >&2; exit 5']);
      const id = `mon-${process.pid}`;
      const ts = `${join(REPO, 'bin/ts-runc')} --root ${box.root} --storage ${box.storage}`;
      const script = join(work, 'real-hook');
      writeFileSync(
        script,
        `#!/bin/sh
case "$1" in
init)
  ${ts} create --bundle ${bundle} --pid-file ${work}/pid ${id} 3>&- || { echo '{"error":"create failed","exitCode":125}' >&3; exit 0; }
  ${ts} start ${id} 3>&- </dev/null >/dev/null 2>>${work}/create.err
  echo "{\\"pid\\":$(cat ${work}/pid)}" >&3 ;;
cleanup)
  ${ts} delete --force ${id} 3>&- ;;
esac
`,
      );
      chmodSync(script, 0o755);
      const client = await monitor({ hook: [script] });
      await client.start();
      expect(await client.nextExit()).toEqual({ exitCode: 5, restarting: false });
      await finished();
      expect(logLines().map((l) => [l.stream, l.log])).toEqual([
        ['stdout', 'from the container\n'],
        ['stderr', 'to stderr\n'],
      ]);
      expect(spawnSync(join(REPO, 'bin/ts-runc'), ['--root', box.root, 'state', id]).status).not.toBe(0); // cleanup deleted it
    } finally {
      box.cleanup();
    }
  });

  it('holds the pty master of a container with a terminal (console socket), with resize and stdin', async () => {
    const box = sandbox();
    try {
      const bundle = box.bundle(['sh', '-c', 'stty size; read line; echo "got $line"; exit 4'], (spec) => {
        spec.process!.terminal = true;
      });
      const id = `mon-tty-${process.pid}`;
      const ts = `${join(REPO, 'bin/ts-runc')} --root ${box.root} --storage ${box.storage}`;
      const script = join(work, 'tty-hook');
      writeFileSync(
        script,
        `#!/bin/sh
case "$1" in
init)
  ${ts} create --bundle ${bundle} --console-socket "$TS_RUNC_CONSOLE_SOCKET" --pid-file ${work}/pid ${id} 3>&- &&
  ${ts} start ${id} 3>&- &&
  echo "{\\"pid\\":$(cat ${work}/pid)}" >&3 ;;
cleanup)
  ${ts} delete --force ${id} 3>&- ;;
esac
`,
      );
      chmodSync(script, 0o755);
      const client = await monitor({ hook: [script], tty: true, stdin: true });
      const pid = monitorPid(join(dir, 'monitor.pid'))!;
      let stdout = '';
      client.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      client.resize(40, 100);
      await client.start();
      await waitFor(() => stdout.includes('40 100'), 'stty size');
      client.writeStdin('abc\n');
      expect(await client.nextExit()).toEqual({ exitCode: 4, restarting: false });
      await finished();
      expect(stdout).toContain('got abc\r\n');
      const lines = logLines();
      expect(new Set(lines.map((l) => l.stream))).toEqual(new Set(['stdout']));
      expect(lines.map((l) => l.log).join('')).toBe('40 100\r\nabc\r\ngot abc\r\n');
      // the console socket is gone
      expect(readdirSync(tmpdir()).filter((f) => f.startsWith(`ts-runc-console-${pid}-`))).toEqual([]);
    } finally {
      box.cleanup();
    }
  });
});
