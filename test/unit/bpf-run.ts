/** A classic BPF interpreter for the seccomp programs src/seccomp/compile.ts emits, for unit tests. */
import { BPF, type BpfInsn } from '../../src/seccomp/compile.js';

export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_AARCH64 = 0xc00000b7;
export const AUDIT_ARCH_I386 = 0x40000003;
export const AUDIT_ARCH_ARM = 0x40000028;

/** struct seccomp_data, as the kernel hands it to the filter (seccomp(2)). */
export interface SeccompData {
  nr: number;
  arch: number;
  args?: (number | bigint)[];
}

export function seccompData({ nr, arch, args = [] }: SeccompData): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(nr >>> 0, 0);
  b.writeUInt32LE(arch >>> 0, 4);
  args.forEach((a, i) => b.writeBigUInt64LE(BigInt(a), 16 + 8 * i));
  return b;
}

/** The verdict (SECCOMP_RET_*) of `program` for one call. */
export function runBpf(program: readonly BpfInsn[], data: Buffer): number {
  let a = 0;
  for (let pc = 0, steps = 0; pc < program.length && steps < 10_000; pc++, steps++) {
    const { code, jt, jf, k } = program[pc]!;
    switch (code) {
      case BPF.LD_W_ABS: a = data.readUInt32LE(k); break;
      case BPF.ALU_AND_K: a = (a & k) >>> 0; break;
      case BPF.JEQ_K: pc += a === k ? jt : jf; break;
      case BPF.JGT_K: pc += a > k ? jt : jf; break;
      case BPF.JGE_K: pc += a >= k ? jt : jf; break;
      case BPF.JSET_K: pc += (a & k) !== 0 ? jt : jf; break;
      case BPF.JA: pc += k; break;
      case BPF.RET_K: return k;
      default: throw new Error(`unknown opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}
