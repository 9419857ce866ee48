import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileExecPlan, compilePlan } from '../../src/plan/compile.js';
import { encodePlan } from '../../src/plan/encode.js';
import { BPF, BPF_MAXINSNS, compileSeccomp, programBytes, SECCOMP_RET, type BpfInsn } from '../../src/seccomp/compile.js';
import { AUDIT_ARCH_AARCH64, AUDIT_ARCH_ARM, AUDIT_ARCH_I386, AUDIT_ARCH_X86_64, runBpf, seccompData } from './bpf-run.js';
import { AARCH64_SYSCALLS, ARM_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from '../../src/seccomp/syscalls.js';
import { defaultSpec } from '../../src/spec/defaults.js';
import { SpecError } from '../../src/spec/errors.js';
import type { Spec, SpecSeccomp } from '../../src/spec/schema.js';

const EPERM = 1;
const ENOSYS = 38;
const run = runBpf;

const x86 = (profile: SpecSeccomp) => compileSeccomp(profile, 'x64').program;
const nr = (name: string) => X86_64_SYSCALLS[name]!;
const call = (program: BpfInsn[], name: string, args: (number | bigint)[] = [], arch = AUDIT_ARCH_X86_64) =>
  run(program, seccompData({ nr: nr(name), arch, args }));

describe('syscall tables (generated from the kernel UAPI headers)', () => {
  it('numbers x86_64 and aarch64 syscalls as the kernel does', () => {
    expect(X86_64_SYSCALLS.read).toBe(0);
    expect(X86_64_SYSCALLS.mkdir).toBe(83);
    expect(X86_64_SYSCALLS.mkdirat).toBe(258);
    expect(AARCH64_SYSCALLS.mkdirat).toBe(34);
    expect(AARCH64_SYSCALLS.mkdir).toBeUndefined();
    expect(AARCH64_SYSCALLS.fstat).toBe(80);
    expect(AARCH64_SYSCALLS.clone3).toBe(435);
  });
});

describe('compileSeccomp', () => {
  it('compiles one rule into arch check, nr compare, action, default', () => {
    const program = x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
    expect(program).toEqual([
      { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 4 }, // A = arch
      { code: BPF.JEQ_K, jt: 0, jf: 1, k: AUDIT_ARCH_X86_64 },
      { code: BPF.JA, jt: 0, jf: 0, k: 1 }, // to the x86_64 section
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.KILL_PROCESS }, // another ABI
      { code: BPF.LD_W_ABS, jt: 0, jf: 0, k: 0 }, // A = nr
      { code: BPF.JSET_K, jt: 0, jf: 1, k: 0x40000000 }, // an x32 call
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.KILL_PROCESS },
      { code: BPF.JEQ_K, jt: 0, jf: 1, k: 83 }, // mkdir?
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.ERRNO | EPERM },
      { code: BPF.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.ALLOW }, // defaultAction
    ]);
    expect(programBytes(program).subarray(56, 64).toString('hex')).toBe('1500000153000000');
  });

  it('allows listed syscalls and fails the rest with the default errno', () => {
    const program = x86({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: ENOSYS,
      syscalls: [
        { names: ['read', 'write', '_llseek', 'arm_fadvise64_64'], action: 'SCMP_ACT_ALLOW' },
        { names: ['chroot'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['kill'], action: 'SCMP_ACT_KILL_PROCESS' },
      ],
    });
    expect(call(program, 'read')).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'write')).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'chroot')).toBe(SECCOMP_RET.ERRNO | 13);
    expect(call(program, 'kill')).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(call(program, 'mount')).toBe(SECCOMP_RET.ERRNO | ENOSYS);
  });

  it('kills a call made with an ABI the profile does not list, and filters one it lists with that ABI\'s numbers', () => {
    const only = x86({ defaultAction: 'SCMP_ACT_ALLOW' });
    expect(call(only, 'read', [], AUDIT_ARCH_I386)).toBe(SECCOMP_RET.KILL_PROCESS);
    expect(run(only, seccompData({ nr: 0x40000000 | 83, arch: AUDIT_ARCH_X86_64 }))).toBe(SECCOMP_RET.KILL_PROCESS);
    const rules: SpecSeccomp['syscalls'] = [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO' },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', errnoRet: 13, args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
    ];
    const listed = x86({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'], syscalls: rules });
    const i386 = (name: string, args: number[] = []) => run(listed, seccompData({ nr: I386_SYSCALLS[name]!, arch: AUDIT_ARCH_I386, args }));
    const x32 = (name: string) => run(listed, seccompData({ nr: X32_SYSCALLS[name]!, arch: AUDIT_ARCH_X86_64 }));
    expect(I386_SYSCALLS.mkdir).toBe(39);
    expect(i386('mkdir')).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(i386('read')).toBe(SECCOMP_RET.ALLOW); // i386's read is 3, x86_64's close
    expect(i386('close')).toBe(SECCOMP_RET.ALLOW);
    expect(i386('personality', [0xffffffff])).toBe(SECCOMP_RET.ERRNO | 13); // the low word only
    expect(X32_SYSCALLS.mkdir).toBe(0x40000000 | 83);
    expect(x32('mkdir')).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(x32('read')).toBe(SECCOMP_RET.ALLOW);
    expect(call(listed, 'mkdir')).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(call(listed, 'read')).toBe(SECCOMP_RET.ALLOW);
    const arm = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'], syscalls: rules }, 'arm64').program;
    expect(run(arm, seccompData({ nr: 34, arch: AUDIT_ARCH_AARCH64 }))).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(run(arm, seccompData({ nr: ARM_SYSCALLS.mkdir!, arch: AUDIT_ARCH_ARM }))).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(run(arm, seccompData({ nr: ARM_SYSCALLS.read!, arch: AUDIT_ARCH_ARM }))).toBe(SECCOMP_RET.ALLOW);
    expect(run(arm, seccompData({ nr: 34, arch: AUDIT_ARCH_X86_64 }))).toBe(SECCOMP_RET.KILL_PROCESS);
    const armOnly = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }, 'arm64').program;
    expect(run(armOnly, seccompData({ nr: 3, arch: AUDIT_ARCH_ARM }))).toBe(SECCOMP_RET.KILL_PROCESS);
  });

  it('compares 64-bit arguments on both halves (EQ, NE, MASKED_EQ)', () => {
    const program = x86({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        // podman's clone rule: no namespace flags.
        { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0xffffffff, op: 'SCMP_CMP_EQ' }] },
        { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 16, op: 'SCMP_CMP_NE' }, { index: 2, value: 9n, op: 'SCMP_CMP_NE' }] },
      ],
    });
    expect(call(program, 'clone', [0x11])).toBe(SECCOMP_RET.ALLOW); // SIGCHLD|...
    expect(call(program, 'clone', [0x10000000])).toBe(SECCOMP_RET.ERRNO | EPERM); // CLONE_NEWUSER
    expect(call(program, 'clone', [0x100000000n])).toBe(SECCOMP_RET.ALLOW); // outside the mask
    expect(call(program, 'personality', [0xffffffff])).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'personality', [0x1ffffffffn])).toBe(SECCOMP_RET.ERRNO | EPERM); // high word differs
    expect(call(program, 'personality', [8])).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(call(program, 'socket', [2, 1, 0])).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'socket', [16, 3, 0])).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(call(program, 'socket', [2, 3, 9])).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(call(program, 'socket', [0x100000010n, 3, 0])).toBe(SECCOMP_RET.ALLOW);
  });

  it('orders 64-bit arguments (LT, LE, GT, GE)', () => {
    const big = 0x100000005n;
    const rule = (op: string) => x86({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: big, op: op as 'SCMP_CMP_LT' }] }],
    });
    const values = [0n, 5n, 0x100000004n, big, 0x100000006n, 0x200000000n, 0xffffffffffffffffn];
    const truth: Record<string, (v: bigint) => boolean> = {
      SCMP_CMP_LT: (v) => v < big, SCMP_CMP_LE: (v) => v <= big, SCMP_CMP_GT: (v) => v > big, SCMP_CMP_GE: (v) => v >= big,
    };
    for (const [op, holds] of Object.entries(truth)) {
      const program = rule(op);
      for (const v of values) {
        expect(call(program, 'read', [0, v]), `${op} ${v}`).toBe(holds(v) ? SECCOMP_RET.ALLOW : SECCOMP_RET.ERRNO | EPERM);
      }
    }
  });

  it('treats conditions on the same argument as alternatives, as runc does', () => {
    const program = x86({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }],
    });
    expect(call(program, 'personality', [0])).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'personality', [8])).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'personality', [1])).toBe(SECCOMP_RET.ERRNO | EPERM);
  });

  it('names the JSON path of an unsupported action or operator', () => {
    expect(() => x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }, { names: ['write'], action: 'SCMP_ACT_FOO' as 'SCMP_ACT_ALLOW' }] }))
      .toThrow(/linux\.seccomp\.syscalls\[1\]\.action: "SCMP_ACT_FOO" is not a seccomp action/);
    expect(() => x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' as 'SCMP_CMP_EQ' }] }] }))
      .toThrow(SpecError);
    expect(() => x86({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_FOO' as 'SCMP_CMP_EQ' }] }] }))
      .toThrow(/linux\.seccomp\.syscalls\[0\]\.args\[0\]\.op/);
  });

  // issue 10 item 1: runc's checks (libcontainer/seccomp/seccomp_linux.go InitSeccomp).
  it('compiles SCMP_ACT_NOTIFY to SECCOMP_RET_USER_NOTIF, and refuses it where the init would wait on itself', () => {
    const profile: SpecSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/a', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    const compiled = compileSeccomp(profile, 'x64');
    expect(call(compiled.program, 'mkdir')).toBe(0x7fc00000);
    expect(call(compiled.program, 'read')).toBe(SECCOMP_RET.ALLOW);
    expect(compiled.flags).toBe(8);
    expect(compileSeccomp({ ...profile, listenerPath: '/a', syscalls: [] }, 'x64').flags).toBe(0);
    expect(() => x86({ defaultAction: 'SCMP_ACT_NOTIFY', listenerPath: '/a' })).toThrow(/defaultAction: SCMP_ACT_NOTIFY cannot be used as default action/);
    expect(() => x86({ ...profile, syscalls: [{ names: ['mkdir', 'write'], action: 'SCMP_ACT_NOTIFY' }] }))
      .toThrow(/syscalls\[0\]\.names\[1\]: SCMP_ACT_NOTIFY cannot be used for the write syscall/);
    expect(() => x86({ ...profile, listenerPath: undefined })).toThrow(/linux\.seccomp\.listenerPath: listenerPath is not set/);
    // SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (32) goes with a listener only (seccomp(2)).
    expect(compileSeccomp({ ...profile, flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }, 'x64').flags).toBe(8 | 32);
    // TSYNC with NEW_LISTENER is EINVAL (seccomp(2)); the init is single-threaded, so it goes.
    expect(compileSeccomp({ ...profile, flags: ['SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG'] }, 'x64').flags).toBe(8 | 2);
    expect(() => x86({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }))
      .toThrow(/flags\[0\]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV needs a SCMP_ACT_NOTIFY rule/);
  });

  // issue 10 item 2: runc's -ENOSYS stub (libcontainer/seccomp/patchbpf/enosys_linux.go).
  it('returns ENOSYS for a syscall newer than every one the profile names, per ABI, unless the default allows', () => {
    const ENOSYS = (SECCOMP_RET.ERRNO | 38) >>> 0;
    const EPERM = (SECCOMP_RET.ERRNO | 1) >>> 0;
    // An allow-list naming syscalls up to mkdir (83) and, for i386, up to its mkdir (39).
    const profile: SpecSeccomp = {
      defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
      syscalls: [{ names: ['read', 'write', 'mkdir'], action: 'SCMP_ACT_ALLOW' }],
    };
    const program = x86(profile);
    expect(call(program, 'read')).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'open')).toBe(EPERM); // 2: older than mkdir, so the default
    expect(call(program, 'rmdir')).toBe(ENOSYS); // 84
    expect(call(program, 'clone3')).toBe(ENOSYS); // 435
    const i386 = (name: string) => run(program, seccompData({ nr: I386_SYSCALLS[name]!, arch: AUDIT_ARCH_I386 }));
    expect(i386('mkdir')).toBe(SECCOMP_RET.ALLOW);
    expect(i386('link')).toBe(EPERM); // 9
    expect(i386('rmdir')).toBe(ENOSYS); // 40
    // defaultErrnoRet is the default's errno; the stub still says ENOSYS.
    const withRet = x86({ ...profile, defaultErrnoRet: 18 });
    expect(call(withRet, 'open')).toBe((SECCOMP_RET.ERRNO | 18) >>> 0);
    expect(call(withRet, 'clone3')).toBe(ENOSYS);
    // The native ABI gets the stub even when `architectures` is empty (runc >= 1.1.6).
    expect(call(x86({ ...profile, architectures: [] }), 'clone3')).toBe(ENOSYS);
    // A deny-list (default allow, log or trace) lets newer syscalls through, as runc does.
    for (const defaultAction of ['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_TRACE'] as const) {
      const denyList = x86({ defaultAction, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
      expect(call(denyList, 'clone3')).toBe(compileSeccomp({ defaultAction }, 'x64').program.at(-1)!.k);
    }
    // x32 calls (bit 30 of nr) have a stub of their own, from x32's numbers.
    const x32 = x86({ ...profile, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] });
    expect(run(x32, seccompData({ nr: X32_SYSCALLS.mkdir!, arch: AUDIT_ARCH_X86_64 }))).toBe(SECCOMP_RET.ALLOW);
    expect(run(x32, seccompData({ nr: X32_SYSCALLS.clone3!, arch: AUDIT_ARCH_X86_64 }))).toBe(ENOSYS);
  });

  it('keeps long profiles within 8-bit jumps and BPF_MAXINSNS', () => {
    const names = Object.keys(X86_64_SYSCALLS);
    const program = x86({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] });
    expect(program.length).toBeLessThanOrEqual(BPF_MAXINSNS);
    expect(program.every((i) => i.jt <= 255 && i.jf <= 255)).toBe(true);
    expect(call(program, 'openat2')).toBe(SECCOMP_RET.ALLOW);
  });

  const PODMAN_PROFILE = '/usr/share/containers/seccomp.json';
  it.runIf(existsSync(PODMAN_PROFILE))("compiles podman's default profile (as podman converts it for root)", () => {
    const program = x86(podmanProfile(PODMAN_PROFILE));
    expect(program.length).toBeGreaterThan(700);
    expect(program.length).toBeLessThan(BPF_MAXINSNS); // x86_64, i386 and x32 sections
    expect(call(program, 'read')).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'clone', [0x11])).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'mount')).toBe(SECCOMP_RET.ALLOW);
    expect(call(program, 'personality', [1])).toBe(SECCOMP_RET.ERRNO | ENOSYS);
    expect(call(program, 'kexec_load')).toBe(SECCOMP_RET.ERRNO | EPERM);
    expect(call(program, 'personality', [0xffffffff])).toBe(SECCOMP_RET.ALLOW);
  });
});

