/**
 * OCI seccomp profile (config-linux.md#seccomp) → a classic BPF program for
 * seccomp(SECCOMP_SET_MODE_FILTER) (seccomp(2)), without libseccomp.
 *
 * The kernel runs the program on every system call with this input (struct seccomp_data,
 * <linux/seccomp.h>), little-endian on both architectures we support:
 *
 *   offset 0   nr                    the syscall number (u32)
 *   offset 4   arch                  AUDIT_ARCH_* of the calling convention (u32)
 *   offset 8   instruction_pointer   (u64)
 *   offset 16  args[6]               (u64 each: args[i] at 16 + 8*i, low word first)
 *
 * and the value the program returns is the verdict (SECCOMP_RET_*). The program is:
 *
 *   1. arch dispatch: the native ABI, and each compat ABI the profile lists in
 *      `architectures` (i386 on x86_64, 32-bit arm on aarch64: their own AUDIT_ARCH_*, and
 *      their own syscall numbers), jumps to a section of its own (BPF_JA, whose 32-bit
 *      offset reaches any section). A call with an ABI the profile does not list is killed
 *      (SECCOMP_RET_KILL_PROCESS, as libseccomp's default "bad arch" action does).
 *      x32 calls arrive as AUDIT_ARCH_X86_64 with bit 30 of nr set: the native section
 *      sends them to the x32 section, or kills them if the profile does not list x32.
 *   2. in each section, one small block per (rule, syscall name): "if nr == N [and the arg
 *      conditions hold] return ACTION", whose failing jumps only skip to the end of that
 *      block. Conditional jumps are 8-bit offsets, so a single jump over podman's ~400
 *      names is impossible; short blocks keep every offset tiny. Rules with argument
 *      conditions come before rules without (for the same syscall, the more specific one is
 *      tried first, as in libseccomp); otherwise blocks keep the profile's order and the
 *      first match wins. On the 32-bit ABIs (i386, x32, arm) only an argument's low word is
 *      compared, as libseccomp does for them.
 *   3. each section ends in `return defaultAction`.
 *
 * Right after its `ld nr`, each section first returns ENOSYS for a number above every
 * syscall the profile names for that ABI (runc's "-ENOSYS stub",
 * libcontainer/seccomp/patchbpf/enosys_linux.go): a syscall newer than the profile is one
 * the profile's author could not have meant to deny, and ENOSYS is what a libc expects from
 * an older kernel, so it falls back (glibc's clone3 → clone, statx → fstatat) instead of
 * failing with EPERM. Only when the default action denies (not ALLOW, LOG or TRACE, as in
 * runc), and always for the native ABI, listed or not (as runc does since 1.1.6).
 *
 * Names an ABI does not have (profiles list syscalls of every arch: "_llseek" is i386's and
 * arm's, "arm_fadvise64_64" arm's) are skipped in that ABI's section, as runc does.
 */
import { SpecError } from '../spec/errors.js';
import type { SpecSeccomp } from '../spec/schema.js';
import { AARCH64_SYSCALLS, ARM_SYSCALLS, I386_SYSCALLS, X32_SYSCALLS, X86_64_SYSCALLS } from './syscalls.js';

/** struct sock_filter (<linux/filter.h>). */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The BPF opcodes this compiler emits (<linux/bpf_common.h>). */
export const BPF = {
  LD_W_ABS: 0x20, // A = *(u32 *)(data + k)
  ALU_AND_K: 0x54, // A &= k
  JEQ_K: 0x15, // pc += (A == k) ? jt : jf
  JGT_K: 0x25, // pc += (A > k) ? jt : jf      (unsigned)
  JGE_K: 0x35, // pc += (A >= k) ? jt : jf     (unsigned)
  JSET_K: 0x45, // pc += (A & k) ? jt : jf
  JA: 0x05, // pc += k                        (unconditional, 32-bit offset)
  RET_K: 0x06, // return k
} as const;

