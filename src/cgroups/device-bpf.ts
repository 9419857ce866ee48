/**
 * The cgroup v2 device filter: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) that the kernel
 * runs on every open(2) and mknod(2) of a device node by a process in the cgroup. It returns
 * 1 to allow, 0 to deny (EPERM). The same shape as runc's
 * libcontainer/cgroups/devices/devicefilter.go (itself from crun's src/libcrun/ebpf.c).
 *
 * The program reads struct bpf_cgroup_dev_ctx (include/uapi/linux/bpf.h), pointed to by R1:
 *   u32 access_type   device type in the low 16 bits (BPF_DEVCG_DEV_BLOCK 1, _CHAR 2),
 *                     access in the high 16 (BPF_DEVCG_ACC_MKNOD 1, _READ 2, _WRITE 4)
 *   u32 major
 *   u32 minor
 * then tests the rules from the last to the first, so the last rule that matches wins; a
 * device no rule matches gets the default, set by the last "a *:* rwm" rule (allow if none).
 *
 * An allow rule matches when every access asked for is in the rule ("rw" allows a read);
 * a deny rule matches when any is ("w" denies a read-write open). Unlike v1 (and runc's
 * rule emulator), two partial allows are not merged: "c 1:3 r" then "c 1:3 w" does not
 * allow a read-write open.
 *
 * Each instruction is 8 bytes (Documentation/bpf/standardization/instruction-set.rst):
 *   u8 opcode, u8 dst_reg (low 4 bits) | src_reg (high 4), s16 offset, s32 imm
 * A jump's offset counts instructions from the one after the jump.
 */

/**
 * One rule with its defaults filled in; `major`/`minor` undefined means any ("*"). The
 * filter's input, so it is declared here; devices.ts normalises the spec's rules into it.
 */
export interface DeviceRule {
  allow: boolean;
  /** a: both kinds; c: character; b: block */
  type: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  /** a non-empty subset of "rwm", in that order */
  access: string;
}

export interface BpfInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Opcodes: class | operation | source (K: the immediate, X: the src register).
export const BPF = {
  LDX_MEM_W: 0x61, // dst = *(u32 *)(src + off)
  ALU32_AND_K: 0x54, // dst = (u32)(dst & imm)
  ALU32_RSH_K: 0x74, // dst = (u32)dst >> imm
  ALU32_MOV_K: 0xb4, // dst = (u32)imm
  ALU32_MOV_X: 0xbc, // dst = (u32)src
  JEQ_K: 0x15, // if dst == imm goto pc + 1 + off
  JNE_K: 0x55, // if dst != imm goto pc + 1 + off
  JNE_X: 0x5d, // if dst != src goto pc + 1 + off
  EXIT: 0x95, // return R0
} as const;

export const DEVCG_DEV_BLOCK = 1;
export const DEVCG_DEV_CHAR = 2;
export const DEVCG_ACC_MKNOD = 1;
export const DEVCG_ACC_READ = 2;
export const DEVCG_ACC_WRITE = 4;

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5;
const insn = (code: number, dst: number, src: number, off: number, imm: number): BpfInsn => ({ code, dst, src, off, imm });

function accessBits(access: string): number {
  return (access.includes('r') ? DEVCG_ACC_READ : 0) | (access.includes('w') ? DEVCG_ACC_WRITE : 0) |
    (access.includes('m') ? DEVCG_ACC_MKNOD : 0);
}

/** One rule: a run of "goto next rule unless it matches" checks, then return its verdict. */
function ruleBlock(rule: DeviceRule): BpfInsn[] {
  // Each check is built with the placeholder offset -1 and patched once the block's length is known.
  const checks: BpfInsn[] = [];
  if (rule.type !== 'a') checks.push(insn(BPF.JNE_K, R2, 0, -1, rule.type === 'b' ? DEVCG_DEV_BLOCK : DEVCG_DEV_CHAR));
  const bits = accessBits(rule.access);
  if (bits !== (DEVCG_ACC_READ | DEVCG_ACC_WRITE | DEVCG_ACC_MKNOD)) {
    // R1 is free once the context is read: R1 = R3 & bits.
    checks.push(insn(BPF.ALU32_MOV_X, R1, R3, 0, 0), insn(BPF.ALU32_AND_K, R1, 0, 0, bits));
    checks.push(rule.allow
      ? insn(BPF.JNE_X, R1, R3, -1, 0) // allow: not all of the access asked for is in the rule
      : insn(BPF.JEQ_K, R1, 0, -1, 0)); // deny: none of it is
  }
  if (rule.major !== undefined) checks.push(insn(BPF.JNE_K, R4, 0, -1, rule.major));
  if (rule.minor !== undefined) checks.push(insn(BPF.JNE_K, R5, 0, -1, rule.minor));
  const block = [...checks, insn(BPF.ALU32_MOV_K, R0, 0, 0, rule.allow ? 1 : 0), insn(BPF.EXIT, 0, 0, 0, 0)];
  // "next" is the instruction after this block.
  return block.map((ins, i) => (ins.off === -1 ? { ...ins, off: block.length - i - 1 } : ins));
}

/** A rule for every device and every access: it resets what came before it. */
export function isWildcard(rule: DeviceRule): boolean {
  return rule.type === 'a' && rule.major === undefined && rule.minor === undefined && rule.access === 'rwm';
}

/** The program for `rules` (already normalised, in spec order), as instructions. */
export function deviceProgram(rules: readonly DeviceRule[]): BpfInsn[] {
  // Rules before the last wildcard no longer matter; it sets the default.
  const last = rules.findLastIndex(isWildcard);
  const defaultAllow = last >= 0 ? rules[last]!.allow : true;
  const effective = rules.slice(last + 1);
  const program: BpfInsn[] = [
    insn(BPF.LDX_MEM_W, R2, R1, 0, 0), // R2 = access_type
    insn(BPF.ALU32_AND_K, R2, 0, 0, 0xffff), // R2 = device type
    insn(BPF.LDX_MEM_W, R3, R1, 0, 0), // R3 = access_type
    insn(BPF.ALU32_RSH_K, R3, 0, 0, 16), // R3 = access
    insn(BPF.LDX_MEM_W, R4, R1, 4, 0), // R4 = major
    insn(BPF.LDX_MEM_W, R5, R1, 8, 0), // R5 = minor
  ];
  for (const rule of [...effective].reverse()) program.push(...ruleBlock(rule));
  program.push(insn(BPF.ALU32_MOV_K, R0, 0, 0, defaultAllow ? 1 : 0), insn(BPF.EXIT, 0, 0, 0, 0));
  return program;
}

/** struct bpf_insn[] as the kernel reads it (little-endian on the hosts we run on). */
export function encodeProgram(program: readonly BpfInsn[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    out.writeUInt8(ins.code, i * 8);
    out.writeUInt8((ins.src << 4) | ins.dst, i * 8 + 1);
    out.writeInt16LE(ins.off, i * 8 + 2);
    out.writeInt32LE(ins.imm | 0, i * 8 + 4);
  });
  return out;
}

/** The encoded program for `rules`, ready for BPF_PROG_LOAD. */
export function deviceFilter(rules: readonly DeviceRule[]): Buffer {
  return encodeProgram(deviceProgram(rules));
}