/**
 * containers/common's seccomp.json is the source format (includes/excludes by arch and
 * capability). Convert it the way podman does for root with the default capabilities.
 */
function podmanProfile(file: string): SpecSeccomp {
  interface Rule { names: string[]; action: string; errnoRet?: number; args?: unknown[] | null;
    includes?: { arches?: string[]; caps?: string[]; minKernel?: string }; excludes?: { arches?: string[]; caps?: string[] } }
  const raw = JSON.parse(readFileSync(file, 'utf8')) as { defaultAction: string; defaultErrnoRet?: number; syscalls: Rule[];
    archMap: { architecture: string; subArchitectures: string[] }[] };
  const defaultCaps = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE',
    'CAP_SETFCAP', 'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT'];
  const amd64 = raw.archMap.find((a) => a.architecture === 'SCMP_ARCH_X86_64')!;
  const syscalls = raw.syscalls.filter((r) => {
    if (r.includes?.arches?.length && !r.includes.arches.includes('amd64')) return false;
    if (r.excludes?.arches?.includes('amd64')) return false;
    if (r.includes?.caps?.length && !r.includes.caps.every((c) => defaultCaps.includes(c))) return false;
    if (r.excludes?.caps?.some((c) => defaultCaps.includes(c))) return false;
    return true;
  }).map((r) => ({ names: r.names, action: r.action, ...(r.errnoRet !== undefined ? { errnoRet: r.errnoRet } : {}), args: (r.args ?? []) }));
  return {
    defaultAction: raw.defaultAction,
    defaultErrnoRet: raw.defaultErrnoRet,
    architectures: [amd64.architecture, ...amd64.subArchitectures],
    syscalls,
  } as SpecSeccomp;
}

