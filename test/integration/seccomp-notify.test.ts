/**
 * seccomp user notification (issue 10 item 1): a profile's SCMP_ACT_NOTIFY rules hand the
 * matching calls to an agent listening at linux.seccomp.listenerPath, which gets the notify
 * fd and the container process state (runtime.md#container-process-state) over SCM_RIGHTS,
 * as runc does. The agent (seccomp-agent.c, built here) answers `mkdir` with a fake success
 * ("fake": nothing is made) or an errno of its choice, and logs each call; so a directory
 * that `mkdir` claims to have made and that is not there proves the agent answered.
 * Where Debian's runc is installed, the same bundles run under it too.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/spec/schema.js';
import { haveFixture, isRoot, REPO, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;
const SCRIPT = 'mkdir /tmp/x && echo made; test -d /tmp/x && echo exists || echo absent';

interface Agent {
  socket: string;
  dir: string;
  child: ChildProcess;
}

suite('seccomp user notification (SCMP_ACT_NOTIFY, listenerPath)', () => {
  let box: Sandbox;
  let agentBinary: string;
  const agents: Agent[] = [];

  beforeAll(() => {
    agentBinary = join(REPO, 'build', 'test-seccomp-agent');
    const cc = spawnSync('cc', ['-O2', '-Wall', '-o', agentBinary, join(REPO, 'test/integration/seccomp-agent.c')], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
  });
  beforeEach(() => { box = sandbox(); });
  afterEach(() => {
    // The agent runs in a process group of its own, with its per-connection children.
    for (const agent of agents.splice(0)) try { process.kill(-agent.child.pid!, 'SIGKILL'); } catch { /* gone */ }
    box.cleanup();
  });

  function startAgent(mode: string): Agent {
    const dir = join(box.dir, `agent-${agents.length}`);
    mkdirSync(dir);
    const socket = join(dir, 'agent.sock');
    const child = spawn(agentBinary, [socket, dir, mode], { stdio: 'ignore', detached: true });
    const agent = { socket, dir, child };
    agents.push(agent);
    // Wait until it listens (bind creates the socket file).
    for (let i = 0; i < 200 && !existsSync(socket); i++) spawnSync('sleep', ['0.01']);
    expect(existsSync(socket)).toBe(true);
    return agent;
  }

  const calls = (agent: Agent): number[] =>
    existsSync(join(agent.dir, 'calls')) ? readFileSync(join(agent.dir, 'calls'), 'utf8').trim().split('\n').map((l) => Number(l.split(' ')[0])) : [];
  const state = (agent: Agent, n: number): Record<string, unknown> & { state: Record<string, unknown> } =>
    JSON.parse(readFileSync(join(agent.dir, `state-${n}.json`), 'utf8'));
  const MKDIR = process.arch === 'arm64' ? [34] : [83, 258]; // mkdirat on aarch64; mkdir, mkdirat on x86_64

  /** A profile notifying mkdir, /tmp a tmpfs (the fixture's root is read-only). */
  const notifying = (listenerPath: string, nnp: boolean, extra: (spec: Spec) => void = () => {}) => (spec: Spec) => {
    spec.root!.path = realpathSync(spec.root!.path); // runc refuses a root.path through a symlink
    spec.process!.noNewPrivileges = nnp;
    spec.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath,
      listenerMetadata: 'test-metadata',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
    };
    extra(spec);
  };

  const runc = (args: string[]) =>
    spawnSync(RUNC!, ['--root', join(box.dir, 'runc-state'), ...args], { encoding: 'utf8', timeout: 20_000 });

  for (const nnp of [true, false]) {
    it(`run: the agent gets the notify fd and the state, and answers mkdir (noNewPrivileges ${nnp})`, () => {
      const agent = startAgent('fake');
      const bundle = box.bundle(['sh', '-c', SCRIPT], notifying(agent.socket, nnp));
      const r = box.run(['run', '-b', bundle, `notify${nnp ? 1 : 0}`]);
      expect(r.stdout.trim().split('\n'), r.stderr).toEqual(['made', 'absent']);
      expect(calls(agent).length).toBeGreaterThan(0);
      expect(calls(agent).every((nr) => MKDIR.includes(nr))).toBe(true);
      const s = state(agent, 1);
      // runtime.md#container-process-state, as runc sends it for the init: status "creating".
      expect(s).toMatchObject({ fds: ['seccompFd'], metadata: 'test-metadata' });
      expect(Object.keys(s).sort()).toEqual(['fds', 'metadata', 'ociVersion', 'pid', 'state']);
      expect(s.state).toMatchObject({ id: `notify${nnp ? 1 : 0}`, status: 'creating', pid: s.pid, bundle });
    });
  }

  // pidfd_getfd(2) needs ptrace access to the container process: it holds for a process
  // in a user namespace of its own, with a non-root user, too.
  it('in a user namespace, as a non-root user', () => {
    const agent = startAgent('fake');
    const bundle = box.bundle(['sh', '-c', SCRIPT], notifying(agent.socket, false, (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
      s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
      s.process!.user = { uid: 1000, gid: 1000 };
    }));
    const r = box.run(['run', '-b', bundle, 'notify-userns']);
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual(['made', 'absent']);
    expect(state(agent, 1).state).toMatchObject({ id: 'notify-userns', status: 'creating' });
  });

  // runc 1.1.5 refuses every seccomp flag; later runc (and ts-runc) accept this one.
  // TSYNC is dropped with a listener: seccomp(2) refuses the pair (EINVAL).
  it('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (and TSYNC) are accepted with a listener', () => {
    const agent = startAgent('fake');
    const bundle = box.bundle(['sh', '-c', SCRIPT], notifying(agent.socket, true, (s) => {
      s.linux!.seccomp!.flags = ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV', 'SECCOMP_FILTER_FLAG_TSYNC'];
    }));
    const r = box.run(['run', '-b', bundle, 'notify-killable']);
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual(['made', 'absent']);
  });

  (RUNC ? it : it.skip)('runc, same bundle: same answers, same state fields', () => {
    const agent = startAgent('fake');
    const bundle = box.bundle(['sh', '-c', SCRIPT], notifying(agent.socket, true));
    const r = runc(['run', '-b', bundle, 'notify-runc']);
    expect(r.stdout.trim().split('\n'), r.stderr).toEqual(['made', 'absent']);
    const s = state(agent, 1);
    expect(Object.keys(s).sort()).toEqual(['fds', 'metadata', 'ociVersion', 'pid', 'state']);
    expect(s).toMatchObject({ fds: ['seccompFd'], metadata: 'test-metadata' });
    expect(s.state).toMatchObject({ id: 'notify-runc', status: 'creating', pid: s.pid, bundle });
  });

  it('exec: the exec\'d process\'s own notify fd reaches the agent, with the container "running"', () => {
    const agent = startAgent('errno:18'); // EXDEV
    const bundle = box.bundle(['sleep', '30'], notifying(agent.socket, true));
    expect(box.run(['run', '-d', '-b', bundle, 'notify-exec']).status).toBe(0);
    const containerPid = state(agent, 1).pid;
    const r = box.run(['exec', 'notify-exec', 'sh', '-c', SCRIPT]);
    expect(r.stdout.trim()).toBe('absent');
    expect(r.stderr).toMatch(/Invalid cross-device link/);
    const s = state(agent, 2);
    expect(s.pid).not.toBe(containerPid);
    expect(s.state).toMatchObject({ id: 'notify-exec', status: 'running', pid: containerPid });
  });

  // issue 10 item 2 too: runc loads the filter before it waits for `start`, so a
  // startContainer hook runs under it. Before, with no_new_privs, the hook ran before the filter.
  for (const nnp of [true, false]) {
    it(`a startContainer hook runs under the filter (noNewPrivileges ${nnp})`, () => {
      const agent = startAgent('fake');
      const bundle = box.bundle(['sh', '-c', 'test -d /tmp/hook && echo hook-made || echo hook-absent'], notifying(agent.socket, nnp, (spec) => {
        spec.hooks = { startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'mkdir /tmp/hook'] }] };
      }));
      const r = box.run(['run', '-b', bundle, `notify-hook${nnp ? 1 : 0}`]);
      expect(r.stdout.trim(), r.stderr).toBe('hook-absent');
      if (RUNC) {
        const theirs = runc(['run', '-b', bundle, `notify-hook-runc${nnp ? 1 : 0}`]);
        expect(theirs.stdout.trim(), theirs.stderr).toBe('hook-absent');
      }
    });
  }

  it('an agent that is not there fails create with runc\'s error, and leaves nothing behind', () => {
    const missing = join(box.dir, 'no-agent.sock');
    const bundle = box.bundle(['true'], notifying(missing, true));
    const r = box.run(['run', '-b', bundle, 'notify-missing']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(`failed to connect with seccomp agent specified in the seccomp profile: connect ${missing}: ENOENT`);
    expect(box.run(['list', '-q']).stdout.trim()).toBe('');
    if (RUNC) {
      const theirs = runc(['run', '-b', bundle, 'notify-missing-runc']);
      expect(theirs.status).not.toBe(0);
      expect(theirs.stderr).toMatch('failed to connect with seccomp agent specified in the seccomp profile');
    }
  });

  it('an agent that dies: notified calls fail with ENOSYS, as under runc', () => {
    const agent = startAgent('die');
    const bundle = box.bundle(['sh', '-c', SCRIPT], notifying(agent.socket, true));
    const r = box.run(['run', '-b', bundle, 'notify-die']);
    expect(r.stdout.trim()).toBe('absent');
    expect(r.stderr).toMatch(/Function not implemented/);
    if (RUNC) {
      const again = startAgent('die');
      const theirs = runc(['run', '-b', box.bundle(['sh', '-c', SCRIPT], notifying(again.socket, true)), 'notify-die-runc']);
      expect(theirs.stdout.trim()).toBe('absent');
      expect(theirs.stderr).toMatch(/Function not implemented/);
    }
  });

  it('an empty listenerPath is refused with runc\'s words, before anything runs', () => {
    const bundle = box.bundle(['true'], notifying('', true));
    const r = box.run(['run', '-b', bundle, 'notify-empty']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch('linux.seccomp.listenerPath: listenerPath is not set');
    if (RUNC) expect(runc(['run', '-b', bundle, 'notify-empty-runc']).stderr).toMatch('listenerPath is not set');
  });
});
