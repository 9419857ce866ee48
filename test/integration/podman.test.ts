/**
 * podman drives ts-runc unmodified: `podman --runtime <abs path to bin/ts-runc>` runs,
 * execs into, stops, kills and removes containers through conmon, the way it drives runc.
 * podman's storage, state, locks, events and network config all live in a temporary
 * directory (--root, --runroot and a containers.conf of our own), and every container
 * goes under a cgroup parent named for that directory, so the test can remove it.
 * The image is the fixture rootfs, `podman import`ed; nothing is pulled.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLIENT_RUNTIME, FIXTURE_TAR, call, containersConf, cgroupDirs, explain, installed, isAlive, killPids, missingForClients,
  mountsUnder, pidsMentioning, removeCgroupTree, tempDir, unmountAllUnder, waitFor, type Call,
} from './clients.js';

const PODMAN = installed('podman');
const IMAGE = 'localhost/ts-runc-fixture';

const missing = missingForClients([['podman', 'podman'], ['conmon', 'conmon']]);
const suite = missing.length === 0 ? describe : describe.skip;
if (missing.length > 0) console.warn(`podman client tests skipped: need ${missing.join(', ')}`);

/** A limit as the kernel reports it: cgroup v1's file if that hierarchy is mounted, else v2's. */
function cgroupLimit(path: string, controller: 'memory' | 'pids'): string {
  const v1 = join('/sys/fs/cgroup', controller, path, controller === 'memory' ? 'memory.limit_in_bytes' : 'pids.max');
  const v2 = join('/sys/fs/cgroup', path, controller === 'memory' ? 'memory.max' : 'pids.max');
  return readFileSync(existsSync(v1) ? v1 : v2, 'utf8').trim();
}