describe('the seccomp step in the plan', () => {
  const OPTIONS = { rootfs: '/r', noPivot: false, noNewKeyring: false, containerId: 'c', hookState: '{}', hasConsoleSocket: true };
  const withProfile = (nnp: boolean): Spec => {
    const s = defaultSpec({ rootless: false });
    s.process!.noNewPrivileges = nnp;
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] };
    return s;
  };
  const ops = (steps: { op: string }[]) => steps.map((s) => s.op);

  it('loads the filter right before exec when no_new_privs is set', () => {
    const steps = compilePlan(withProfile(true), OPTIONS).steps;
    expect(ops(steps).slice(-5)).toEqual(['find-executable', 'wait-for-start', 'close-fds', 'seccomp', 'exec']);
  });

  // issue 10 item 2: runc loads it before it waits on exec.fifo, so the startContainer
  // hooks (and the barrier) run under the filter, and a notify fd reaches the agent at create.
  it('with startContainer hooks (or a notify listener), loads it before the start barrier and the hooks', () => {
    const spec = withProfile(true);
    spec.hooks = { startContainer: [{ path: '/bin/true' }] };
    const steps = compilePlan(spec, OPTIONS).steps;
    expect(ops(steps).slice(-6)).toEqual(['find-executable', 'close-fds', 'seccomp', 'wait-for-start', 'run-hook', 'exec']);
    const step = steps.at(-4)!;
    expect(step).toEqual({ op: 'seccomp', program: programBytes(x86(withProfile(true).linux!.seccomp!)).toString('hex'), flags: 0 });
    expect(encodePlan({ steps: [step] }).length).toBeGreaterThan(9 * 16);
  });

  it('loads it while still privileged (before dropping capabilities) without no_new_privs', () => {
    const o = ops(compilePlan(withProfile(false), OPTIONS).steps);
    expect(o.indexOf('seccomp')).toBe(o.indexOf('drop-bounding-caps') - 1);
  });

  // issue 9 item 9: a profile written for another runtime may not list close_range(2).
  it('marks inherited fds close-on-exec before the filter is loaded, with or without no_new_privs', () => {
    for (const nnp of [true, false]) {
      const o = ops(compilePlan(withProfile(nnp), OPTIONS).steps);
      expect(o.filter((op) => op === 'close-fds')).toHaveLength(1);
      expect(o.indexOf('close-fds')).toBe(o.indexOf('seccomp') - 1);
    }
    const s = withProfile(true);
    const exec = ops(compileExecPlan(s.process!, { hasConsoleSocket: true, seccomp: s.linux!.seccomp! }).steps);
    expect(exec.slice(-3)).toEqual(['close-fds', 'seccomp', 'exec']);
  });

  // issue 10 item 1
  it('asks for a notify fd (SECCOMP_FILTER_FLAG_NEW_LISTENER) when a rule is SCMP_ACT_NOTIFY', () => {
    const s = withProfile(true);
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] };
    const steps = compilePlan(s, OPTIONS).steps;
    expect(steps.find((x) => x.op === 'seccomp')).toMatchObject({ op: 'seccomp', flags: 8 });
    expect(ops(steps).slice(-5)).toEqual(['find-executable', 'close-fds', 'seccomp', 'wait-for-start', 'exec']);
    s.linux!.seccomp = { ...s.linux!.seccomp, listenerPath: '' };
    expect(() => compilePlan(s, OPTIONS)).toThrow(/linux\.seccomp\.listenerPath: listenerPath is not set/);
  });

  it('applies the container profile to exec too', () => {
    const s = withProfile(true);
    const o = ops(compileExecPlan(s.process!, { hasConsoleSocket: true, seccomp: s.linux!.seccomp! }).steps);
    expect(o.slice(-2)).toEqual(['seccomp', 'exec']);
    expect(o.indexOf('close-fds')).toBeLessThan(o.indexOf('seccomp'));
  });

  it('maps filter flags', () => {
    const s = withProfile(true);
    s.linux!.seccomp!.flags = ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'];
    expect(compilePlan(s, OPTIONS).steps.find((x) => x.op === 'seccomp')).toMatchObject({ flags: 6 });
  });
});
