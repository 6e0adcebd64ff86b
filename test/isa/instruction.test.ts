import { describe, expect, it } from 'vitest';
import {
  ALU_OPS,
  BPF_ALU64,
  BPF_JMP,
  BPF_K,
  BPF_X,
  OP_LDDW,
  classify,
  decode,
  encode,
  helperId,
  helperName,
  insn,
  jumpOffset,
  lddw,
  lddwValue,
  type Instruction,
} from '../../src/isa';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('isa encode/decode', () => {
  it('encodes r0 = 1; exit as the kernel expects (little-endian)', () => {
    const prog = [insn(0xb7, 0, 0, 0, 1), insn(0x95)];
    expect(hex(encode(prog, 'le'))).toBe('b7000000010000009500000000000000');
  });

  it('puts dst in the high nibble in big-endian objects', () => {
    // *(u64 *)(r10 - 8) = r1 : opcode 0x7b dst=10 src=1 off=-8
    const i = insn(0x7b, 10, 1, -8, 0);
    expect(hex(encode([i], 'le'))).toBe('7b1af8ff00000000');
    expect(hex(encode([i], 'be'))).toBe('7ba1fff800000000');
  });

  it('encodes lddw as two slots with the upper half in the second imm', () => {
    const i = lddw(1, 0x1122334455667788n);
    expect(hex(encode([i], 'le'))).toBe('18010000887766550000000044332211');
    expect(lddwValue(i)).toBe(0x1122334455667788n);
    const neg = lddw(1, -2n);
    expect(neg.imm).toBe(-2);
    expect(neg.imm2).toBe(-1);
  });

  it('round-trips every ALU form in both byte orders', () => {
    const prog: Instruction[] = [];
    for (const op of ALU_OPS) {
      for (const cls of [0x04, BPF_ALU64]) {
        for (const s of [BPF_K, BPF_X]) {
          if (op.name === 'neg' && s === BPF_X) continue;
          prog.push(insn(op.code | s | cls, 3, s === BPF_X ? 7 : 0, op.off, s === BPF_K ? -123456 : 0));
        }
      }
    }
    prog.push(lddw(9, 0xdeadbeefcafef00dn, 1));
    for (const endian of ['le', 'be'] as const) {
      const { insns, problem } = decode(encode(prog, endian), endian);
      expect(problem).toBeUndefined();
      expect(insns).toEqual(prog);
    }
  });

  it('reports a truncated lddw with its byte offset instead of throwing', () => {
    const bytes = encode([insn(0xb7, 0, 0, 0, 1), lddw(1, 5n)]).subarray(0, 16);
    const r = decode(bytes);
    expect(r.insns).toHaveLength(1);
    expect(r.problem).toEqual({ offset: 8, message: 'lddw is missing its second slot' });
  });
});

describe('isa classify', () => {
  it('knows the v4 additions', () => {
    expect(classify(insn(0x3f, 1, 2, 1))).toEqual({ kind: 'alu', is64: true, op: 'sdiv', useReg: true });
    expect(classify(insn(0xbf, 1, 2, 8))).toEqual({ kind: 'movsx', is64: true, bits: 8 });
    expect(classify(insn(0xd7, 1, 0, 0, 16))).toEqual({ kind: 'end', bits: 16, to: 'swap' });
    expect(classify(insn(0xdc, 1, 0, 0, 32))).toEqual({ kind: 'end', bits: 32, to: 'be' });
    expect(classify(insn(0x91, 1, 2, 4))).toEqual({ kind: 'ldx', size: 1, signed: true });
    expect(classify(insn(0x06, 0, 0, 0, 70000))).toEqual({ kind: 'ja', long: true });
    expect(jumpOffset(insn(0x06, 0, 0, 0, 70000))).toBe(70000);
    expect(classify(insn(0xdb, 1, 2, 0, 0xf1))).toEqual({ kind: 'atomic', size: 8, op: 'cmpxchg', fetch: true });
    expect(classify(insn(0x8d, 2))).toEqual({ kind: 'callx' });
  });

  it('rejects invalid combinations', () => {
    expect(classify(insn(0x8c, 1, 2))).toBeUndefined(); // neg with X
    expect(classify(insn(0xbc, 1, 2, 32))).toBeUndefined(); // 32-bit movsx from 32
    expect(classify(insn(0x99, 1, 2))).toBeUndefined(); // ldsx dw does not exist
    expect(classify(insn(0xc3, 1, 2, 0, 0x02))).toBeUndefined(); // unknown atomic op
    expect(classify(insn(0xd4, 1, 0, 0, 8))).toBeUndefined(); // le8
    expect(classify(insn(BPF_JMP | 0xf0))).toBeUndefined();
    expect(classify(insn(OP_LDDW, 1))).toEqual({ kind: 'lddw', pseudo: 0 });
  });
});

describe('isa helper table', () => {
  it('matches the kernel ids', () => {
    expect(helperId('map_lookup_elem')).toBe(1);
    expect(helperId('bpf_trace_printk')).toBe(6);
    expect(helperId('xdp_adjust_head')).toBe(44);
    expect(helperId('redirect_map')).toBe(51);
    expect(helperId('ringbuf_output')).toBe(130);
    expect(helperId('loop')).toBe(181);
    expect(helperName(209)).toBe('user_ringbuf_drain');
    expect(helperName(0)).toBeUndefined();
    expect(helperId('nope')).toBeUndefined();
  });
});
