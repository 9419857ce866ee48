/**
 * containerd drives ts-runc unmodified: a private containerd (own root, state and socket
 * in a temporary directory, no CRI plugin) and its stock runc shim
 * (io.containerd.runc.v2) with the shim's BinaryName option pointed at bin/ts-runc, the
 * way `ctr run --runc-binary` sets it. The image is the fixture rootfs, imported from an
 * OCI archive written here; nothing is pulled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_RUNTIME, FIXTURE_TAR, call, cgroupDirs, explain, installed, isAlive, killPids, missingForClients,
  mountsUnder, pidsMentioning, removeCgroupTree, tempDir, unmountAllUnder, waitFor, writeOciArchive, type Call,
} from './clients.js';

const CONTAINERD = installed('containerd');
const CTR = installed('ctr');
// util-linux's script(1) (Debian package bsdutils), for a terminal to run `ctr run -t` on.
const SCRIPT = installed('script');
const IMAGE = 'localhost/ts-runc-fixture:latest';

const missing = missingForClients([['containerd', 'containerd'], ['ctr', 'containerd'], ['containerd-shim-runc-v2', 'containerd']]);
const suite = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`containerd client tests skipped: need ${missing.join(', ')}`);

suite(`containerd's runc shim drives ${basename(CLIENT_RUNTIME)}`, () => {
  let dir = '';
  let daemon: ChildProcess | undefined;
  let sock = '';
  // A namespace of our own: ctr puts each container in cgroup /<namespace>/<id>.
  let namespace = '';
  let runcRoot = '';
  let fifoDir = '';
  // overlayfs when this host can mount it, native (plain copies) otherwise.
  let snapshotter = 'overlayfs';
  let createdRunContainerd = false;

  const ctr = (args: string[], timeout = 60_000): Call =>
    call([CTR!, '--address', sock, '--namespace', namespace, ...args], { timeout });
  /** `ctr run` with the shim pointed at the runtime under test, state and FIFOs in our dir. */
  const ctrRunArgs = (flags: string[], id: string, cmd: string[]): string[] =>
    ['run', '--runtime', 'io.containerd.runc.v2', '--runc-binary', CLIENT_RUNTIME, '--runc-root', runcRoot,
      '--fifo-dir', fifoDir, '--snapshotter', snapshotter, ...flags, IMAGE, id, ...cmd];
  const ctrRun = (flags: string[], id: string, cmd: string[]): Call => ctr(ctrRunArgs(flags, id, cmd));
  const daemonLog = () => (existsSync(join(dir, 'containerd.log')) ? readFileSync(join(dir, 'containerd.log'), 'utf8') : '');
  /** What went wrong, for an assertion message: the client's call plus containerd's errors. */
  const why = (c: Call) =>
    `${explain(c)}\ncontainerd log (errors):\n${daemonLog().split('\n').filter((l) => /level=(error|warning)/.test(l)).slice(-15).join('\n')}`;

  /** Removes a container whatever state its task is in. */
  const removeContainer = (id: string) => {
    ctr(['task', 'kill', '--signal', 'SIGKILL', id]);
    waitFor(() => !/RUNNING/.test(ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? ''), 5_000);
    ctr(['task', 'delete', '--force', id]);
    ctr(['container', 'delete', id]);
  };

  beforeAll(() => {
    dir = tempDir('containerd');
    sock = join(dir, 'containerd.sock');
    namespace = basename(dir);
    runcRoot = join(dir, 'runc');
    fifoDir = join(dir, 'fifo');
    mkdirSync(join(dir, 'tmp'));
    // The runc shim (containerd 1.6) puts its socket under /run/containerd/s whatever the
    // config says; remember whether that directory was ours to remove.
    createdRunContainerd = !existsSync('/run/containerd');
    const config = [
      'version = 2',
      `root = "${dir}/root"`,
      `state = "${dir}/state"`,
      `temp = "${dir}/tmp"`,
      // No Kubernetes CRI, nor snapshotters this host cannot use.
      'disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", ' +
        '"io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[debug]',
      `  address = "${dir}/debug.sock"`,
      '[plugins]',
      // The opt plugin would otherwise create /opt/containerd.
      '  [plugins."io.containerd.internal.v1.opt"]',
      `    path = "${dir}/opt"`,
      '',
    ].join('\n');
    writeFileSync(join(dir, 'config.toml'), config);
    const log = openSync(join(dir, 'containerd.log'), 'a');
    daemon = spawn(CONTAINERD!, ['--config', join(dir, 'config.toml')], { stdio: ['ignore', log, log] });
    closeSync(log);
    const up = waitFor(() => ctr(['version'], 5_000).status === 0, 20_000);
    expect(up, `containerd did not start:\n${daemonLog()}`).toBe(true);

    const archive = join(dir, 'fixture-oci.tar');
    writeOciArchive(FIXTURE_TAR, archive, IMAGE);
    let imported = ctr(['images', 'import', '--snapshotter', snapshotter, archive]);
    if (imported.status !== 0) {
      console.warn(`containerd: overlayfs snapshotter failed here, using native:\n${why(imported)}`);
      snapshotter = 'native';
      imported = ctr(['images', 'import', '--snapshotter', snapshotter, archive]);
    }
    expect(imported.status, why(imported)).toBe(0);
    expect(ctr(['images', 'ls', '-q']).stdout).toContain(IMAGE);
  }, 60_000);

  afterAll(() => {
    if (!dir) return;
    if (daemon?.pid !== undefined && isAlive(daemon.pid)) {
      for (const id of ctr(['container', 'ls', '-q']).stdout.split('\n').filter(Boolean)) removeContainer(id);
      daemon.kill('SIGTERM');
      // Polled through /proc: waitFor blocks the event loop, so daemon.exitCode never updates.
      if (!waitFor(() => !isAlive(daemon!.pid!), 10_000)) daemon.kill('SIGKILL');
    }
    // Shims outlive containerd: each names our socket on its command line.
    const stuck = killPids(pidsMentioning(dir));
    const mounts = unmountAllUnder(dir);
    const cgroups = removeCgroupTree(`/${namespace}`);
    rmSync(dir, { recursive: true, force: true });
    if (createdRunContainerd) rmSync('/run/containerd', { recursive: true, force: true });
    expect({ stuck, mounts, cgroups }).toEqual({ stuck: [], mounts: [], cgroups: [] });
  }, 60_000);

  it('ctr run --rm passes the output and the exit code through, and removes the container', () => {
    const r = ctrRun(['--rm'], 'run-rm', ['sh', '-c', 'echo hello from the container; echo to-stderr >&2; exit 7']);
    expect(r.stdout, why(r)).toBe('hello from the container\n');
    expect(r.stderr, why(r)).toContain('to-stderr');
    expect(r.status, why(r)).toBe(7);
    expect(ctr(['container', 'ls', '-q']).stdout).not.toContain('run-rm');
    expect(ctr(['task', 'ls']).stdout).not.toContain('run-rm');
  }, 60_000);

  it('ctr run gives the process PID 1 of its own pid namespace, in cgroup /<namespace>/<id>', () => {
    const r = ctrRun(['--rm'], 'pid-one', ['sh', '-c', 'echo $$; cat /proc/self/cgroup']);
    expect(r.status, why(r)).toBe(0);
    const [pid, ...cgroups] = r.stdout.trim().split('\n');
    expect(pid).toBe('1');
    // cgroup v1 hierarchies (this host) or the v2 one: the path is the one ctr asked for,
    // unless the runtime gave the container a cgroup namespace, where it reads "/".
    const memory = cgroups.find((l) => /:memory:|^0::/.test(l)) ?? '';
    expect([`/${namespace}/pid-one`, '/']).toContain(memory.split(':')[2]);
  }, 60_000);

  it('runs a detached task, execs into it, and stops it with the signal ctr task kill sends', () => {
    const id = 'detached';
    // TERM is trapped: the task exits 0 only if SIGTERM itself reached it.
    const started = ctrRun(['--detach', '--null-io'], id, ['sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait']);
    try {
      expect(started.status, why(started)).toBe(0);
      expect(waitFor(() => /\bRUNNING\b/.test(ctr(['task', 'ls']).stdout), 10_000), why(ctr(['task', 'ls']))).toBe(true);

      const exec = ctr(['task', 'exec', '--exec-id', 'e1', '--fifo-dir', fifoDir, id, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; exit 3']);
      expect(exec.stdout, why(exec)).toContain('sh -c trap');
      expect(exec.status, why(exec)).toBe(3);

      const killed = ctr(['task', 'kill', '--signal', 'SIGTERM', id]);
      expect(killed.status, why(killed)).toBe(0);
      expect(waitFor(() => /\bSTOPPED\b/.test(ctr(['task', 'ls']).stdout), 10_000), why(ctr(['task', 'ls']))).toBe(true);
      const deleted = ctr(['task', 'delete', id]);
      expect(deleted.status, why(deleted)).toBe(0);
      // `ctr task delete` warns "task <id> exit with non-zero exit code N" unless it was 0.
      expect(deleted.stderr, why(deleted)).not.toContain('non-zero');
    } finally {
      removeContainer(id);
    }
    expect(cgroupDirs(`/${namespace}/${id}`)).toEqual([]);
  }, 90_000);

  it('ctr task kill -s SIGKILL ends a task that ignores SIGTERM, and it reports 137', () => {
    const id = 'killed';
    const started = ctrRun(['--detach', '--null-io'], id, ['sh', '-c', 'trap "" TERM; sleep 600']);
    try {
      expect(started.status, why(started)).toBe(0);
      expect(waitFor(() => /\bRUNNING\b/.test(ctr(['task', 'ls']).stdout), 10_000), why(ctr(['task', 'ls']))).toBe(true);
      const killed = ctr(['task', 'kill', '--signal', 'SIGKILL', id]);
      expect(killed.status, why(killed)).toBe(0);
      expect(waitFor(() => /\bSTOPPED\b/.test(ctr(['task', 'ls']).stdout), 10_000), why(ctr(['task', 'ls']))).toBe(true);
      const deleted = ctr(['task', 'delete', id]);
      expect(deleted.status, why(deleted)).toBe(0);
      expect(deleted.stderr, why(deleted)).toContain('non-zero exit code 137');
    } finally {
      removeContainer(id);
    }
  }, 90_000);

  it('ctr run --mount binds a host directory read-only, and --read-only keeps the rootfs read-only', () => {
    const shared = join(dir, 'shared');
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'note'), 'from the host\n');
    const r = ctrRun(['--rm', '--read-only', '--mount', `type=bind,src=${shared},dst=/host,options=rbind:ro`], 'mounts',
      ['sh', '-c', 'cat /host/note; touch /host/x 2>/dev/null || echo host-ro; touch /x 2>/dev/null || echo root-ro']);
    expect(r.stdout.trim().split('\n'), why(r)).toEqual(['from the host', 'host-ro', 'root-ro']);
    expect(r.status, why(r)).toBe(0);
  }, 60_000);

  it('ctr task ps lists the task\'s processes (the shim asks the runtime: `ps --format json`)', () => {
    const id = 'ps';
    const started = ctrRun(['--detach', '--null-io'], id, ['sh', '-c', 'sleep 600 & wait']);
    try {
      expect(started.status, why(started)).toBe(0);
      expect(waitFor(() => /\bRUNNING\b/.test(ctr(['task', 'ls']).stdout), 10_000)).toBe(true);
      const pid = ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(`${id} `))!.split(/\s+/)[1]!;
      // sh and its sleep.
      expect(waitFor(() => ctr(['task', 'ps', id]).stdout.trim().split('\n').length === 3, 5_000), why(ctr(['task', 'ps', id]))).toBe(true);
      expect(ctr(['task', 'ps', id]).stdout).toContain(pid);
    } finally {
      removeContainer(id);
    }
  }, 90_000);

  it.skipIf(!SCRIPT)('ctr run -t gives the task a terminal (the pty master goes to the shim\'s console socket)', () => {
    // ctr -t needs a terminal of its own: script(1) runs it on a fresh pty.
    const argv = [CTR!, '--address', sock, '--namespace', namespace, ...ctrRunArgs(['--rm', '--tty'], 'tty', ['sh', '-c', 'tty; exit 3'])];
    const r = call([SCRIPT!, '--quiet', '--return', '--command', argv.map((a) => `'${a}'`).join(' '), '/dev/null'], { timeout: 60_000 });
    // The pty echoes what ctr forwards from script's input (a NUL shows as "^@"), then the output.
    expect(r.stdout.replace(/\r/g, ''), why(r)).toMatch(/\/dev\/pts\/0\n?$/);
    expect(r.status, why(r)).toBe(3);
  }, 60_000);

  // --- what containerd asks for that ts-runc does not do yet (see the report) ----------
  // it.fails: these pass while the gap is there, and fail (so flip them to `it`) once it closes.

  it('ctr task pause freezes the task and ctr task resume thaws it', () => {
    const id = 'pause';
    const started = ctrRun(['--detach', '--null-io'], id, ['sleep', '600']);
    try {
      expect(started.status, why(started)).toBe(0);
      expect(waitFor(() => /\bRUNNING\b/.test(ctr(['task', 'ls']).stdout), 10_000)).toBe(true);
      const paused = ctr(['task', 'pause', id]);
      expect(paused.status, why(paused)).toBe(0);
      expect(ctr(['task', 'ls']).stdout).toMatch(/\bPAUSED\b/);
      const resumed = ctr(['task', 'resume', id]);
      expect(resumed.status, why(resumed)).toBe(0);
      expect(ctr(['task', 'ls']).stdout).toMatch(/\bRUNNING\b/);
    } finally {
      removeContainer(id);
    }
  }, 90_000);

  it('ctr run --memory-limit sets the memory limit of the task\'s cgroup', () => {
    const id = 'memory';
    const started = ctrRun(['--detach', '--null-io', '--memory-limit', String(64 * 1024 * 1024)], id, ['sleep', '600']);
    try {
      expect(started.status, why(started)).toBe(0);
      const v1 = `/sys/fs/cgroup/memory/${namespace}/${id}/memory.limit_in_bytes`;
      const file = existsSync(v1) ? v1 : `/sys/fs/cgroup/${namespace}/${id}/memory.max`;
      expect(readFileSync(file, 'utf8').trim()).toBe(String(64 * 1024 * 1024));
    } finally {
      removeContainer(id);
    }
  }, 90_000);

  it('ctr run --seccomp applies containerd\'s default seccomp profile, and ordinary programs still work', () => {
    const r = ctrRun(['--rm', '--seccomp'], 'seccomp', ['sh', '-c', 'ls / >/dev/null && ps >/dev/null && grep Seccomp: /proc/self/status']);
    // proc_pid_status(5): 2 is SECCOMP_MODE_FILTER.
    expect(r.stdout, why(r)).toMatch(/Seccomp:\s+2/);
  }, 60_000);

  it('leaves no container, mount or cgroup behind after the tasks are deleted', () => {
    expect(ctr(['container', 'ls', '-q']).stdout.trim()).toBe('');
    expect(mountsUnder(join(dir, 'state'))).toEqual([]);
    expect(cgroupDirs(`/${namespace}`).flatMap((d) => call(['find', d, '-mindepth', '1', '-type', 'd']).stdout.split('\n').filter(Boolean))).toEqual([]);
  });
});
