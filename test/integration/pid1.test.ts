/**
 * ts-runc-pid1 (native/pid1/), the init of `container run --init`, as PID 1 of a real
 * container on a copy of the fixture rootfs (which has no libc: the binary must be static).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_ROOTFS, REPO, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

let box: Sandbox;
let rootfs: string;

beforeEach(() => {
  box = sandbox();
  rootfs = join(box.dir, 'rootfs');
  cpSync(realpathSync(FIXTURE_ROOTFS), rootfs, { recursive: true, verbatimSymlinks: true });
  copyFileSync(join(REPO, 'build/ts-runc-pid1'), join(rootfs, 'sbin/docker-init'));
});

afterEach(() => box.cleanup());

function bundle(args: string[]): string {
  return box.bundle(args, (spec) => {
    spec.root = { path: rootfs, readonly: false };
  });
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The container's processes: "state comm" (fields 3 and 2 of /proc/PID/stat). */
function processes(id: string): string[] {
  const r = box.run(['exec', id, 'sh', '-c', 'for f in /proc/[0-9]*/stat; do read pid comm state rest < $f; echo "$state $comm"; done']);
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

const running = (list: string[], comm: string) => list.filter((p) => p.endsWith(`(${comm})`) && !p.startsWith('Z')).length;
const zombies = (list: string[]) => list.filter((p) => p.startsWith('Z')).length;

/** Waits until the orphaned sleeps have exited and `condition` holds for the process list. */
async function waitForProcesses(id: string, condition: (list: string[]) => boolean, what: string): Promise<void> {
  await waitFor(() => {
    const list = processes(id);
    return running(list, 'sleep') === 1 && condition(list); // only `sleep 1000` still runs
  }, what);
}

/** `ts-runc run` in the foreground; resolves with its exit status once the container ends. */
function runForeground(id: string, args: string[]): { ready: Promise<void>; status: Promise<number> } {
  const child = spawn(join(REPO, 'bin/ts-runc'), ['--root', box.root, '--storage', box.storage, 'run', '--bundle', bundle(args), id], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  const ready = new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => (out += d.toString()).includes('ready') && resolve()));
  const status = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? 15 : 0))));
  return { ready, status };
}

describe.skipIf(!isRoot || !haveFixture)('ts-runc-pid1 as PID 1 (--init)', () => {
  // two sleeps whose parent exits at once, so they are reparented to PID 1; then PID 1's
  // program becomes one that never calls wait(2)
  const orphans = 'sh -c "sleep 0.3 &"; sh -c "sleep 0.3 &"; exec sleep 1000';

  it('reaps orphans that a program which never waits leaves behind', async () => {
    const id = `pid1-reap-${process.pid}`;
    expect(box.run(['run', '-d', '--bundle', bundle(['/sbin/docker-init', 'sh', '-c', orphans]), id]).status).toBe(0);
    // both orphans exited and were reaped (a zombie that stays makes this time out)
    await waitForProcesses(id, (list) => zombies(list) === 0, 'the orphans to exit and be reaped');
  });

  it('(without it, the same program as PID 1 leaves zombies)', async () => {
    const id = `pid1-none-${process.pid}`;
    expect(box.run(['run', '-d', '--bundle', bundle(['sh', '-c', orphans]), id]).status).toBe(0);
    await waitForProcesses(id, (list) => zombies(list) === 2, 'the orphans to exit');
    expect(zombies(processes(id))).toBe(2); // and nobody reaps them
  });

  it('forwards TERM to a program that handles it and exits with its status', async () => {
    const id = `pid1-term-${process.pid}`;
    const run = runForeground(id, ['/sbin/docker-init', 'sh', '-c', 'trap "echo got TERM > /tmp/term; exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
    await run.ready;
    expect(box.run(['kill', id, 'TERM']).status).toBe(0);
    expect(await run.status).toBe(7);
    expect(readFileSync(join(rootfs, 'tmp/term'), 'utf8')).toBe('got TERM\n');
  });

  it('lets TERM kill a program with the default action (which PID 1 itself would ignore): 143', async () => {
    const id = `pid1-dfl-${process.pid}`;
    const run = runForeground(id, ['/sbin/docker-init', 'sh', '-c', 'echo ready; exec sleep 1000']);
    await run.ready;
    expect(box.run(['kill', id, 'TERM']).status).toBe(0);
    expect(await run.status).toBe(143);
  });

  it('exits 127 when the program is not there', async () => {
    const run = runForeground(`pid1-none-${process.pid}`, ['/sbin/docker-init', '/no/such/program']);
    expect(await run.status).toBe(127);
  });
});
