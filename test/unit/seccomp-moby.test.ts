/**
 * Docker's default seccomp profile (src/seccomp/default-profile.json, moby's format) resolved
 * for a container as moby's setupSeccomp does: the host's archMap entry, the rules whose
 * capability / arch / kernel conditions hold. Then compiled, and run through a BPF
 * interpreter to check what a container can and cannot call.
 */
import { describe, expect, it } from 'vitest';
import { imageSpec } from '../../src/image/image-spec.js';
import { securityOptions } from '../../src/cli/image-flags.js';
import { compileSeccomp, BPF_MAXINSNS, SECCOMP_RET, type BpfInsn } from '../../src/seccomp/compile.js';
import { DEFAULT_PROFILE } from '../../src/seccomp/default-profile.js';
import { resolveMobyProfile, type MobyProfile } from '../../src/seccomp/moby-profile.js';
import { AARCH64_SYSCALLS, ARM_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from '../../src/seccomp/syscalls.js';
import { parseSpec } from '../../src/spec/validate.js';
import type { SpecSeccomp } from '../../src/spec/schema.js';
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runBpf, seccompData } from './bpf-run.js';

/** Docker's default capabilities (what image containers get). */
const DOCKER_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];
const EPERM = 1;
const ENOSYS = 38;
const ALLOW = SECCOMP_RET.ALLOW;
const DENY = (SECCOMP_RET.ERRNO | EPERM) >>> 0;

// <linux/sched.h>, <linux/socket.h>, <linux/personality.h>
const CLONE_NEWNS = 0x00020000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_THREAD_FLAGS = 0x003d0f00; // what glibc's pthread_create passes
const SIGCHLD = 17;
const AF_INET = 2;
const AF_VSOCK = 40;
const PER_LINUX = 0;
const PER_LINUX32 = 0x0008;
const UNAME26 = 0x0020000;

const resolve = (bounding: string[], arch = 'amd64', kernel = '6.1.0-18-amd64', profile: MobyProfile = DEFAULT_PROFILE) =>
  resolveMobyProfile(profile, { arch, bounding, kernel }, 'test profile')!;

/** The rules naming `name` after resolution. */
const rulesFor = (profile: SpecSeccomp, name: string) => (profile.syscalls ?? []).filter((r) => r.names.includes(name));