/** <linux/seccomp.h> return values. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  TRACE: 0x7ff00000,
  USER_NOTIF: 0x7fc00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** BPF_MAXINSNS (<linux/bpf_common.h>): the kernel refuses longer classic programs. */
export const BPF_MAXINSNS = 4096;

const EPERM = 1;
const ENOSYS = 38;

/** seccomp_data offsets. */
const OFFSET_NR = 0;
const OFFSET_ARCH = 4;
const argLow = (index: number): number => 16 + 8 * index;
const argHigh = (index: number): number => 16 + 8 * index + 4;

/** The architectures we have syscall tables for, by Node's process.arch. */
export type SeccompArch = 'x64' | 'arm64';

/** One calling convention (ABI) the kernel tells apart in seccomp_data. */
interface Abi {
  /** The libseccomp name a profile uses for it. */
  name: string;
  /** AUDIT_ARCH_* (<linux/audit.h>). */
  audit: number;
  syscalls: Readonly<Record<string, number>>;
  /** 32-bit ABIs: only the low word of an argument is compared */
  bits: 32 | 64;
}

interface ArchInfo {
  native: Abi;
  /** compat ABIs with their own AUDIT_ARCH_* value */
  compat: Abi[];
  /** x32: calls with AUDIT_ARCH_X86_64 and this bit set in nr */
  x32?: Abi & { bit: number };
}

const AUDIT_ARCH_X86_64 = 0xc000003e;
const ARCHES: Record<SeccompArch, ArchInfo> = {
  x64: {
    native: { name: 'SCMP_ARCH_X86_64', audit: AUDIT_ARCH_X86_64, syscalls: X86_64_SYSCALLS, bits: 64 },
    compat: [{ name: 'SCMP_ARCH_X86', audit: 0x40000003, syscalls: I386_SYSCALLS, bits: 32 }],
    x32: { name: 'SCMP_ARCH_X32', audit: AUDIT_ARCH_X86_64, syscalls: X32_SYSCALLS, bits: 32, bit: 0x40000000 },
  },
  arm64: {
    native: { name: 'SCMP_ARCH_AARCH64', audit: 0xc00000b7, syscalls: AARCH64_SYSCALLS, bits: 64 },
    compat: [{ name: 'SCMP_ARCH_ARM', audit: 0x40000028, syscalls: ARM_SYSCALLS, bits: 32 }],
  },
};

/** For `ts-runc features` (features-linux.md#seccomp), in runc's spelling. */
export const SUPPORTED_ACTIONS = [
  'SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_TRAP',
];
export const SUPPORTED_OPERATORS = [
  'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_LE', 'SCMP_CMP_LT', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_NE',
];
export const SUPPORTED_ARCHES = ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'];
export const SUPPORTED_FLAGS = [
  'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW', 'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
];

/** seccomp(2) SECCOMP_FILTER_FLAG_* bits. */
const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  // Linux 5.19: a notified call waits for the agent's answer killable, not interruptible.
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};
/** seccomp(2): return a notification fd (seccomp_unotify(2)); set when a rule is SCMP_ACT_NOTIFY. */
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = 8;

/**
 * Syscalls that may not be SCMP_ACT_NOTIFY: after loading the filter, the init tells ts-runc
 * (Node) the notify fd with send(2) (sendto) on its socket, and only then can the agent
 * get the fd; a notified send would wait for an agent that never comes. runc refuses
 * `write`, which its init uses for the same message; we refuse both.
 */
const NOT_NOTIFIABLE = ['write', 'sendto'];

export interface CompiledSeccomp {
  program: BpfInsn[];
  /** SECCOMP_FILTER_FLAG_* bits for seccomp(2). */
  flags: number;
}

/** The arch ts-runc runs on, or undefined if we have no syscall table for it. */
export function hostArch(): SeccompArch | undefined {
  return process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
}

/**
 * @param file  "config.json" or "process.json", for error messages
 * @param at    JSON path of the profile ("linux.seccomp")
 */
