/**
 * The rest of config.json and the CLI contract clients rely on: hooks with the state on
 * stdin, fds that may (and may not) reach the container, --no-pivot, joined namespaces,
 * sysctl / oom_score_adj / no_new_privs, JSON logs, spec and features.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Spec } from '../../src/spec/schema.js';
import { TS_RUNC, haveFixture, isRoot, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;

suite('hooks, fds and the rest of config.json', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  it('runs every hook kind, in lifecycle order, with the OCI state on stdin', () => {
    const record = join(box.dir, 'hooks.log');
    const hook = join(box.dir, 'hook.sh');
    // The host's sh runs runtime-namespace hooks; the fixture's busybox sh runs the in-container
    // ones (createContainer resolves in the runtime namespace, startContainer in the container's).
    writeFileSync(hook, '#!/bin/sh\nstate=$(cat)\necho "$1 $state" >> "$2"\n');
    chmodSync(hook, 0o755);
    const inContainer = '/bin/sh';
    const bundle = box.bundle(['true'], (s) => {
      const h = (name: string) => ({ path: hook, args: ['hook.sh', name, record] });
      s.root!.readonly = false;
      s.mounts!.push({ destination: '/hooklog', type: 'bind', source: box.dir, options: ['rbind', 'rw'] });
      s.hooks = {
        prestart: [h('prestart')],
        createRuntime: [h('createRuntime')],
        createContainer: [{ path: hook, args: ['hook.sh', 'createContainer', record] }],
        startContainer: [{ path: inContainer, args: ['sh', '-c', 'echo "startContainer $(cat)" >> /hooklog/hooks.log'] }],
        poststart: [h('poststart')],
        poststop: [h('poststop')],
      };
    });
    const r = box.run(['run', '-b', bundle, 'hooked']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = readFileSync(record, 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(' ')[0])).toEqual([
      'prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop',
    ]);
    const state = JSON.parse(lines[0]!.slice('prestart '.length));
    expect(state).toMatchObject({ id: 'hooked', bundle, ociVersion: expect.stringMatching(/^1\./) });
    expect(state.pid).toBeGreaterThan(0);
    expect(JSON.parse(lines[5]!.slice('poststop '.length)).status).toBe('stopped');
  });

  it('a failing prestart hook fails create and leaves nothing behind', () => {
    const bundle = box.bundle(['true'], (s) => { s.hooks = { prestart: [{ path: '/bin/false' }] }; });
    const r = box.run(['create', '-b', bundle, 'badhook']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('prestart hook /bin/false failed');
    expect(existsSync(join(box.root, 'badhook'))).toBe(false);
  });

  it('a mount option ts-runc cannot honour fails create before anything is made', () => {
    const bundle = box.bundle(['true'], (s) => {
      s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] });
      s.hooks = { prestart: [{ path: '/bin/false' }] }; // would fail create if anything had started
    });
    const r = box.run(['create', '-b', bundle, 'badopt']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/create badopt: config\.json: mounts\[\d+\]\.options\[0\]: "idmap"/);
    expect(existsSync(join(box.root, 'badopt'))).toBe(false);
  });

  it('a hook that overruns its timeout is killed and fails create', () => {
    const bundle = box.bundle(['true'], (s) => { s.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] }; });
    const r = box.run(['create', '-b', bundle, 'slowhook']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('ran past specified timeout of 1.0s'); // runc's words
  });

  it('only stdio and --preserve-fds reach the container', () => {
    // fd 3 and 4 are open in ts-runc (as containerd's unrelated socket is); with --preserve-fds 1
    // only fd 3 may reach the container.
    const three = openSync(join(box.dir, 'three'), 'w');
    const four = openSync(join(box.dir, 'four'), 'w');
    const out = join(box.dir, 'out');
    const outFd = openSync(out, 'w');
    try {
      const bundle = box.bundle(['sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "; echo in-three >&3']);
      const r = spawnSync(TS_RUNC, ['--root', box.root, 'run', '--preserve-fds', '1', '-b', bundle, 'fds'], {
        stdio: ['ignore', outFd, 'inherit', three, four],
      });
      expect(r.status).toBe(0);
    } finally {
      [three, four, outFd].forEach((fd) => closeSync(fd));
    }
    // ls opens the directory it lists as the lowest free fd: 4 if fd 4 did not leak in, 5 if it did.
    expect(readFileSync(out, 'utf8').trim().split(' ').map(Number)).toEqual([0, 1, 2, 3, 4]);
    expect(readFileSync(join(box.dir, 'three'), 'utf8')).toBe('in-three\n');
  });

  it('--no-pivot moves the rootfs onto / and chroots', () => {
    const r = box.run(['run', '--no-pivot', '-b', box.bundle(['sh', '-c', 'cat /etc/passwd | head -1; echo $$']), 'nopivot']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['root:x:0:0:root:/root:/bin/sh', '1']);
  });

  it('joins an existing network namespace by path', () => {
    box.run(['run', '-d', '-b', box.bundle(['sh', '-c', 'nc -l -p 7777 -e echo shared-netns'], (s) => { s.hostname = 'first'; }), 'first']);
    const firstPid = JSON.parse(box.run(['state', 'first']).stdout).pid;
    const bundle = box.bundle(['sh', '-c', 'sleep 0.3; nc 127.0.0.1 7777 </dev/null; hostname'], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((ns) => (ns.type === 'network' ? { type: 'network', path: `/proc/${firstPid}/ns/net` } : ns));
      s.hostname = 'second';
    });
    const r = box.run(['run', '-b', bundle, 'second']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(['shared-netns', 'second']);
  });

  it('applies sysctl, oomScoreAdj and noNewPrivileges', () => {
    const bundle = box.bundle(['sh', '-c', 'cat /proc/sys/net/ipv4/ip_forward /proc/self/oom_score_adj; grep NoNewPrivs /proc/self/status'], (s) => {
      s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
      s.process!.oomScoreAdj = 123;
      s.process!.noNewPrivileges = true;
    });
    const r = box.run(['run', '-b', bundle, 'knobs']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').map((l) => l.replace(/\s+/g, ' '))).toEqual(['1', '123', 'NoNewPrivs: 1']);
  });

  // config.md#linux-process oomScoreAdj. In a new user namespace the init is not dumpable
  // (becoming root there makes it so), and /proc/self/oom_score_adj then belongs to the
  // host's root, unmapped inside: runc writes it from outside, and so does ts-runc, for
  // the container's init and for an exec'd process alike. (Values above 0: lowering one
  // needs CAP_SYS_RESOURCE, which a runtime run without it, as on this CI host, lacks.)
  for (const userns of [false, true]) {
    it(`sets process.oomScoreAdj of the init and of an exec'd process${userns ? ' in a new user namespace' : ''}`, () => {
      const bundle = box.bundle(['sleep', '30'], (s) => {
        s.process!.oomScoreAdj = 500;
        if (userns) {
          s.linux!.namespaces!.push({ type: 'user' });
          s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
          s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
          s.mounts = s.mounts!.filter((m) => m.destination !== '/sys/fs/cgroup');
        }
      });
      const r = box.run(['run', '-d', '-b', bundle, 'oom']);
      expect(r.stderr).toBe('');
      const pid = JSON.parse(box.run(['state', 'oom']).stdout).pid;
      expect(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8').trim()).toBe('500');
      const processFile = join(box.dir, 'oom-process.json');
      writeFileSync(processFile, JSON.stringify({ args: ['cat', '/proc/self/oom_score_adj'], cwd: '/', user: { uid: 0, gid: 0 }, oomScoreAdj: 300 }));
      const exec = box.run(['exec', '--process', processFile, 'oom']);
      expect(exec.stderr).toBe('');
      expect(exec.stdout.trim()).toBe('300');
    });
  }

  // config-linux.md#seccomp: a deny-list profile; EPERM is errno 1.
  const denyMkdir = (nnp: boolean) => (spec: Spec) => {
    spec.process!.noNewPrivileges = nnp;
    spec.linux!.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    };
  };
  const script = 'echo ok; grep Seccomp: /proc/self/status; mkdir /tmp/x && echo made';

  for (const nnp of [true, false]) {
    it(`applies linux.seccomp: a denied syscall fails with EPERM, the rest work (noNewPrivileges ${nnp})`, () => {
      const r = box.run(['run', '-b', box.bundle(['sh', '-c', script], denyMkdir(nnp)), `sc${nnp ? 1 : 0}`]);
      expect(r.stdout.replace(/[ \t]+/g, ' ').trim().split('\n')).toEqual(['ok', 'Seccomp: 2']);
      expect(r.stderr).toMatch(/Operation not permitted/);
    });
  }

  it("applies the container's seccomp filter to exec'd processes", () => {
    box.run(['run', '-d', '-b', box.bundle(['sleep', '30'], denyMkdir(true)), 'scx']);
    const r = box.run(['exec', 'scx', 'sh', '-c', script]);
    expect(r.stdout.replace(/[ \t]+/g, ' ').trim().split('\n')).toEqual(['ok', 'Seccomp: 2']);
    expect(r.stderr).toMatch(/Operation not permitted/);
  });

  // runc keeps the config in its state: exec uses the filter the container was created
  // with, not whatever config.json says (or no longer says) by then. (Without --process,
  // runc's exec reads config.json's process as its base, so a deleted one needs --process.)
  for (const edit of ['deleted', 'rewritten without linux.seccomp'] as const) {
    it(`exec applies the filter recorded at create when config.json was ${edit} since`, () => {
      const bundle = box.bundle(['sleep', '30'], denyMkdir(true));
      expect(box.run(['run', '-d', '-b', bundle, 'scy']).status).toBe(0);
      const configPath = join(bundle, 'config.json');
      const processFile = join(box.dir, 'process.json');
      writeFileSync(processFile, JSON.stringify({ args: ['sh', '-c', script], cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 } }));
      if (edit === 'deleted') rmSync(configPath);
      else {
        const spec = JSON.parse(readFileSync(configPath, 'utf8')) as Spec;
        delete spec.linux!.seccomp;
        writeFileSync(configPath, JSON.stringify(spec));
      }
      const r = box.run(['exec', '--process', processFile, 'scy']);
      expect(r.stdout.replace(/[ \t]+/g, ' ').trim().split('\n')).toEqual(['ok', 'Seccomp: 2']);
      expect(r.stderr).toMatch(/Operation not permitted/);
    });
  }
});

suite('CLI contract', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  it('--log-format json: the last line carries the error as msg, with string level and time', () => {
    const logFile = join(box.dir, 'log.json');
    const r = box.run(['--log', logFile, '--log-format', 'json', 'start', 'missing']);
    expect(r.status).toBe(1);
    const last = JSON.parse(readFileSync(logFile, 'utf8').trim().split('\n').pop()!);
    expect(last).toMatchObject({ level: 'error', msg: 'container missing does not exist' });
    expect(new Date(last.time).getTime()).not.toBeNaN();
  });

  it("spec writes runc's default config.json (and a rootless one) and refuses to overwrite it", () => {
    expect(box.run(['spec', '--bundle', box.dir]).status).toBe(0);
    const spec = JSON.parse(readFileSync(join(box.dir, 'config.json'), 'utf8'));
    expect(spec.process.args).toEqual(['sh']);
    expect(spec.root).toEqual({ path: 'rootfs', readonly: true });
    expect(box.run(['spec', '--bundle', box.dir]).stderr).toContain('exists');
    const rootlessDir = join(box.dir, 'rootless');
    mkdirSync(rootlessDir);
    expect(box.run(['spec', '--rootless', '--bundle', rootlessDir]).status).toBe(0);
    const rootless = JSON.parse(readFileSync(join(rootlessDir, 'config.json'), 'utf8'));
    expect(rootless.linux.namespaces.map((n: { type: string }) => n.type)).toContain('user');
  });

  it('features reports hooks, namespaces and capabilities as JSON', () => {
    const features = JSON.parse(box.run(['features']).stdout);
    expect(features.hooks).toContain('createContainer');
    expect(features.linux.namespaces).toEqual(expect.arrayContaining(['user', 'pid', 'network', 'mount', 'cgroup']));
    expect(features.linux.capabilities).toContain('CAP_SYS_ADMIN');
    expect(features.linux.seccomp.enabled).toBe(true);
    expect(features.linux.seccomp.operators).toContain('SCMP_CMP_MASKED_EQ');
  });

  it('kill accepts signal names and numbers and rejects nonsense', () => {
    box.run(['run', '-d', '-b', box.bundle(['sleep', '30']), 'k']);
    expect(box.run(['kill', 'k', 'BOGUS']).stderr).toContain('invalid signal');
    expect(box.run(['kill', 'k', '65']).stderr).toContain('invalid signal');
    // signal 0 is a liveness probe, as runc takes it (kill(2): no signal is sent)
    expect(box.run(['kill', 'k', '0']).status).toBe(0);
    expect(box.run(['kill', '--all', 'k', '9']).status).toBe(0);
  });

  it('ps lists the container processes as a table and as bare pids', () => {
    box.run(['run', '-d', '-b', box.bundle(['sh', '-c', 'sleep 30 & sleep 30 & wait']), 'p']);
    const pids = JSON.parse(box.run(['ps', '--format', 'json', 'p']).stdout) as number[];
    expect(pids.length).toBe(3);
    const table = box.run(['ps', 'p']).stdout.trim().split('\n');
    expect(table[0]).toMatch(/PID/);
    expect(table.length).toBe(4);
  });
});
