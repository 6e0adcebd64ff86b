import { describe, expect, it } from 'vitest';
import { kernelInsnString } from '../../src/verifier';
import {
  BPF_ALU32_REG, BPF_ALU64_IMM, BPF_ATOMIC_OP, BPF_CALL_REL, BPF_EMIT_CALL, BPF_EXIT_INSN, BPF_JMP32_IMM, BPF_JMP_IMM,
  BPF_JMP_REG, BPF_JMP_A, BPF_LDX_MEM, BPF_LD_IMM64, BPF_MOV64_IMM, BPF_MOV64_REG, BPF_STX_MEM, BPF_ST_MEM, BPF_NEG64,
  BPF_ENDIAN,
} from './builder';

// Expected strings are copied from the kernel 6.18 verifier log (kernel/bpf/disasm.c).
describe('kernel instruction printer', () => {
  it.each([
    [BPF_MOV64_IMM(0, 2), '(b7) r0 = 2'],
    [BPF_MOV64_REG(1, 2), '(bf) r1 = r2'],
    [BPF_ALU64_IMM('add', 1, 14), '(07) r1 += 14'],
    [BPF_ALU64_IMM('add', 2, -4), '(07) r2 += -4'],
    [BPF_ALU64_IMM('and', 0, 31), '(57) r0 &= 31'],
    [BPF_ALU32_REG('add', 1, 2), '(0c) w1 += w2'],
    [BPF_LDX_MEM('w', 2, 1, 0), '(61) r2 = *(u32 *)(r1 +0)'],
    [BPF_LDX_MEM('b', 0, 2, 14), '(71) r0 = *(u8 *)(r2 +14)'],
    [BPF_LDX_MEM('dw', 0, 0, 0), '(79) r0 = *(u64 *)(r0 +0)'],
    [BPF_ST_MEM('w', 10, -4, 0), '(62) *(u32 *)(r10 -4) = 0'],
    [BPF_STX_MEM('dw', 10, 1, -8), '(7b) *(u64 *)(r10 -8) = r1'],
    [BPF_JMP_REG('jgt', 1, 3, 1), '(2d) if r1 > r3 goto pc+1'],
    [BPF_JMP_IMM('jne', 0, 0, 1), '(55) if r0 != 0x0 goto pc+1'],
    [BPF_JMP_IMM('jeq', 0, 0, -1), '(15) if r0 == 0x0 goto pc-1'],
    [BPF_JMP_IMM('jgt', 0, 15, 3), '(25) if r0 > 0xf goto pc+3'],
    [BPF_JMP32_IMM('jlt', 0, 16, 2), '(a6) if w0 < 0x10 goto pc+2'],
    [BPF_JMP_A(-3), '(05) goto pc-3'],
    [BPF_EMIT_CALL(1), '(85) call bpf_map_lookup_elem#1'],
    [BPF_EMIT_CALL(7), '(85) call bpf_get_prandom_u32#7'],
    [BPF_CALL_REL(1), '(85) call pc+1'],
    [BPF_EXIT_INSN(), '(95) exit'],
    [BPF_NEG64(0), '(87) r0 = -r0'],
    [BPF_ENDIAN(true, 0, 16), '(dc) r0 = be16 r0'],
    [BPF_ATOMIC_OP('dw', 'add', 10, 1, -8), '(db) lock *(u64 *)(r10 -8) += r1'],
    [BPF_LD_IMM64(0, 0x123456789n), '(18) r0 = 0x123456789'],
  ])('%j prints as the kernel does', (i, want) => {
    expect(kernelInsnString(i)).toBe(want);
  });
});