export function compileSeccomp(
  profile: SpecSeccomp,
  arch: SeccompArch | undefined = hostArch(),
  file = 'config.json',
  at = 'linux.seccomp',
): CompiledSeccomp {
  if (arch === undefined) throw new SpecError(file, at, `seccomp is not supported on ${process.arch} (no syscall table)`);
  const info = ARCHES[arch];
  const listed = profile.architectures ?? [];
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet, file, `${at}.defaultAction`);
  if (defaultRet === SECCOMP_RET.USER_NOTIF) {
    // runc: "SCMP_ACT_NOTIFY cannot be used as default action" (it would notify the init's own send).
    throw new SpecError(file, `${at}.defaultAction`, 'SCMP_ACT_NOTIFY cannot be used as default action');
  }
  const rules = (profile.syscalls ?? []).map((rule, i) => {
    const path = `${at}.syscalls[${i}]`;
    const args = rule.args ?? [];
    args.forEach((arg, j) => {
      if (arg.index > 5) throw new SpecError(file, `${path}.args[${j}].index`, `${arg.index} is not an argument index (0-5)`);
    });
    const ret = actionValue(rule.action, rule.errnoRet, file, `${path}.action`);
    if (ret === SECCOMP_RET.USER_NOTIF) {
      const name = rule.names.find((n) => NOT_NOTIFIABLE.includes(n));
      if (name !== undefined) throw new SpecError(file, `${path}.names[${rule.names.indexOf(name)}]`, `SCMP_ACT_NOTIFY cannot be used for the ${name} syscall`);
    }
    return { rule, path, ret };
  });
  const notifies = rules.some((r) => r.ret === SECCOMP_RET.USER_NOTIF);
  // runc's isAllowAction: a tracer or a log-only profile lets unknown syscalls through itself.
  const permissive = ([SECCOMP_RET.ALLOW, SECCOMP_RET.LOG] as number[]).includes(defaultRet) || (defaultRet & 0xffff0000) === SECCOMP_RET.TRACE;
  const section = (abi: Abi, into: BpfInsn[]): BpfInsn[] => {
    if (!permissive) into.push(...enosysStub(abi, rules));
    ruleBlocks(abi, rules, defaultRet, file, into);
    into.push(insn(BPF.RET_K, defaultRet));
    return into;
  };

  // 2. and 3.: the sections, native first; the x32 one right after it.
  const x32 = info.x32 && listed.includes(info.x32.name) ? info.x32 : undefined;
  const native: BpfInsn[] = [insn(BPF.LD_W_ABS, OFFSET_NR)];
  if (info.x32) {
    // jset: an x32 call; the next instruction sends it on (patched below) or kills it.
    native.push(insn(BPF.JSET_K, info.x32.bit, 0, 1), insn(BPF.RET_K, SECCOMP_RET.KILL_PROCESS));
  }
  section(info.native, native);
  const sections: { abi: Abi; program: BpfInsn[] }[] = [{ abi: info.native, program: native }];
  if (x32) sections.push({ abi: x32, program: section(x32, []) }); // A still holds nr
  for (const abi of info.compat) {
    if (listed.includes(abi.name)) sections.push({ abi, program: section(abi, [insn(BPF.LD_W_ABS, OFFSET_NR)]) });
  }

  // 1. the dispatch: ld arch; per ABI with its own AUDIT_ARCH_*: jeq, ja; else kill.
  const dispatched = sections.filter((s) => s.abi !== x32); // x32 shares AUDIT_ARCH_X86_64
  const dispatchLength = 1 + 2 * dispatched.length + 1;
  const starts: number[] = [];
  let next = dispatchLength;
  for (const s of sections) {
    starts.push(next);
    next += s.program.length;
  }
  const program: BpfInsn[] = [insn(BPF.LD_W_ABS, OFFSET_ARCH)];
  dispatched.forEach((s) => {
    const ja = program.length + 1;
    program.push(insn(BPF.JEQ_K, s.abi.audit, 0, 1), insn(BPF.JA, starts[sections.indexOf(s)]! - (ja + 1)));
  });
  program.push(insn(BPF.RET_K, SECCOMP_RET.KILL_PROCESS));
  if (x32) native[2] = insn(BPF.JA, starts[1]! - (starts[0]! + 2 + 1));
  for (const s of sections) for (const ins of s.program) program.push(ins);

  if (program.length > BPF_MAXINSNS) {
    throw new SpecError(file, at, `compiles to ${program.length} BPF instructions, more than the kernel's limit of ${BPF_MAXINSNS}`);
  }

  let flags = notifies ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  (profile.flags ?? []).forEach((flag, i) => {
    const bit = FILTER_FLAGS[flag];
    if (bit === undefined) throw new SpecError(file, `${at}.flags[${i}]`, `${flag} is not supported`);
    flags |= bit;
    // seccomp(2): EINVAL without SECCOMP_FILTER_FLAG_NEW_LISTENER; say so before anything runs.
    if (flag === 'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV' && !notifies) {
      throw new SpecError(file, `${at}.flags[${i}]`, `${flag} needs a SCMP_ACT_NOTIFY rule (it is about waiting for the agent)`);
    }
  });
  // The init is single-threaded, so TSYNC changes nothing (runc ignores it too); and
  // seccomp(2) refuses it with NEW_LISTENER (EINVAL, unless TSYNC_ESRCH).
  if (notifies) flags &= ~FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC!;
  // runc finds an empty listenerPath only once the filter is loaded ("listenerPath is not
  // set"); nothing has touched the kernel yet here, so say it now.
  if (notifies && !profile.listenerPath) {
    throw new SpecError(file, `${at}.listenerPath`, 'listenerPath is not set (SCMP_ACT_NOTIFY needs a seccomp agent\'s unix socket)');
  }
  return { program, flags };
}

