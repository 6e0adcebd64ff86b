/**
 * Verifier corpus, scalar bounds: every ALU operation's result range as the kernel's
 * `adjust_scalar_min_max_vals` computes it (32- and 64-bit views, sign extension, negation,
 * byte swaps, division left unknown), and the refinement by conditional jumps. Each program
 * ends in a deliberate `r10 = 0` so the kernel rejects it and its level-1 log, which prints
 * every register's bounds after every instruction, is compared line by line.
 */
import type { Instruction } from '../../src/isa';
import {
  BPF_ALU32_IMM, BPF_ALU64_IMM, BPF_ALU64_REG, BPF_ENDIAN, BPF_EXIT_INSN, BPF_JMP32_IMM, BPF_JMP_IMM, BPF_JMP_REG,
  BPF_LDX_MEM, BPF_LDX_MEMSX, BPF_MOV32_REG, BPF_MOV64_IMM, BPF_MOV64_REG, BPF_NEG64, BPF_RAW_INSN, type Case,
} from './builder';

const cases: Case[] = [];
/** The deliberate final rejection. */
const END = [BPF_MOV64_IMM(10, 0), BPF_EXIT_INSN()];
/** r6 = ingress_ifindex, r7 = rx_queue_index: two unknown u32 values. */
const SRC = [BPF_LDX_MEM('w', 6, 1, 12), BPF_LDX_MEM('w', 7, 1, 16)];
const add = (name: string, body: Instruction[]): void => {
  cases.push({ name: `bounds_${name}`, insns: [...SRC, ...body, ...END] });
};
const MOVSX64 = (d: number, s: number, bits: number) => BPF_RAW_INSN(0xbf, d, s, bits, 0);
const MOVSX32 = (d: number, s: number, bits: number) => BPF_RAW_INSN(0xbc, d, s, bits, 0);
const NEG32 = (d: number) => BPF_RAW_INSN(0x84, d, 0, 0, 0);
add('movsx8_u32', [MOVSX64(1, 6, 8)]);
add('movsx16_u32', [MOVSX64(1, 6, 16)]);
add('movsx32_u32', [MOVSX64(1, 6, 32)]);
add('movsx8_small', [BPF_ALU64_IMM('and', 6, 0x7f), MOVSX64(1, 6, 8)]);
add('movsx8_byte', [BPF_ALU64_IMM('and', 6, 0xff), MOVSX64(1, 6, 8)]);
add('movsx8_hi', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('or', 6, 0x80), MOVSX64(1, 6, 8)]);
add('movsx32w8', [MOVSX32(1, 6, 8)]);
add('movsx32w16', [BPF_ALU64_IMM('and', 6, 0xff), MOVSX32(1, 6, 16)]);
add('movsx32w8_hi', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('or', 6, 0x80), MOVSX32(1, 6, 8)]);
add('movsx_range', [BPF_JMP_IMM('jgt', 6, 300, 5), BPF_JMP_IMM('jlt', 6, 100, 4), MOVSX64(1, 6, 8), MOVSX64(2, 6, 16), MOVSX32(3, 6, 8), MOVSX64(4,6,32)]);
add('ldsx_b', [BPF_LDX_MEM('w', 2, 1, 0), BPF_LDX_MEM('w', 3, 1, 4), BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 8), BPF_JMP_REG('jgt', 4, 3, 3), BPF_LDX_MEMSX('b', 5, 2, 0), BPF_LDX_MEMSX('h', 8, 2, 2), BPF_LDX_MEMSX('w', 9, 2, 4)]);
add('neg64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_NEG64(6)]);
add('neg64_unk', [BPF_NEG64(6)]);
add('neg32', [BPF_ALU64_IMM('and', 6, 0xff), NEG32(6)]);
add('neg64_range', [BPF_JMP_IMM('jgt', 6, 300, 2), BPF_JMP_IMM('jlt', 6, 100, 1), BPF_NEG64(6)]);
add('mul64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('mul', 6, 3)]);
add('mul64_neg', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('mul', 6, -3)]);
add('mul32', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU32_IMM('mul', 6, 0x10000)]);
add('mul32_ovf', [BPF_ALU64_IMM('and', 6, 0xffff), BPF_ALU32_IMM('mul', 6, 0x10001)]);
add('div64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('div', 6, 3)]);
add('div32', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU32_IMM('div', 6, 3)]);
add('mod64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('mod', 6, 3)]);
add('mod32', [BPF_ALU32_IMM('mod', 6, 10)]);
add('sdiv64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_RAW_INSN(0x37, 6, 0, 1, 3)]);
add('smod64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_RAW_INSN(0x97, 6, 0, 1, 3)]);
add('div_const', [BPF_MOV64_IMM(6, 100), BPF_ALU64_IMM('div', 6, 3), BPF_MOV64_IMM(7, 100), BPF_ALU64_IMM('mod', 7, 7)]);
add('sdiv_const', [BPF_MOV64_IMM(6, -100), BPF_RAW_INSN(0x37, 6, 0, 1, 3), BPF_MOV64_IMM(7, -100), BPF_RAW_INSN(0x97, 7, 0, 1, 7)]);
add('lsh64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('lsh', 6, 4)]);
add('lsh32', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU32_IMM('lsh', 6, 28)]);
add('rsh32', [BPF_ALU32_IMM('rsh', 6, 4)]);
add('arsh32', [BPF_ALU32_IMM('arsh', 6, 4)]);
add('arsh64', [BPF_ALU64_IMM('lsh', 6, 32), BPF_ALU64_IMM('arsh', 6, 40)]);
add('lsh_reg', [BPF_ALU64_IMM('and', 7, 7), BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_REG('lsh', 6, 7)]);
add('and_or_xor', [BPF_MOV64_REG(1, 6), BPF_ALU64_IMM('and', 1, 0xf0), BPF_MOV64_REG(2, 6), BPF_ALU64_IMM('or', 2, 0xf0), BPF_MOV64_REG(3, 6), BPF_ALU64_IMM('xor', 3, 0xf0), BPF_ALU64_IMM('and', 6, -16)]);
add('and32_neg', [BPF_ALU32_IMM('and', 6, -16), BPF_ALU32_IMM('or', 7, -16)]);
add('w_eq_w', [BPF_ALU64_IMM('lsh', 6, 30), BPF_MOV32_REG(6, 6)]);
add('w_add0', [BPF_ALU64_IMM('lsh', 6, 30), BPF_ALU32_IMM('add', 6, 0)]);
add('add32_ovf', [BPF_ALU32_IMM('add', 6, 1)]);
add('add32_small', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU32_IMM('add', 6, -10)]);
add('add64_wrap', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('add', 6, -10)]);
add('sub64_wrap', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('sub', 6, 10)]);
add('sub32_wrap', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU32_IMM('sub', 6, 10)]);
add('add64_both', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ALU64_IMM('and', 7, 0xff), BPF_ALU64_REG('add', 6, 7), BPF_ALU64_REG('sub', 7, 6)]);
add('bswap16', [BPF_ENDIAN(true, 6, 16)]);
add('bswap64', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ENDIAN(true, 6, 64)]);
add('bswap_le', [BPF_ALU64_IMM('and', 6, 0xff), BPF_ENDIAN(false, 6, 32)]);
add('jmp32_refine', [BPF_ALU64_IMM('lsh', 6, 32), BPF_ALU64_REG('or', 6, 7), BPF_JMP32_IMM('jgt', 6, 10, 1), BPF_MOV64_REG(1, 6)]);
add('jmp32_s', [BPF_JMP32_IMM('jsgt', 6, 10, 2), BPF_JMP32_IMM('jslt', 6, -5, 1), BPF_MOV64_REG(1, 6)]);
add('jmp64_s', [BPF_JMP_IMM('jsgt', 6, 10, 1), BPF_MOV64_REG(1, 6)]);
add('jset', [BPF_JMP_IMM('jset', 6, 8, 1), BPF_MOV64_REG(1, 6)]);
add('jne_edge', [BPF_ALU64_IMM('and', 6, 0xff), BPF_JMP_IMM('jne', 6, 0, 1), BPF_MOV64_REG(1, 6), BPF_JMP_IMM('jne', 6, 255, 1), BPF_MOV64_REG(1, 6)]);

/** The scalar-bounds cases. */
export const BOUNDS_CASES: readonly Case[] = cases;
