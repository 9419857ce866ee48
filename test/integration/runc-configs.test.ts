/**
 * Configs other runtimes accept run here too (issue 9 items 8-11, 15): the config
 * `runc spec` writes (ambient capabilities without an inheritable set), seccomp profiles
 * written for other runtimes (no close_range), containers without a mount namespace of
 * their own (none, or one joined by path), and HOME from the container's /etc/passwd.
 * Where runc is installed, it runs the same bundle side by side.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AARCH64_SYSCALLS, X86_64_SYSCALLS } from '../../src/seccomp/syscalls.js';
import type { Spec, SpecSeccomp } from '../../src/spec/schema.js';
import { FIXTURE_ROOTFS, TS_RUNC, haveFixture, isRoot, mountsMentioning, sandbox, type Sandbox } from './helpers.js';

const suite = isRoot && haveFixture ? describe : describe.skip;
const RUNC = spawnSync('runc', ['--version']).status === 0 ? 'runc' : undefined;
const STRACE = ['/usr/bin/strace', '/bin/strace'].find((path) => existsSync(path));

/** A status line of /proc/<pid>/status ("CapAmb:\t0000000000000000" -> the value). */
const statusField = (text: string, name: string): string | undefined =>
  text.split('\n').find((l) => l.startsWith(`${name}:`))?.split(/\s+/)[1];

/**
 * What a container without a mount namespace of its own could change on the host: mounts
 * under this test's directory, and the host's "/" (its propagation: "shared:1"). Other
 * tests on the machine mount elsewhere at the same time, so the rest is not compared.
 */
const hostMounts = (dir: string): string[] => {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  return [...lines.filter((l) => l.split(' ')[4] === '/'), ...mountsMentioning(dir)];
};