/**
 * runc's -ENOSYS stub for one ABI section (A holds nr): "if nr > the largest number the
 * profile names for this ABI, return ENOSYS". Every rule counts, whatever its action (as in
 * runc's findLastSyscalls). Nothing when the profile names no syscall of this ABI.
 */
function enosysStub(abi: Abi, rules: { rule: SpecSyscallRule }[]): BpfInsn[] {
  let largest = -1;
  for (const { rule } of rules) {
    for (const name of rule.names) {
      if (Object.hasOwn(abi.syscalls, name)) largest = Math.max(largest, abi.syscalls[name]!);
    }
  }
  if (largest < 0) return [];
  return [insn(BPF.JGT_K, largest, 0, 1), insn(BPF.RET_K, SECCOMP_RET.ERRNO | ENOSYS)];
}

/** Appends the blocks of every rule for one ABI to `out`: conditional ones first. Each starts and ends with A = nr. */
function ruleBlocks(abi: Abi, rules: { rule: SpecSyscallRule; path: string; ret: number }[], defaultRet: number, file: string, out: BpfInsn[]): void {
  const conditional: BpfInsn[] = [];
  const plain: BpfInsn[] = [];
  for (const { rule, path, ret } of rules) {
    // libseccomp refuses a rule whose action is the default one; runc skips it. So do we.
    if (ret === defaultRet) continue;
    const args = rule.args ?? [];
    // runc: conditions that all name the same argument are alternatives (OR), so each
    // becomes its own rule; conditions on different arguments must all hold (AND).
    const sameIndex = args.length > 1 && args.every((a) => a.index === args[0]!.index);
    const alternatives = sameIndex ? args.map((a) => [a]) : [args];
    for (const name of rule.names) {
      if (!Object.hasOwn(abi.syscalls, name)) continue;
      const nr = abi.syscalls[name]!;
      for (const conds of alternatives) {
        if (conds.length === 0) {
          plain.push(insn(BPF.JEQ_K, nr, 0, 1), insn(BPF.RET_K, ret));
        } else {
          for (const ins of conditionalBlock(nr, conds.map((c) => ({ ...c, path: `${path}.args[${args.indexOf(c)}]` })), ret, abi.bits, file)) conditional.push(ins);
        }
      }
    }
  }
  for (const ins of conditional) out.push(ins);
  for (const ins of plain) out.push(ins);
}