describe('resolving moby\'s default profile (setupSeccomp)', () => {
  it('keeps the defaults and lists the host arch with its compat ABIs, as archMap says', () => {
    const amd64 = resolve(DOCKER_CAPS);
    expect(amd64.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(amd64.defaultErrnoRet).toBe(EPERM);
    expect(amd64.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    expect(resolve(DOCKER_CAPS, 'arm64').architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(amd64).not.toHaveProperty('archMap');
    for (const rule of amd64.syscalls ?? []) expect(Object.keys(rule).sort()).toEqual(expect.arrayContaining(['action', 'names']));
    expect(JSON.stringify(amd64)).not.toMatch(/includes|excludes|comment/);
  });

  it('capability conditions: CAP_SYS_ADMIN adds mount, unshare, setns, clone with any flags', () => {
    const plain = resolve(DOCKER_CAPS);
    expect(rulesFor(plain, 'unshare')).toEqual([]);
    expect(rulesFor(plain, 'mount')).toEqual([]);
    expect(rulesFor(plain, 'clone')).toEqual([{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }] }]);
    expect(rulesFor(plain, 'clone3')).toEqual([{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS }]);
    expect(rulesFor(plain, 'chroot')).toHaveLength(1); // CAP_SYS_CHROOT is a Docker default
    expect(rulesFor(plain, 'reboot')).toEqual([]);

    const admin = resolve([...DOCKER_CAPS, 'CAP_SYS_ADMIN']);
    expect(rulesFor(admin, 'unshare')).toHaveLength(1);
    expect(rulesFor(admin, 'clone').every((r) => r.args === undefined)).toBe(true);
    expect(rulesFor(admin, 'clone3').map((r) => r.action)).toEqual(['SCMP_ACT_ALLOW']);
    expect(rulesFor(resolve([...DOCKER_CAPS, 'CAP_SYS_BOOT']), 'reboot')).toHaveLength(1);
  });

  it('arch conditions: arch_prctl on amd64 only, the arm calls on arm64 only', () => {
    expect(rulesFor(resolve(DOCKER_CAPS), 'arch_prctl')).toHaveLength(1);
    expect(rulesFor(resolve(DOCKER_CAPS, 'arm64'), 'arch_prctl')).toEqual([]);
    expect(rulesFor(resolve(DOCKER_CAPS, 'arm64'), 'arm_fadvise64_64')).toHaveLength(1);
    expect(rulesFor(resolve(DOCKER_CAPS), 'arm_fadvise64_64')).toEqual([]);
  });

  it('kernel conditions: ptrace from 4.8 on (minKernel, "<kernel>.<major>" only)', () => {
    expect(rulesFor(resolve(DOCKER_CAPS, 'amd64', '4.8.0-rc1'), 'ptrace')).toHaveLength(1);
    expect(rulesFor(resolve(DOCKER_CAPS, 'amd64', '4.7.10'), 'ptrace')).toEqual([]);
  });

  it('an OCI profile passes through; both archMap and architectures, or name and names, are errors', () => {
    const oci: MobyProfile = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    expect(resolve([], 'amd64', '6.1', oci)).toEqual(oci);
    expect(resolve([], 'amd64', '6.1', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'mkdir', action: 'SCMP_ACT_ERRNO' }] }).syscalls)
      .toEqual([{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }]);
    expect(resolveMobyProfile({}, { arch: 'amd64', bounding: [], kernel: '6.1' }, 'x')).toBeUndefined(); // moby: seccomp off
    expect(() => resolve([], 'amd64', '6.1', { ...oci, archMap: [{ architecture: 'SCMP_ARCH_X86_64' }] })).toThrow("test profile: both 'architectures' and 'archMap'");
    expect(() => resolve([], 'amd64', '6.1', { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ERRNO' }] }))
      .toThrow("test profile: syscalls[0]: both 'name' and 'names'");
  });
});

describe('the compiled default profile, call by call (BPF interpreter)', () => {
  const x64 = (bounding: string[]) => compileSeccomp(resolve(bounding), 'x64').program;
  const call = (program: BpfInsn[], name: string, args: (number | bigint)[] = []) =>
    runBpf(program, seccompData({ nr: X86_64_SYSCALLS[name]!, arch: AUDIT_ARCH_X86_64, args }));
  const program = x64(DOCKER_CAPS);

  it('fits the kernel\'s limit', () => {
    expect(program.length).toBeLessThan(BPF_MAXINSNS);
  });

  it('allows what programs use, and denies with EPERM what reaches the host', () => {
    for (const name of ['read', 'write', 'openat', 'execve', 'mmap', 'close_range', 'capset', 'setresuid', 'chroot']) expect(call(program, name), name).toBe(ALLOW);
    for (const name of ['unshare', 'mount', 'umount2', 'setns', 'reboot', 'kexec_load', 'init_module', 'keyctl', 'add_key', 'bpf', 'open_by_handle_at', 'settimeofday']) {
      expect(call(program, name), name).toBe(DENY);
    }
  });

  it('clone without namespace flags only; clone3 says ENOSYS so libc falls back to clone', () => {
    expect(call(program, 'clone', [SIGCHLD])).toBe(ALLOW);
    expect(call(program, 'clone', [CLONE_THREAD_FLAGS])).toBe(ALLOW);
    expect(call(program, 'clone', [SIGCHLD | CLONE_NEWNS])).toBe(DENY);
    expect(call(program, 'clone', [SIGCHLD | CLONE_NEWUSER])).toBe(DENY);
    expect(call(program, 'clone3')).toBe((SECCOMP_RET.ERRNO | ENOSYS) >>> 0);
    const admin = x64([...DOCKER_CAPS, 'CAP_SYS_ADMIN']);
    expect(call(admin, 'clone', [SIGCHLD | CLONE_NEWNS])).toBe(ALLOW);
    expect(call(admin, 'unshare')).toBe(ALLOW);
    expect(call(admin, 'clone3')).toBe(ALLOW);
  });

  it('socket: every family but AF_VSOCK; personality: the harmless personas only', () => {
    expect(call(program, 'socket', [AF_INET])).toBe(ALLOW);
    expect(call(program, 'socket', [AF_VSOCK - 1])).toBe(ALLOW);
    expect(call(program, 'socket', [AF_VSOCK])).toBe(DENY);
    expect(call(program, 'socket', [AF_VSOCK + 1])).toBe(ALLOW);
    for (const persona of [PER_LINUX, PER_LINUX32, UNAME26, UNAME26 | PER_LINUX32, 0xffffffff]) expect(call(program, 'personality', [persona])).toBe(ALLOW);
    expect(call(program, 'personality', [0x0400000])).toBe(DENY); // READ_IMPLIES_EXEC
  });

  it('filters 32-bit x86 and x32 calls with their own numbers (the compat ABIs archMap lists)', () => {
    const i386 = (name: string, args: (number | bigint)[] = []) => runBpf(program, seccompData({ nr: I386_SYSCALLS[name]!, arch: AUDIT_ARCH_I386, args }));
    for (const name of ['read', 'write', 'exit_group', 'socketcall', '_llseek', 'mmap2', 'set_thread_area']) expect(i386(name), name).toBe(ALLOW);
    for (const name of ['unshare', 'mount', 'reboot', 'kexec_load']) expect(i386(name), name).toBe(DENY);
    expect(i386('clone', [SIGCHLD | CLONE_NEWNS])).toBe(DENY);
    expect(i386('clone', [SIGCHLD])).toBe(ALLOW);
    expect(i386('socket', [AF_VSOCK])).toBe(DENY);
    expect(i386('personality', [0xffffffff])).toBe(ALLOW);
    const x32 = (name: string) => runBpf(program, seccompData({ nr: X32_SYSCALLS[name]!, arch: AUDIT_ARCH_X86_64 }));
    expect(x32('read')).toBe(ALLOW);
    expect(x32('unshare')).toBe(DENY);
  });

  it('compiles for aarch64 too, with 32-bit arm', () => {
    const arm = compileSeccomp(resolve(DOCKER_CAPS, 'arm64'), 'arm64').program;
    const armCall = (name: string) => runBpf(arm, seccompData({ nr: AARCH64_SYSCALLS[name]!, arch: AUDIT_ARCH_AARCH64 }));
    expect(armCall('openat')).toBe(ALLOW);
    expect(armCall('unshare')).toBe(DENY);
    const arm32 = (name: string) => runBpf(arm, seccompData({ nr: ARM_SYSCALLS[name]!, arch: AUDIT_ARCH_ARM }));
    for (const name of ['read', 'cacheflush', 'set_tls', 'arm_fadvise64_64', '_llseek']) expect(arm32(name), name).toBe(ALLOW);
    expect(arm32('unshare')).toBe(DENY);
    expect(arm.length).toBeLessThan(BPF_MAXINSNS);
  });
});

describe('image containers get it', () => {
  const image = { id: 'sha256:abc', name: 'test:1', config: { architecture: 'amd64', os: 'linux', config: { Cmd: ['sh'] }, rootfs: { type: 'layers', diff_ids: [] } } };
  const etc = { passwd: 'root:x:0:0:root:/root:/bin/sh\n', group: 'root:x:0:\n' };
  const host = { arch: 'amd64', kernel: '6.1.0' };
  const spec = (edit: object = {}) => imageSpec(image, { id: 'c1', command: [], env: [], terminal: false, mounts: [], ...edit }, etc, {}, host);

  it('by default, resolved for Docker\'s capabilities; a valid config.json', () => {
    const s = spec();
    expect(s.linux?.seccomp).toEqual(resolve(DOCKER_CAPS));
    expect(() => parseSpec(JSON.parse(JSON.stringify(s)))).not.toThrow();
    expect(s.process?.noNewPrivileges).toBe(true); // runc spec's default, stricter than Docker's
  });

  it('--security-opt: seccomp=unconfined drops it, seccomp=builtin keeps it, no-new-privileges[=false] sets the bit', () => {
    expect(spec(securityOptions(['seccomp=unconfined'])).linux?.seccomp).toBeUndefined();
    expect(spec(securityOptions(['seccomp=unconfined', 'seccomp=builtin'])).linux?.seccomp).toEqual(resolve(DOCKER_CAPS));
    expect(spec(securityOptions(['no-new-privileges'])).process?.noNewPrivileges).toBe(true);
    expect(spec(securityOptions(['no-new-privileges:true'])).process?.noNewPrivileges).toBe(true);
    expect(spec(securityOptions(['no-new-privileges=false'])).process?.noNewPrivileges).toBe(false);
  });

  it('--security-opt refuses what it would not apply, and names a profile it cannot read', () => {
    expect(() => securityOptions(['apparmor=unconfined'])).toThrow('--security-opt apparmor=unconfined: not supported');
    expect(() => securityOptions(['seccomp='])).toThrow('expected seccomp=unconfined or seccomp=FILE');
    expect(() => securityOptions(['seccomp=/nonexistent/profile.json'])).toThrow('--security-opt seccomp=/nonexistent/profile.json: cannot read the profile');
  });
});