suite('configs runc runs', () => {
  let box: Sandbox;
  beforeEach(() => { box = sandbox(); });
  afterEach(() => box.cleanup());

  /** `runc spec` in a bundle of ours: the fixture rootfs (kept read-only), no terminal. */
  function runcSpecBundle(args: string[], edit: (spec: Spec) => void = () => {}): string {
    const bundle = join(box.dir, `runc-spec-${Math.random().toString(36).slice(2, 8)}`);
    mkdirSync(bundle);
    const r = spawnSync('runc', ['spec', '--bundle', bundle], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
    // runc refuses a root.path through a symlink ("not an absolute path, or a symlink").
    spec.root = { path: realpathSync(FIXTURE_ROOTFS), readonly: true };
    spec.process!.terminal = false;
    spec.process!.args = args;
    edit(spec);
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
    return bundle;
  }

  // issue 9 item 8 and the "runc spec" check: before the fix, create failed with
  // "EPERM: prctl(PR_CAP_AMBIENT_RAISE, 29)".
  (RUNC ? it : it.skip)('runs the config `runc spec` writes: create, start, exec, kill, delete, as runc does', () => {
    const bundle = runcSpecBundle(['sleep', '100']);
    let r = box.run(['create', '-b', bundle, 'spec']);
    // runc's warning, once per capability.
    expect(r.stderr.match(/can't raise ambient capability/g)).toHaveLength(3);
    expect(r.stderr).toContain("can't raise ambient capability CAP_AUDIT_WRITE");
    expect(r.status).toBe(0);
    expect(box.run(['start', 'spec']).status).toBe(0);
    expect(JSON.parse(box.run(['state', 'spec']).stdout)).toMatchObject({ status: 'running' });
    r = box.run(['exec', 'spec', 'cat', '/proc/self/status']);
    expect(r.status).toBe(0);
    const ours = { CapPrm: statusField(r.stdout, 'CapPrm'), CapInh: statusField(r.stdout, 'CapInh'), CapAmb: statusField(r.stdout, 'CapAmb') };
    // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29); nothing inheritable, so no ambient.
    expect(ours).toEqual({ CapPrm: '0000000020000420', CapInh: '0000000000000000', CapAmb: '0000000000000000' });
    expect(box.run(['kill', 'spec', 'KILL']).status).toBe(0);
    for (let i = 0; i < 100 && JSON.parse(box.run(['state', 'spec']).stdout).status !== 'stopped'; i++) spawnSync('sleep', ['0.05']);
    expect(JSON.parse(box.run(['state', 'spec']).stdout)).toMatchObject({ status: 'stopped' });
    expect(box.run(['delete', 'spec']).status).toBe(0);
    expect(box.run(['state', 'spec']).status).not.toBe(0);

    // runc, same config, same answer.
    const once = runcSpecBundle(['cat', '/proc/self/status']);
    const runc = spawnSync('runc', ['--root', join(box.dir, 'runc-state'), 'run', '-b', once, 'spec-runc'], { encoding: 'utf8', timeout: 20_000 });
    expect(runc.status, runc.stderr).toBe(0);
    expect({ CapPrm: statusField(runc.stdout, 'CapPrm'), CapInh: statusField(runc.stdout, 'CapInh'), CapAmb: statusField(runc.stdout, 'CapAmb') }).toEqual(ours);
  });

  it('raises the ambient capabilities that are permitted and inheritable', () => {
    const caps = ['CAP_KILL', 'CAP_NET_BIND_SERVICE'];
    const bundle = box.bundle(['cat', '/proc/self/status'], (s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = { bounding: caps, effective: caps, permitted: caps, inheritable: ['CAP_KILL'], ambient: caps };
    });
    const r = box.run(['run', '-b', bundle, 'amb']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain("can't raise ambient capability CAP_NET_BIND_SERVICE");
    // A non-root user keeps across execve(2) only its ambient capabilities (capabilities(7)).
    expect(statusField(r.stdout, 'CapAmb')).toBe('0000000000000020');
    expect(statusField(r.stdout, 'CapEff')).toBe('0000000000000020');
  });

  /**
   * An allow-list of every syscall this architecture has but close_range(2), as a profile
   * written for an older runtime reads; the default action is EPERM (Docker's) or death.
   */
  function allowAllButCloseRange(defaultAction: 'SCMP_ACT_ERRNO' | 'SCMP_ACT_KILL_PROCESS'): SpecSeccomp {
    const arm = process.arch === 'arm64';
    const names = Object.keys(arm ? AARCH64_SYSCALLS : X86_64_SYSCALLS).filter((n) => n !== 'close_range');
    return {
      defaultAction,
      ...(defaultAction === 'SCMP_ACT_ERRNO' ? { defaultErrnoRet: 1 } : {}),
      architectures: [arm ? 'SCMP_ARCH_AARCH64' : 'SCMP_ARCH_X86_64'],
      syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }],
    };
  }

  // issue 9 item 9: before the fix, start failed with "EPERM: close_range" (or the init was
  // killed by the filter) because the fds were marked after the filter was loaded.
  it('starts with a seccomp allow-list that lacks close_range, with and without no_new_privs', () => {
    let n = 0;
    for (const action of ['SCMP_ACT_ERRNO', 'SCMP_ACT_KILL_PROCESS'] as const) {
      for (const nnp of [true, false]) {
        const bundle = box.bundle(['sh', '-c', 'echo started; grep Seccomp: /proc/self/status'], (s) => {
          s.process!.noNewPrivileges = nnp;
          s.linux!.seccomp = allowAllButCloseRange(action);
        });
        const r = box.run(['run', '-b', bundle, `sc${n++}`]);
        expect(r.stderr, `${action}, noNewPrivileges ${nnp}`).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout).toMatch(/^started\nSeccomp:\s+2$/m);
      }
    }
    // and exec under the same filter
    const bundle = box.bundle(['sleep', '100'], (s) => { s.linux!.seccomp = allowAllButCloseRange('SCMP_ACT_ERRNO'); });
    expect(box.run(['run', '-d', '-b', bundle, 'scx']).status).toBe(0);
    const r = box.run(['exec', 'scx', 'echo', 'exec ok']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('exec ok\n');
  });

  /** A private copy of the fixture, for containers that write or are not mount-isolated. */
  function rootfsCopy(): string {
    const copy = join(box.dir, 'rootfs-copy');
    cpSync(realpathSync(FIXTURE_ROOTFS), copy, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(copy, 'etc/marker'), 'in the copy\n');
    return copy;
  }

  const withoutMounts = (s: Spec) => {
    s.mounts = [];
    delete s.linux!.maskedPaths;
    delete s.linux!.readonlyPaths;
  };

  // issue 9 item 10: before the fix, create refused it ("ts-runc needs a new mount namespace").
  it('runs a container in the caller\'s mount namespace: chrooted, nothing mounted on the host', () => {
    const rootfs = rootfsCopy();
    const before = hostMounts(box.dir);
    const bundle = box.bundle(['sleep', '100'], (s) => {
      s.root = { path: rootfs, readonly: false };
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'mount');
      withoutMounts(s);
    });
    let r = box.run(['run', '-d', '-b', bundle, 'nomnt']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const pid = JSON.parse(box.run(['state', 'nomnt']).stdout).pid as number;
    expect(readlinkSync(`/proc/${pid}/ns/mnt`)).toBe(readlinkSync('/proc/self/ns/mnt'));
    expect(readlinkSync(`/proc/${pid}/root`)).toBe(rootfs);
    r = box.run(['exec', 'nomnt', 'cat', '/etc/marker']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('in the copy\n');
    expect(hostMounts(box.dir)).toEqual(before);
    expect(box.run(['delete', '--force', 'nomnt']).status).toBe(0);
    expect(hostMounts(box.dir)).toEqual(before);

    // What would need a mount namespace is refused, naming the field (maskedPaths in runc's words).
    const masked = box.bundle(['true'], (s) => {
      s.root = { path: rootfs, readonly: false };
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'mount');
    });
    r = box.run(['run', '-b', masked, 'refused']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/linux\.(maskedPaths|readonlyPaths): unable to restrict sys entries without a private MNT namespace/);
    expect(hostMounts(box.dir)).toEqual(before);
  });

  // The root exec chroots into is decided at create and kept in the state: read again from
  // the bundle, a config.json edited after create (a mount namespace added) sent exec's
  // process to the host's root, in the host's mount namespace (it printed the host's /etc).
  it('exec into a container without a mount namespace stays in its rootfs when config.json changed after create', () => {
    const rootfs = rootfsCopy();
    const bundle = box.bundle(['sleep', '100'], (s) => {
      s.root = { path: rootfs, readonly: false };
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'mount');
      withoutMounts(s);
    });
    expect(box.run(['run', '-d', '-b', bundle, 'edited']).status).toBe(0);
    const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as Spec;
    spec.linux!.namespaces!.push({ type: 'mount' });
    writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
    const r = box.run(['exec', 'edited', 'cat', '/etc/marker']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('in the copy\n');
    expect(box.run(['delete', '--force', 'edited']).status).toBe(0);
  });

  it('joins the mount namespace of a running container by path, without changing its mounts', () => {
    const first = box.bundle(['sleep', '100'], (s) => { s.hostname = 'first'; });
    expect(box.run(['run', '-d', '-b', first, 'owner']).status).toBe(0);
    const pid = JSON.parse(box.run(['state', 'owner']).stdout).pid as number;
    const theirs = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    const before = hostMounts(box.dir);
    const joiner = box.bundle(['sleep', '100'], (s) => {
      // "/" in the joined namespace: the running container's root.
      s.root = { path: '/', readonly: false };
      s.linux!.namespaces = s.linux!.namespaces!.map((ns) => ns.type === 'mount' ? { type: 'mount', path: `/proc/${pid}/ns/mnt` } : ns);
      withoutMounts(s);
    });
    let r = box.run(['run', '-d', '-b', joiner, 'joiner']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const joined = JSON.parse(box.run(['state', 'joiner']).stdout).pid as number;
    expect(readlinkSync(`/proc/${joined}/ns/mnt`)).toBe(readlinkSync(`/proc/${pid}/ns/mnt`));
    // The fixture's /etc/hostname ("fixture"), read through the other container's root.
    r = box.run(['exec', 'joiner', 'cat', '/etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(readFileSync(join(FIXTURE_ROOTFS, 'etc/hostname'), 'utf8'));
    expect(box.run(['delete', '--force', 'joiner']).status).toBe(0);
    expect(readFileSync(`/proc/${pid}/mountinfo`, 'utf8')).toBe(theirs);
    expect(hostMounts(box.dir)).toEqual(before);
  });

  // issue 9 item 11: before the fix, the old root was made rslave and detached through a
  // cwd the code assumed pivot_root(2) had left on it (no fchdir between the two).
  (STRACE ? it : it.skip)('pivots as runc and crun do: fchdir to the old root fd, detach it, fchdir to the new root fd', () => {
    const trace = join(box.dir, 'trace');
    const bundle = box.bundle(['true']);
    const r = spawnSync(STRACE!, ['-f', '-qq', '-e', 'trace=pivot_root,fchdir,mount,umount2,chdir', '-o', trace,
      TS_RUNC, '--root', box.root, 'run', '-b', bundle, 'pivot'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const calls = readFileSync(trace, 'utf8').split('\n').map((l) => l.replace(/^\d+\s+/, '').replace(/\s+= 0$/, ''));
    const at = calls.indexOf('pivot_root(".", ".")');
    expect(at).toBeGreaterThan(0);
    const [oldRoot, slave, detach, newRoot, slash] = calls.slice(at + 1, at + 6);
    expect(oldRoot).toMatch(/^fchdir\(\d+\)$/);
    expect([slave, detach]).toEqual(['mount(NULL, ".", NULL, MS_REC|MS_SLAVE, NULL)', 'umount2(".", MNT_DETACH)']);
    expect(newRoot).toMatch(/^fchdir\(\d+\)$/);
    expect(newRoot).not.toBe(oldRoot);
    expect(slash).toBe('chdir("/")');
  });

  // issue 9 item 15: before the fix, a process without HOME in its environment had none.
  it('sets HOME from the container\'s /etc/passwd for create and exec, as runc does', () => {
    const passwd = join(box.dir, 'passwd');
    // Bind-mounted over the rootfs's own file, as podman does: only a lookup made inside
    // the container, after pivot_root, sees it.
    writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\napp:x:100:100::/home/app:/bin/sh\n');
    const run = (id: string, uid: number, env: string[], mount = false) => {
      const bundle = box.bundle(['sh', '-c', 'echo "HOME=$HOME"'], (s) => {
        s.process!.user = { uid, gid: uid };
        s.process!.env = ['PATH=/bin:/usr/bin', ...env];
        if (mount) s.mounts!.push({ destination: '/etc/passwd', type: 'bind', source: passwd, options: ['bind', 'ro'] });
      });
      const r = box.run(['run', '-b', bundle, id]);
      expect(r.stderr).toBe('');
      return r.stdout.trim();
    };
    expect(run('tester', 1000, [])).toBe('HOME=/home/tester');
    expect(run('empty', 1000, ['HOME='])).toBe('HOME=/home/tester');
    expect(run('nobody', 4242, [])).toBe('HOME=/');
    expect(run('given', 1000, ['HOME=/data'])).toBe('HOME=/data');
    expect(run('mounted', 100, [], true)).toBe('HOME=/home/app');

    const bundle = box.bundle(['sleep', '100']);
    expect(box.run(['run', '-d', '-b', bundle, 'execd']).status).toBe(0);
    expect(box.run(['exec', '--user', '1000:1000', 'execd', 'sh', '-c', 'echo "HOME=$HOME"']).stdout).toBe('HOME=/home/tester\n');
    expect(box.run(['exec', 'execd', 'sh', '-c', 'echo "HOME=$HOME"']).stdout).toBe('HOME=/root\n');
  });
});
