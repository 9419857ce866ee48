import { describe, expect, it } from 'vitest';
import {
  BPF, DEVCG_ACC_MKNOD, DEVCG_ACC_READ, DEVCG_ACC_WRITE, DEVCG_DEV_BLOCK, DEVCG_DEV_CHAR, deviceFilter, deviceProgram,
  type DeviceRule,
} from '../../src/cgroups/device-bpf.js';
import { ALWAYS_ALLOWED, normaliseDeviceRules, v1DeviceWrites } from '../../src/cgroups/devices.js';

/**
 * Just enough of an eBPF interpreter for the instructions device-bpf.ts emits, reading the
 * encoded bytes the kernel would get. ctx is struct bpf_cgroup_dev_ctx.
 */
function run(bytes: Buffer, type: number, access: number, major: number, minor: number): number {
  const ctx = [(access << 16) | type, major, minor];
  const r = new Array<number>(11).fill(0);
  for (let pc = 0, steps = 0; pc < bytes.length / 8; pc++, steps++) {
    if (steps > 10_000) throw new Error('loop');
    const code = bytes.readUInt8(pc * 8);
    const dst = bytes.readUInt8(pc * 8 + 1) & 0xf;
    const src = bytes.readUInt8(pc * 8 + 1) >> 4;
    const off = bytes.readInt16LE(pc * 8 + 2);
    const imm = bytes.readInt32LE(pc * 8 + 4);
    switch (code) {
      case BPF.LDX_MEM_W: expect(src).toBe(1); r[dst] = ctx[off / 4]! >>> 0; break;
      case BPF.ALU32_AND_K: r[dst] = (r[dst]! & imm) >>> 0; break;
      case BPF.ALU32_RSH_K: r[dst] = r[dst]! >>> imm; break;
      case BPF.ALU32_MOV_K: r[dst] = imm >>> 0; break;
      case BPF.ALU32_MOV_X: r[dst] = r[src]! >>> 0; break;
      case BPF.JEQ_K: if (r[dst] === imm) pc += off; break;
      case BPF.JNE_K: if (r[dst] !== imm) pc += off; break;
      case BPF.JNE_X: if (r[dst] !== r[src]) pc += off; break;
      case BPF.EXIT: return r[0]!;
      default: throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end');
}

const R = DEVCG_ACC_READ, W = DEVCG_ACC_WRITE, M = DEVCG_ACC_MKNOD, C = DEVCG_DEV_CHAR, B = DEVCG_DEV_BLOCK;

describe('device rules (linux.resources.devices)', () => {
  it('fills in the defaults of a rule and appends what runc always allows', () => {
    const rules = normaliseDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: -1, access: 'wr' },
      { allow: true, type: 'b', major: 8, minor: 0 },
    ]);
    expect(rules.slice(0, 3)).toEqual([
      { allow: false, type: 'a', access: 'rwm' },
      { allow: true, type: 'c', major: 10, access: 'rw' },
      { allow: true, type: 'b', major: 8, minor: 0, access: 'rwm' },
    ]);
    expect(rules.slice(3)).toEqual(ALWAYS_ALLOWED);
    expect(ALWAYS_ALLOWED).toContainEqual({ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' });
  });

  it('writes v1 devices.deny / devices.allow lines in order', () => {
    const rules: DeviceRule[] = [
      { allow: false, type: 'a', access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', major: 136, access: 'rw' },
      { allow: false, type: 'a', major: 7, access: 'w' },
    ];
    expect(v1DeviceWrites(rules)).toEqual([
      ['devices.deny', 'a *:* rwm'],
      ['devices.allow', 'c 1:3 rwm'],
      ['devices.allow', 'c 136:* rw'],
      ['devices.deny', 'c 7:* w'],
      ['devices.deny', 'b 7:* w'],
    ]);
  });

  it('builds the v2 program instruction by instruction, last rule first', () => {
    const program = deviceProgram([
      { allow: false, type: 'a', access: 'rwm' },
      { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
      { allow: true, type: 'c', access: 'm' },
    ]);
    const i = (code: number, dst: number, src: number, off: number, imm: number) => ({ code, dst, src, off, imm });
    expect(program).toEqual([
      i(BPF.LDX_MEM_W, 2, 1, 0, 0), i(BPF.ALU32_AND_K, 2, 0, 0, 0xffff),
      i(BPF.LDX_MEM_W, 3, 1, 0, 0), i(BPF.ALU32_RSH_K, 3, 0, 0, 16),
      i(BPF.LDX_MEM_W, 4, 1, 4, 0), i(BPF.LDX_MEM_W, 5, 1, 8, 0),
      // c *:* m: type, then "all of the access asked for is mknod"
      i(BPF.JNE_K, 2, 0, 5, C), i(BPF.ALU32_MOV_X, 1, 3, 0, 0), i(BPF.ALU32_AND_K, 1, 0, 0, M), i(BPF.JNE_X, 1, 3, 2, 0),
      i(BPF.ALU32_MOV_K, 0, 0, 0, 1), i(BPF.EXIT, 0, 0, 0, 0),
      // c 1:3 rwm: no access check
      i(BPF.JNE_K, 2, 0, 4, C), i(BPF.JNE_K, 4, 0, 3, 1), i(BPF.JNE_K, 5, 0, 2, 3),
      i(BPF.ALU32_MOV_K, 0, 0, 0, 1), i(BPF.EXIT, 0, 0, 0, 0),
      // the deny-all default
      i(BPF.ALU32_MOV_K, 0, 0, 0, 0), i(BPF.EXIT, 0, 0, 0, 0),
    ]);
    const bytes = deviceFilter([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);
    expect(bytes.length).toBe(8 * 13);
    expect([...bytes.subarray(0, 8)]).toEqual([0x61, 0x12, 0, 0, 0, 0, 0, 0]); // r2 = *(u32 *)(r1 + 0)
    expect([...bytes.subarray(6 * 8, 7 * 8)]).toEqual([0x55, 0x02, 4, 0, 2, 0, 0, 0]); // if r2 != 2 goto +4
  });

  it('allows and denies devices as runc would (checked by running the program)', () => {
    const bytes = deviceFilter(normaliseDeviceRules([
      { allow: false, access: 'rwm' },
      { allow: true, type: 'c', major: 10, minor: 237, access: 'r' },
      { allow: true, type: 'b', major: 8, access: 'rwm' },
      { allow: false, type: 'b', major: 8, minor: 0, access: 'w' },
    ]));
    expect(run(bytes, C, R, 1, 3)).toBe(1); // /dev/null read
    expect(run(bytes, C, R | W, 1, 5)).toBe(1); // /dev/zero read-write
    expect(run(bytes, C, M, 1, 3)).toBe(1); // mknod c 1:3
    expect(run(bytes, C, M, 4, 1)).toBe(1); // mknod of any char device
    expect(run(bytes, C, R, 4, 1)).toBe(0); // but not opening it
    expect(run(bytes, C, R, 10, 237)).toBe(1);
    expect(run(bytes, C, R | W, 10, 237)).toBe(0); // only r was allowed
    expect(run(bytes, B, R, 8, 1)).toBe(1);
    expect(run(bytes, B, R, 8, 0)).toBe(1);
    expect(run(bytes, B, R | W, 8, 0)).toBe(0); // the later deny of w wins
    expect(run(bytes, B, R, 9, 0)).toBe(0);
    expect(run(bytes, C, R, 136, 4)).toBe(1); // /dev/pts/4

    const denyAll = deviceFilter(normaliseDeviceRules([{ allow: false, access: 'rwm' }]));
    expect(run(denyAll, B, R, 8, 0)).toBe(0); // 8:0 block read
    expect(run(denyAll, C, R, 1, 3)).toBe(1);
    // No wildcard: everything not denied is allowed.
    const denyOne = deviceFilter(normaliseDeviceRules([{ allow: false, type: 'c', major: 1, minor: 11, access: 'rwm' }]));
    expect(run(denyOne, C, R, 1, 11)).toBe(0);
    expect(run(denyOne, B, R, 8, 0)).toBe(1);
  });
});