suite(`podman drives ${basename(CLIENT_RUNTIME)}`, () => {
  let dir = '';
  let env: NodeJS.ProcessEnv = {};
  let driver = 'overlay';
  // Every container's cgroup goes below this one (conmon's too), e.g. /ts-runc-podman-AbC123.
  let cgroupParent = '';
  // c/image keeps a blob-info cache under /var/lib/containers whatever --root says.
  let createdVarLibContainers = false;
  // podman passes the runtime no --root, so it keeps its state in its default,
  // /run/<name> (/run/runc, /run/ts-runc): removed if we created it and it is empty.
  const runtimeRoot = `/run/${basename(CLIENT_RUNTIME)}`;
  let createdRuntimeRoot = false;
  let names = 0;

  const podman = (args: string[], input?: string): Call =>
    call([PODMAN!, '--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--storage-driver', driver,
      '--runtime', CLIENT_RUNTIME, ...args], { env, input, timeout: 60_000 });
  /** Flags every container of this file gets: never pull, our cgroup parent. */
  const own = () => ['--pull=never', `--cgroup-parent=${cgroupParent}`];
  const name = (what: string) => `${what}-${names++}`;
  /** A container's log, conmon's view of the runtime's errors: for assertion messages. */
  const why = (c: Call, container?: string) => {
    let text = explain(c);
    if (container) {
      const logs = podman(['logs', container]);
      const state = podman(['inspect', '--format', '{{.State.Status}} exit={{.State.ExitCode}} error={{.State.Error}}', container]);
      text += `\npodman logs: ${logs.stdout}${logs.stderr}\nstate: ${state.stdout}${state.stderr}`;
    }
    return text;
  };
  const inspect = (container: string, format: string) => podman(['inspect', '--format', format, container]).stdout.trim();
  const removeAll = () => podman(['rm', '--all', '--force', '--time', '0']);

  beforeAll(() => {
    dir = tempDir('podman');
    cgroupParent = `/${basename(dir)}`;
    for (const sub of ['run', 'tmp', 'cni']) mkdirSync(join(dir, sub));
    writeFileSync(join(dir, 'containers.conf'), containersConf(dir));
    env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf'), TMPDIR: join(dir, 'tmp') };
    createdVarLibContainers = !existsSync('/var/lib/containers');
    createdRuntimeRoot = !existsSync(runtimeRoot);

    // overlay when this host can mount it (image mount is overlay without any runtime),
    // vfs (plain copies) otherwise.
    let imported = podman(['import', FIXTURE_TAR, IMAGE]);
    const mounted = podman(['image', 'mount', IMAGE]);
    if (imported.status !== 0 || mounted.status !== 0) {
      console.warn(`podman: overlay storage failed here, using vfs:\n${explain(imported.status !== 0 ? imported : mounted)}`);
      // Start over: podman's database remembers the driver it was first run with.
      podman(['image', 'unmount', '--all']);
      unmountAllUnder(dir);
      for (const sub of ['root', 'runroot', 'run']) rmSync(join(dir, sub), { recursive: true, force: true });
      mkdirSync(join(dir, 'run'));
      driver = 'vfs';
      imported = podman(['import', FIXTURE_TAR, IMAGE]);
    } else {
      podman(['image', 'unmount', IMAGE]);
    }
    expect(imported.status, explain(imported)).toBe(0);
  }, 120_000);

  afterAll(() => {
    if (!dir) return;
    removeAll();
    podman(['rmi', '--all', '--force']);
    // conmon and container processes name our directory on their command lines.
    const stuck = killPids(pidsMentioning(dir));
    const mounts = unmountAllUnder(dir);
    const cgroups = removeCgroupTree(cgroupParent);
    rmSync(dir, { recursive: true, force: true });
    if (createdVarLibContainers) rmSync('/var/lib/containers', { recursive: true, force: true });
    if (createdRuntimeRoot && existsSync(runtimeRoot) && readdirSync(runtimeRoot).length === 0) rmdirSync(runtimeRoot);
    expect({ stuck, mounts, cgroups }).toEqual({ stuck: [], mounts: [], cgroups: [] });
  }, 120_000);

  it('podman run --rm passes stdout, stderr and the exit code through, and removes the container', () => {
    const id = name('run-rm');
    const r = podman(['run', '--rm', ...own(), '--name', id, IMAGE, 'sh', '-c', 'echo hello from the container; echo to-stderr >&2; exit 7']);
    expect(r.stdout, explain(r)).toBe('hello from the container\n');
    expect(r.stderr, explain(r)).toContain('to-stderr');
    expect(r.status, explain(r)).toBe(7);
    expect(podman(['ps', '--all', '--format', '{{.Names}}']).stdout).not.toContain(id);
  }, 60_000);

  it('podman run gives the process PID 1, the hostname podman chose, and the image rootfs', () => {
    const id = name('pid-one');
    const r = podman(['run', '--rm', ...own(), '--name', id, '--hostname', 'from-podman', IMAGE, 'sh', '-c', 'echo $$; hostname; ls /bin/busybox']);
    expect(r.stdout.trim().split('\n'), explain(r)).toEqual(['1', 'from-podman', '/bin/busybox']);
    expect(r.status, explain(r)).toBe(0);
  }, 60_000);

  it('podman exec runs a second process in a running container and passes its exit code through', () => {
    const id = name('exec');
    const started = podman(['run', '--detach', ...own(), '--name', id, IMAGE, 'sleep', '600']);
    try {
      expect(started.status, why(started, id)).toBe(0);
      const exec = podman(['exec', id, 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo to-stderr >&2; exit 4']);
      // It sees the container's PID 1: it is in the same pid namespace.
      expect(exec.stdout, why(exec, id)).toBe('sleep 600 \n');
      expect(exec.stderr, why(exec, id)).toContain('to-stderr');
      expect(exec.status, why(exec, id)).toBe(4);
      expect(inspect(id, '{{.State.Status}}')).toBe('running');

      // podman maps the runtime's "no such file" error to 127, as a shell does.
      const missingExe = podman(['exec', id, '/no/such/program']);
      expect(missingExe.status, why(missingExe, id)).toBe(127);

      const asUser = podman(['exec', '--user', '1000:1000', '--workdir', '/tmp', '--env', 'FROM_EXEC=yes', id, 'sh', '-c', 'id -u; id -g; pwd; echo $FROM_EXEC']);
      expect(asUser.stdout.trim().split('\n'), why(asUser, id)).toEqual(['1000', '1000', '/tmp', 'yes']);
    } finally {
      podman(['rm', '--force', '--time', '0', id]);
    }
  }, 90_000);

  it('podman stop sends SIGTERM, the container exits on its own, and podman records exit 0', () => {
    const id = name('stop');
    // TERM is trapped, so exit 0 (not 137) shows SIGTERM arrived and no SIGKILL was needed.
    const started = podman(['run', '--detach', ...own(), '--name', id, IMAGE, 'sh', '-c', 'trap "exit 0" TERM; sleep 600 & wait']);
    try {
      expect(started.status, why(started, id)).toBe(0);
      const t0 = Date.now();
      const stopped = podman(['stop', '--time', '20', id]);
      expect(stopped.status, why(stopped, id)).toBe(0);
      expect(Date.now() - t0).toBeLessThan(15_000);
      expect(inspect(id, '{{.State.Status}} {{.State.ExitCode}}')).toBe('exited 0');
    } finally {
      podman(['rm', '--force', '--time', '0', id]);
    }
  }, 90_000);

  it('podman kill delivers the signal it is given, and podman wait reports the exit code', () => {
    const id = name('kill');
    const started = podman(['run', '--detach', ...own(), '--name', id, IMAGE, 'sh', '-c', 'trap "exit 42" USR1; sleep 600 & wait']);
    try {
      expect(started.status, why(started, id)).toBe(0);
      const killed = podman(['kill', '--signal', 'USR1', id]);
      expect(killed.status, why(killed, id)).toBe(0);
      const waited = podman(['wait', id]);
      expect(waited.stdout.trim(), why(waited, id)).toBe('42');

      // The default signal is SIGKILL, which PID 1 cannot trap: 128 + 9.
      const id2 = name('kill');
      expect(podman(['run', '--detach', ...own(), '--name', id2, IMAGE, 'sh', '-c', 'trap "" TERM; sleep 600']).status).toBe(0);
      try {
        const killed2 = podman(['kill', id2]);
        expect(killed2.status, why(killed2, id2)).toBe(0);
        expect(podman(['wait', id2]).stdout.trim()).toBe('137');
      } finally {
        podman(['rm', '--force', '--time', '0', id2]);
      }
    } finally {
      podman(['rm', '--force', '--time', '0', id]);
    }
  }, 90_000);

  it('podman rm -f removes a running container: its processes, cgroup and rootfs mount go', () => {
    const id = name('rm-f');
    const started = podman(['run', '--detach', ...own(), '--name', id, IMAGE, 'sleep', '600']);
    expect(started.status, why(started, id)).toBe(0);
    const pid = Number(inspect(id, '{{.State.Pid}}'));
    const full = inspect(id, '{{.Id}}');
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(true);

    const removed = podman(['rm', '--force', '--time', '1', id]);
    expect(removed.status, explain(removed)).toBe(0);
    expect(podman(['ps', '--all', '--format', '{{.Names}}']).stdout).not.toContain(id);
    expect(waitFor(() => !isAlive(pid), 5_000)).toBe(true);
    expect(cgroupDirs(`${cgroupParent}/libpod-${full}`)).toEqual([]);
    expect(mountsUnder(dir).filter((m) => m.includes(full))).toEqual([]);
  }, 90_000);

  it('podman run of a missing program exits 127: the runtime fails it at create, as runc does', () => {
    const r = podman(['run', '--rm', ...own(), IMAGE, '/no/such/program']);
    expect(r.status, explain(r)).toBe(127);
    expect(r.stderr, explain(r)).toContain('/no/such/program');
  }, 60_000);

  it('podman run --user, --env and --workdir reach the container process', () => {
    const r = podman(['run', '--rm', ...own(), '--user', '1000:1000', '--env', 'GREETING=hi', '--workdir', '/tmp', IMAGE, 'sh', '-c', 'id -u; id -g; echo $GREETING; pwd']);
    expect(r.stdout.trim().split('\n'), explain(r)).toEqual(['1000', '1000', 'hi', '/tmp']);
    expect(r.status, explain(r)).toBe(0);
  }, 60_000);

  // issue 9 item 15: podman sets no HOME for --user and relies on the runtime to read it
  // from the container's /etc/passwd (which podman may bind-mount with an entry it adds).
  it('podman run --user gives the process the HOME of its /etc/passwd entry, as runc does', () => {
    const known = podman(['run', '--rm', ...own(), '--user', '1000:1000', IMAGE, 'sh', '-c', 'echo "HOME=$HOME"']);
    expect(known.stdout, explain(known)).toBe('HOME=/home/tester\n');
    const unknown = podman(['run', '--rm', ...own(), '--user', '100', IMAGE, 'sh', '-c', 'echo "HOME=$HOME"']);
    expect(unknown.stdout, explain(unknown)).toBe('HOME=/\n');
  }, 60_000);

  it('podman run -i pipes our stdin into the container', () => {
    const r = podman(['run', '--rm', '--interactive', ...own(), IMAGE, 'sh', '-c', 'read line; echo "got $line"'], 'piped-data\n');
    expect(r.stdout, explain(r)).toBe('got piped-data\n');
    expect(r.status, explain(r)).toBe(0);
  }, 60_000);

  it('podman run -t gives the container a terminal (the pty master goes to conmon\'s console socket)', () => {
    const r = podman(['run', '--rm', '--tty', ...own(), IMAGE, 'sh', '-c', 'tty; exit 5']);
    // A terminal turns \n into \r\n.
    expect(r.stdout.replace(/\r/g, '').trim(), explain(r)).toBe('/dev/pts/0');
    expect(r.status, explain(r)).toBe(5);
  }, 60_000);

  // --- what podman asks for that ts-runc does not do yet (see the report) --------------
  // it.fails: these pass while the gap is there, and fail (so flip them to `it`) once it closes.

  it('podman run --read-only mounts tmpfs on /tmp, /run, /var/tmp with runc\'s tmpcopyup option', () => {
    const r = podman(['run', '--rm', ...own(), '--read-only', IMAGE, 'sh', '-c', 'touch /in-root 2>/dev/null && echo root-writable; touch /tmp/x && echo tmp-writable']);
    expect(r.stdout.trim(), explain(r)).toBe('tmp-writable');
    expect(r.status, explain(r)).toBe(0);
  }, 60_000);

  it('podman pause freezes the container and podman unpause thaws it', () => {
    const id = name('pause');
    expect(podman(['run', '--detach', ...own(), '--name', id, IMAGE, 'sleep', '600']).status).toBe(0);
    try {
      const paused = podman(['pause', id]);
      expect(paused.status, why(paused, id)).toBe(0);
      expect(inspect(id, '{{.State.Status}}')).toBe('paused');
      const resumed = podman(['unpause', id]);
      expect(resumed.status, why(resumed, id)).toBe(0);
      expect(inspect(id, '{{.State.Status}}')).toBe('running');
    } finally {
      podman(['rm', '--force', '--time', '0', id]);
    }
  }, 90_000);

  it('podman run --memory and --pids-limit set the container\'s cgroup limits', () => {
    const id = name('limits');
    expect(podman(['run', '--detach', ...own(), '--name', id, '--memory', '64m', '--pids-limit', '100', IMAGE, 'sleep', '600']).status).toBe(0);
    try {
      const cgroup = `${cgroupParent}/libpod-${inspect(id, '{{.Id}}')}`;
      expect(cgroupLimit(cgroup, 'memory')).toBe(String(64 * 1024 * 1024));
      expect(cgroupLimit(cgroup, 'pids')).toBe('100');
    } finally {
      podman(['rm', '--force', '--time', '0', id]);
    }
  }, 90_000);

  it('podman\'s default seccomp profile is applied to the container process, and ordinary programs still work', () => {
    const r = podman(['run', '--rm', ...own(), IMAGE, 'sh', '-c', 'ls / >/dev/null && ps >/dev/null && grep Seccomp: /proc/self/status']);
    // proc_pid_status(5): 2 is SECCOMP_MODE_FILTER.
    expect(r.stdout, explain(r)).toMatch(/Seccomp:\s+2/);
  }, 60_000);

  it('the cgroup hierarchies the container sees under /sys/fs/cgroup are read-only', () => {
    // config.json asks for {"destination": "/sys/fs/cgroup", "type": "cgroup", options [..., "ro"]};
    // Read from mountinfo, without writing anything: each cgroup or cgroup2 mount (the
    // filesystem type follows " - "), its mount point (field 5) and options (field 6).
    const r = podman(['run', '--rm', ...own(), IMAGE, 'sh', '-c', 'grep -E " - cgroup2? " /proc/self/mountinfo | awk \'{ print $5, $6 }\'']);
    const lines = r.stdout.trim().split('\n').filter(Boolean);
    expect(lines.length, explain(r)).toBeGreaterThan(0);
    expect(lines.filter((l) => !/ ro(,|$)/.test(l)), explain(r)).toEqual([]);
  }, 60_000);

  it('leaves no container and no container mount behind', () => {
    removeAll();
    expect(podman(['ps', '--all', '--quiet']).stdout.trim()).toBe('');
    expect(mountsUnder(dir)).toEqual([]);
  });
});