type SpecSyscallRule = NonNullable<SpecSeccomp['syscalls']>[number];

/** The program as the kernel's struct sock_filter array: 8 bytes per instruction, LE. */
export function programBytes(program: readonly BpfInsn[]): Buffer {
  // Plain byte stores: Buffer's write*LE methods cost milliseconds on a cold start for
  // Docker's ~2,000 instructions, and this runs on every create.
  const out = Buffer.alloc(program.length * 8);
  for (let i = 0, o = 0; i < program.length; i++, o += 8) {
    const { code, jt, jf } = program[i]!;
    const k = program[i]!.k >>> 0;
    out[o] = code & 0xff;
    out[o + 1] = code >>> 8;
    out[o + 2] = jt;
    out[o + 3] = jf;
    out[o + 4] = k & 0xff;
    out[o + 5] = (k >>> 8) & 0xff;
    out[o + 6] = (k >>> 16) & 0xff;
    out[o + 7] = k >>> 24;
  }
  return out;
}

function insn(code: number, k: number, jt = 0, jf = 0): BpfInsn {
  return { code, jt, jf, k: k >>> 0 };
}

/** The SECCOMP_RET_* value of an OCI action. */
function actionValue(action: string, errnoRet: number | undefined, file: string, path: string): number {
  // config-linux.md#seccomp: errnoRet "... If not specified, its default value is EPERM".
  const errno = (errnoRet ?? EPERM) & 0xffff;
  switch (action) {
    case 'SCMP_ACT_ALLOW': return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO': return (SECCOMP_RET.ERRNO | errno) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD': return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS': return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP': return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_TRACE': return (SECCOMP_RET.TRACE | errno) >>> 0;
    case 'SCMP_ACT_LOG': return SECCOMP_RET.LOG;
    case 'SCMP_ACT_NOTIFY': return SECCOMP_RET.USER_NOTIF;
    default:
      throw new SpecError(file, path, `"${action}" is not a seccomp action (${SUPPORTED_ACTIONS.join(', ')})`);
  }
}

interface Condition {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint | undefined;
  op: string;
  path: string;
}

/** A jump target inside a block: an instruction count, or the block's two exits. */
type Target = number | 'pass' | 'fail';
interface Pending {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
}

/**
 * "if nr == N and every condition holds, return `ret`": compare nr (A holds it), then each
 * condition on the two 32-bit halves of its 64-bit argument, then RET. Any failed
 * condition jumps to a final `ld nr` so the next block again starts with A = nr.
 */
function conditionalBlock(nr: number, conds: Condition[], ret: number, bits: 32 | 64, file: string): BpfInsn[] {
  // Each condition's instructions, with 'pass' = the next condition, 'fail' = the reload.
  const parts = conds.map((c) => (bits === 64 ? condition(c, file) : condition32(c, file)));
  const body = parts.flat().length;
  // Layout: [jeq nr] [cond...] [ret] [ld nr]; a wrong nr skips all of it but the reload
  // would be wasted, so it skips the reload too.
  const out: BpfInsn[] = [insn(BPF.JEQ_K, nr, 0, body + 2)];
  const failAt = 1 + body + 1; // index of the reload
  let at = 1;
  for (const part of parts) {
    const passAt = at + part.length;
    part.forEach((p, i) => {
      const here = at + i;
      const resolve = (t: Target): number => {
        const to = t === 'pass' ? passAt : t === 'fail' ? failAt : here + 1 + t;
        return to - here - 1;
      };
      out.push({ code: p.code, k: p.k >>> 0, jt: resolve(p.jt), jf: resolve(p.jf) });
    });
    at = passAt;
  }
  out.push(insn(BPF.RET_K, ret), insn(BPF.LD_W_ABS, OFFSET_NR));
  return out;
}

/** One 64-bit comparison as 32-bit BPF: the high words decide unless they are equal. */
function condition(c: Condition, file: string): Pending[] {
  const [vHi, vLo] = halves(c.value);
  const ld = (offset: number): Pending => ({ code: BPF.LD_W_ABS, k: offset, jt: 0, jf: 0 });
  const j = (code: number, k: number, jt: Target, jf: Target): Pending => ({ code, k, jt, jf });
  const hi = ld(argHigh(c.index));
  const lo = ld(argLow(c.index));
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      return [hi, j(BPF.JEQ_K, vHi, 0, 'fail'), lo, j(BPF.JEQ_K, vLo, 'pass', 'fail')];
    case 'SCMP_CMP_NE':
      return [hi, j(BPF.JEQ_K, vHi, 0, 'pass'), lo, j(BPF.JEQ_K, vLo, 'fail', 'pass')];
    case 'SCMP_CMP_MASKED_EQ': {
      // libseccomp: (arg & value) == valueTwo.
      const [dHi, dLo] = halves(c.valueTwo ?? 0);
      return [
        hi, { code: BPF.ALU_AND_K, k: vHi, jt: 0, jf: 0 }, j(BPF.JEQ_K, dHi, 0, 'fail'),
        lo, { code: BPF.ALU_AND_K, k: vLo, jt: 0, jf: 0 }, j(BPF.JEQ_K, dLo, 'pass', 'fail'),
      ];
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      // hi > vHi: pass; hi < vHi: fail; equal: the low words decide.
      const last = c.op === 'SCMP_CMP_GT' ? BPF.JGT_K : BPF.JGE_K;
      return [hi, j(BPF.JGT_K, vHi, 'pass', 0), j(BPF.JEQ_K, vHi, 0, 'fail'), lo, j(last, vLo, 'pass', 'fail')];
    }
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // a < v is !(a >= v); a <= v is !(a > v).
      const last = c.op === 'SCMP_CMP_LT' ? BPF.JGE_K : BPF.JGT_K;
      return [hi, j(BPF.JGT_K, vHi, 'fail', 0), j(BPF.JEQ_K, vHi, 0, 'pass'), lo, j(last, vLo, 'fail', 'pass')];
    }
    default:
      throw new SpecError(file, `${c.path}.op`, `"${c.op}" is not a seccomp operator (${SUPPORTED_OPERATORS.join(', ')})`);
  }
}

/** One comparison on an argument's low word only: a 32-bit ABI's registers (libseccomp's way for them). */
function condition32(c: Condition, file: string): Pending[] {
  const [, vLo] = halves(c.value);
  const lo: Pending = { code: BPF.LD_W_ABS, k: argLow(c.index), jt: 0, jf: 0 };
  const j = (code: number, k: number, jt: Target, jf: Target): Pending => ({ code, k, jt, jf });
  switch (c.op) {
    case 'SCMP_CMP_EQ': return [lo, j(BPF.JEQ_K, vLo, 'pass', 'fail')];
    case 'SCMP_CMP_NE': return [lo, j(BPF.JEQ_K, vLo, 'fail', 'pass')];
    case 'SCMP_CMP_MASKED_EQ': {
      const [, dLo] = halves(c.valueTwo ?? 0);
      return [lo, { code: BPF.ALU_AND_K, k: vLo, jt: 0, jf: 0 }, j(BPF.JEQ_K, dLo, 'pass', 'fail')];
    }
    case 'SCMP_CMP_GT': return [lo, j(BPF.JGT_K, vLo, 'pass', 'fail')];
    case 'SCMP_CMP_GE': return [lo, j(BPF.JGE_K, vLo, 'pass', 'fail')];
    case 'SCMP_CMP_LT': return [lo, j(BPF.JGE_K, vLo, 'fail', 'pass')];
    case 'SCMP_CMP_LE': return [lo, j(BPF.JGT_K, vLo, 'fail', 'pass')];
    default:
      throw new SpecError(file, `${c.path}.op`, `"${c.op}" is not a seccomp operator (${SUPPORTED_OPERATORS.join(', ')})`);
  }
}

/** [high, low] 32-bit words of a uint64. */
function halves(value: number | bigint): [number, number] {
  const v = BigInt(value) & 0xffffffffffffffffn;
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}
