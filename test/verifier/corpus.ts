/**
 * The verifier corpus: programs written like the kernel's selftests
 * (tools/testing/selftests/bpf/verifier/*.c), accepted and rejected, covering control flow,
 * register state, scalar ranges, packet proofs, stack, map values, helpers, calls, loops and
 * limits. The real kernel's verdicts are stored in fixtures/verifier/verdicts.json.
 */
import { helperId } from '../../src/isa';
import {
  BPF_ALU32_IMM, BPF_ALU32_REG, BPF_ALU64_IMM, BPF_ALU64_REG, BPF_ATOMIC_OP, BPF_CALL_REL, BPF_EMIT_CALL,
  BPF_ENDIAN, BPF_EXIT_INSN, BPF_JMP32_IMM, BPF_JMP32_REG, BPF_JMP_A, BPF_JMP_IMM, BPF_JMP_REG, BPF_LDX_MEM,
  BPF_LDX_MEMSX, BPF_LD_IMM64, BPF_LD_MAP_FD, BPF_LD_MAP_VALUE, BPF_MOV32_IMM, BPF_MOV32_REG, BPF_MOV64_IMM,
  BPF_MOV64_REG, BPF_NEG64, BPF_RAW_INSN, BPF_LD_FUNC, BPF_STX_MEM, BPF_ST_MEM, type Case, type CaseMap,
} from './builder';
import { BOUNDS_CASES } from './corpus-bounds';
import { STATE_CASES } from './corpus-states';
import { STACK_CASES } from './corpus-stack';

const H = (n: string): number => helperId(n)!;
const HASH = (ks = 4, vs = 8): CaseMap => ({ type: 1, keySize: ks, valueSize: vs, maxEntries: 16 });
const ARRAY = (vs = 8): CaseMap => ({ type: 2, keySize: 4, valueSize: vs, maxEntries: 4 });
const RINGBUF: CaseMap = { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 };
const PROG_ARRAY: CaseMap = { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 };
const DEVMAP: CaseMap = { type: 14, keySize: 4, valueSize: 4, maxEntries: 4 };
const QUEUE: CaseMap = { type: 22, keySize: 0, valueSize: 8, maxEntries: 4 };
const RET = (v = 2) => [BPF_MOV64_IMM(0, v), BPF_EXIT_INSN()];
/** r2 = data, r3 = data_end. */
const PKT = [BPF_LDX_MEM('w', 2, 1, 0), BPF_LDX_MEM('w', 3, 1, 4)];
/** key 0 at fp-4, r2 = fp-4, r1 = map 0, call lookup. */
const LOOKUP = (m = 0) => [
  BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, m),
  BPF_EMIT_CALL(H('map_lookup_elem')),
];

const cases: Case[] = [];
const add = (name: string, insns: Case['insns'], maps?: CaseMap[]): void => {
  cases.push({ name, insns, ...(maps ? { maps } : {}) });
};

// ---- control flow ----
add('cfg_ret_const', RET());
add('cfg_exit_r0_uninit', [BPF_EXIT_INSN()]);
add('cfg_no_exit', [BPF_MOV64_IMM(0, 0)]);
add('cfg_unreachable', [...RET(), ...RET()]);
add('cfg_jump_out_of_range', [BPF_JMP_IMM('jeq', 1, 0, 5), ...RET()]);
add('cfg_jump_backward_out', [BPF_MOV64_IMM(0, 0), BPF_JMP_A(-3), BPF_EXIT_INSN()]);
add('cfg_jump_into_lddw', [BPF_JMP_IMM('jeq', 1, 0, 1), BPF_LD_IMM64(0, 1n), BPF_EXIT_INSN()]);
add('cfg_lddw_ok', [BPF_LD_IMM64(0, 0x123456789n), BPF_EXIT_INSN()]);
add('cfg_ja_over', [BPF_MOV64_IMM(0, 1), BPF_JMP_A(1), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()]);
add('cfg_infinite_self', [BPF_MOV64_IMM(0, 0), BPF_JMP_A(-1), BPF_EXIT_INSN()]);
add('cfg_infinite_cond', [BPF_MOV64_IMM(0, 0), BPF_JMP_IMM('jeq', 0, 0, -1), BPF_EXIT_INSN()]);
add('cfg_loop_bounded', [BPF_MOV64_IMM(0, 0), BPF_ALU64_IMM('add', 0, 1), BPF_JMP_IMM('jlt', 0, 10, -2), BPF_EXIT_INSN()]);
add('cfg_loop_bounded_100', [BPF_MOV64_IMM(0, 0), BPF_ALU64_IMM('add', 0, 1), BPF_JMP_IMM('jne', 0, 100, -2), BPF_EXIT_INSN()]);
add('cfg_loop_too_long', [BPF_MOV64_IMM(0, 0), BPF_ALU64_IMM('add', 0, 1), BPF_JMP_IMM('jne', 0, 0x7fffffff, -2), BPF_EXIT_INSN()]);
add('cfg_loop_unknown_bound', [
  BPF_LDX_MEM('w', 2, 1, 16), BPF_MOV64_IMM(0, 0), BPF_ALU64_IMM('add', 0, 1), BPF_JMP_REG('jlt', 0, 2, -2), BPF_EXIT_INSN(),
]);
add('cfg_unknown_opcode', [BPF_RAW_INSN(0xff, 0, 0, 0, 0), ...RET()]);
add('cfg_bad_helper_id', [BPF_EMIT_CALL(99999), ...RET()]);
add('cfg_last_not_exit_subprog', [BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_MOV64_IMM(0, 1)]);
add('cfg_ldabs_not_allowed', [BPF_MOV64_REG(6, 1), BPF_RAW_INSN(0x30, 0, 0, 0, 0), BPF_EXIT_INSN()]);
add('cfg_reserved_alu', [BPF_RAW_INSN(0x07, 0, 1, 0, 1), ...RET()]);
add('cfg_exit_reserved', [BPF_MOV64_IMM(0, 0), BPF_RAW_INSN(0x95, 1, 0, 0, 0)]);
add('cfg_gotol', [BPF_MOV64_IMM(0, 1), BPF_RAW_INSN(0x06, 0, 0, 0, 1), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()]);
add('cfg_div_by_zero_imm', [BPF_MOV64_IMM(0, 1), BPF_ALU64_IMM('div', 0, 0), BPF_EXIT_INSN()]);
add('cfg_div_reg_zero_ok', [BPF_MOV64_IMM(0, 1), BPF_MOV64_IMM(1, 0), BPF_ALU64_REG('div', 0, 1), BPF_EXIT_INSN()]);
add('cfg_shift_too_big', [BPF_MOV64_IMM(0, 1), BPF_ALU64_IMM('lsh', 0, 64), BPF_EXIT_INSN()]);
add('cfg_shift32_too_big', [BPF_MOV32_IMM(0, 1), BPF_ALU32_IMM('lsh', 0, 32), BPF_EXIT_INSN()]);

// ---- registers ----
add('reg_r2_uninit_read', [BPF_MOV64_REG(0, 2), BPF_EXIT_INSN()]);
add('reg_r10_write', [BPF_MOV64_IMM(10, 0), ...RET()]);
add('reg_r10_alu', [BPF_ALU64_IMM('add', 10, 8), ...RET()]);
add('reg_r11_invalid', [BPF_MOV64_IMM(11, 0), ...RET()]);
add('reg_call_clobbers', [BPF_MOV64_IMM(1, 1), BPF_EMIT_CALL(H('ktime_get_ns')), BPF_MOV64_REG(0, 1), BPF_EXIT_INSN()]);
add('reg_callee_saved_kept', [BPF_MOV64_IMM(6, 1), BPF_EMIT_CALL(H('ktime_get_ns')), BPF_MOV64_REG(0, 6), BPF_EXIT_INSN()]);
add('reg_return_ctx_root', [BPF_MOV64_REG(0, 1), BPF_EXIT_INSN()]);
add('reg_return_fp_root', [BPF_MOV64_REG(0, 10), BPF_EXIT_INSN()]);
add('reg_mov32_ptr', [BPF_MOV32_REG(0, 1), BPF_EXIT_INSN()]);
add('reg_neg', [BPF_MOV64_IMM(0, 5), BPF_NEG64(0), BPF_EXIT_INSN()]);
add('reg_endian', [BPF_MOV64_IMM(0, 5), BPF_ENDIAN(true, 0, 16), BPF_EXIT_INSN()]);
add('reg_neg_ptr', [BPF_MOV64_REG(0, 1), BPF_NEG64(0), BPF_EXIT_INSN()]);

// ---- ALU on pointers ----
add('ptr_add_ptr', [BPF_MOV64_REG(0, 1), BPF_ALU64_REG('add', 0, 1), BPF_EXIT_INSN()]);
add('ptr_sub_ptr_root', [BPF_MOV64_REG(0, 10), BPF_ALU64_REG('sub', 0, 10), BPF_EXIT_INSN()]);
add('ptr_mul', [BPF_MOV64_REG(0, 1), BPF_ALU64_IMM('mul', 0, 2), BPF_EXIT_INSN()]);
add('ptr_and', [BPF_MOV64_REG(0, 1), BPF_ALU64_IMM('and', 0, 2), BPF_EXIT_INSN()]);
add('ptr_alu32', [BPF_MOV64_REG(0, 1), BPF_ALU32_IMM('add', 0, 2), BPF_EXIT_INSN()]);
add('ptr_fp_sub_imm', [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('sub', 2, 8), BPF_ST_MEM('dw', 2, 0, 0), ...RET()]);
add('ptr_scalar_minus_ptr', [BPF_MOV64_IMM(0, 4), BPF_ALU64_REG('sub', 0, 1), BPF_EXIT_INSN()]);
add('ptr_scalar_plus_ptr', [BPF_MOV64_IMM(2, 4), BPF_ALU64_REG('add', 2, 10), BPF_ST_MEM('dw', 2, -16, 0), ...RET()]);
add('ptr_ctx_modified_load', [BPF_ALU64_IMM('add', 1, 4), BPF_LDX_MEM('w', 0, 1, 0), BPF_EXIT_INSN()]);
add('ptr_pkt_end_arith', [...PKT, BPF_ALU64_IMM('add', 3, 1), ...RET()]);
add('ptr_map_ptr_arith', [BPF_LD_MAP_FD(1, 0), BPF_ALU64_IMM('add', 1, 8), ...RET()], [HASH()]);
add('ptr_pkt_unbounded_add', [...PKT, BPF_LDX_MEM('w', 4, 1, 16), BPF_ALU64_REG('sub', 4, 4), BPF_LDX_MEM('dw', 5, 10, -8), ...RET()]);
add('ptr_pkt_plus_unknown', [...PKT, BPF_EMIT_CALL(H('get_prandom_u32')), BPF_LDX_MEM('w', 2, 6, 0), ...RET()]);
add('ptr_null_arith', [...LOOKUP(), BPF_ALU64_IMM('add', 0, 4), ...RET()], [HASH()]);
add('ptr_big_const', [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, 0x20000000), ...RET()]);

// ---- scalar ranges ----
const ARR_IDX = (pre: Case['insns'], vs = 16): Case['insns'] => [
  ...LOOKUP(), BPF_JMP_IMM('jne', 0, 0, 1), BPF_EXIT_INSN(), BPF_MOV64_REG(6, 0),
  BPF_EMIT_CALL(H('get_prandom_u32')), ...pre, BPF_ALU64_REG('add', 6, 0), BPF_LDX_MEM('b', 0, 6, 0), BPF_EXIT_INSN(),
];
add('range_and_mask_ok', ARR_IDX([BPF_ALU64_IMM('and', 0, 15)]), [HASH(4, 16)]);
add('range_and_mask_too_big', ARR_IDX([BPF_ALU64_IMM('and', 0, 31)]), [HASH(4, 16)]);
add('range_unbounded', ARR_IDX([]), [HASH(4, 16)]);
add('range_jlt_ok', ARR_IDX([BPF_JMP_IMM('jlt', 0, 16, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_jlt_off_by_one', ARR_IDX([BPF_JMP_IMM('jlt', 0, 17, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_jle_ok', ARR_IDX([BPF_JMP_IMM('jle', 0, 15, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_jgt_fall_ok', ARR_IDX([BPF_JMP_IMM('jgt', 0, 15, 1), BPF_JMP_A(2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_jge_fall_ok', ARR_IDX([BPF_JMP_IMM('jge', 0, 16, 1), BPF_JMP_A(2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_signed_only', ARR_IDX([BPF_JMP_IMM('jslt', 0, 16, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_signed_both', ARR_IDX([
  BPF_JMP_IMM('jsgt', 0, 15, 3), BPF_JMP_IMM('jslt', 0, 0, 2), BPF_JMP_A(2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(),
]), [HASH(4, 16)]);
add('range_jmp32_ok', ARR_IDX([BPF_JMP32_IMM('jlt', 0, 16, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_jmp32_upper_unknown', ARR_IDX([BPF_ALU64_IMM('lsh', 0, 32), BPF_JMP32_IMM('jlt', 0, 16, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('range_rsh_ok', ARR_IDX([BPF_ALU64_IMM('rsh', 0, 60)]), [HASH(4, 16)]);
add('range_rsh32_ok', ARR_IDX([BPF_ALU32_IMM('rsh', 0, 28)]), [HASH(4, 16)]);
add('range_mod_unknown', ARR_IDX([BPF_ALU64_IMM('mod', 0, 16)]), [HASH(4, 16)]);
add('range_mul_ok', ARR_IDX([BPF_ALU64_IMM('and', 0, 3), BPF_ALU64_IMM('mul', 0, 4)]), [HASH(4, 16)]);
add('range_mul_too_big', ARR_IDX([BPF_ALU64_IMM('and', 0, 3), BPF_ALU64_IMM('mul', 0, 6)]), [HASH(4, 16)]);
add('range_sub_negative', ARR_IDX([BPF_ALU64_IMM('and', 0, 7), BPF_ALU64_IMM('sub', 0, 4)]), [HASH(4, 16)]);
add('range_xor', ARR_IDX([BPF_ALU64_IMM('and', 0, 7), BPF_ALU64_IMM('xor', 0, 8)]), [HASH(4, 16)]);
add('range_or_too_big', ARR_IDX([BPF_ALU64_IMM('and', 0, 7), BPF_ALU64_IMM('or', 0, 16)]), [HASH(4, 16)]);
add('range_alu32_and', ARR_IDX([BPF_ALU32_IMM('and', 0, 15)]), [HASH(4, 16)]);
add('range_mov32_zext', ARR_IDX([BPF_ALU64_IMM('and', 0, 15), BPF_MOV32_REG(0, 0)]), [HASH(4, 16)]);
add('range_linked_regs', [
  ...LOOKUP(), BPF_JMP_IMM('jne', 0, 0, 1), BPF_EXIT_INSN(), BPF_MOV64_REG(6, 0),
  BPF_EMIT_CALL(H('get_prandom_u32')), BPF_MOV64_REG(1, 0), BPF_JMP_IMM('jgt', 0, 15, 3),
  BPF_ALU64_REG('add', 6, 1), BPF_LDX_MEM('b', 0, 6, 0), BPF_EXIT_INSN(), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(),
], [HASH(4, 16)]);
add('range_const_branch_dead', [BPF_MOV64_IMM(0, 1), BPF_JMP_IMM('jeq', 0, 1, 1), BPF_MOV64_REG(0, 5), BPF_EXIT_INSN()]);
add('range_const_branch_live', [BPF_MOV64_IMM(0, 1), BPF_JMP_IMM('jeq', 0, 2, 1), BPF_MOV64_REG(0, 5), BPF_EXIT_INSN()]);
add('range_jset_dead', [BPF_MOV64_IMM(0, 4), BPF_JMP_IMM('jset', 0, 3, 1), BPF_EXIT_INSN(), BPF_MOV64_REG(0, 5), BPF_EXIT_INSN()]);
add('range_jset_live', [BPF_MOV64_IMM(0, 4), BPF_JMP_IMM('jset', 0, 4, 1), BPF_EXIT_INSN(), BPF_MOV64_REG(0, 5), BPF_EXIT_INSN()]);
add('range_and_implies_dead', [
  BPF_EMIT_CALL(H('get_prandom_u32')), BPF_ALU64_IMM('and', 0, 7), BPF_JMP_IMM('jgt', 0, 7, 1), BPF_EXIT_INSN(),
  BPF_MOV64_REG(0, 5), BPF_EXIT_INSN(),
]);
add('range_ld32_ctx_dead', [
  BPF_LDX_MEM('w', 0, 1, 16), BPF_JMP_IMM('jle', 0, 0xffffffff, 1), BPF_MOV64_REG(0, 5), BPF_EXIT_INSN(),
]);
add('range_jmp32_reg', [
  BPF_EMIT_CALL(H('get_prandom_u32')), BPF_MOV64_IMM(1, 3), BPF_JMP32_REG('jgt', 0, 1, 1), BPF_EXIT_INSN(),
  BPF_MOV64_REG(0, 5), BPF_EXIT_INSN(),
]);
add('range_ldsx_negative', ARR_IDX([BPF_STX_MEM('b', 10, 0, -8), BPF_LDX_MEMSX('b', 0, 10, -8)]), [HASH(4, 16)]);

// ---- context ----
for (const [off, sz] of [[0, 'w'], [4, 'w'], [8, 'w'], [12, 'w'], [16, 'w'], [20, 'w'], [24, 'w'], [2, 'h'], [0, 'dw'], [0, 'b'], [1, 'w'], [-4, 'w']] as const) {
  add(`ctx_read_${off < 0 ? 'm' + -off : off}_${sz}`, [BPF_LDX_MEM(sz, 0, 1, off), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()]);
}
add('ctx_write_data', [BPF_ST_MEM('w', 1, 0, 0), ...RET()]);
add('ctx_write_reg', [BPF_MOV64_IMM(2, 0), BPF_STX_MEM('w', 1, 2, 12), ...RET()]);
add('ctx_uninit_ptr_deref', [BPF_LDX_MEM('w', 0, 2, 0), BPF_EXIT_INSN()]);
add('ctx_scalar_deref', [BPF_MOV64_IMM(2, 0), BPF_LDX_MEM('w', 0, 2, 0), BPF_EXIT_INSN()]);
add('ctx_rx_queue_value', [BPF_LDX_MEM('w', 0, 1, 16), BPF_EXIT_INSN()]);

// ---- packet ----
const PKT_CHECK = (op: string, swap: boolean, n: number, acc: number, jmpTo: 'exit' | 'ok'): Case['insns'] => {
  // r4 = data + n; compare r4 with data_end; on the "in range" side read 1 byte at data+acc.
  const body = [BPF_LDX_MEM('b', 0, 2, acc), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()];
  const cmp = swap ? BPF_JMP_REG(op, 3, 4, jmpTo === 'exit' ? 3 : 2) : BPF_JMP_REG(op, 4, 3, jmpTo === 'exit' ? 3 : 2);
  if (jmpTo === 'exit') return [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, n), cmp, ...body, ...RET(1)];
  return [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, n), cmp, BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(), ...body];
};
// Forms where the jump goes to "out of range" (fall-through is in range) and vice versa.
for (const [op, swap, to] of [
  ['jgt', false, 'exit'], ['jge', false, 'exit'], ['jlt', true, 'exit'], ['jle', true, 'exit'],
  ['jlt', false, 'ok'], ['jle', false, 'ok'], ['jgt', true, 'ok'], ['jge', true, 'ok'],
] as const) {
  for (const acc of [13, 14]) {
    add(`pkt_${swap ? 'end_' : ''}${op}_${to}_n14_acc${acc}`, PKT_CHECK(op, swap, 14, acc, to));
  }
}
add('pkt_no_check', [...PKT, BPF_LDX_MEM('b', 0, 2, 0), ...RET()]);
add('pkt_wrong_branch', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 2), ...RET(), BPF_LDX_MEM('b', 0, 2, 0), BPF_EXIT_INSN()]);
add('pkt_write_ok', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 8), BPF_JMP_REG('jgt', 4, 3, 1), BPF_ST_MEM('dw', 2, 0, 0), ...RET()]);
add('pkt_read_u16_at_end', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 2), BPF_LDX_MEM('h', 0, 2, 12), BPF_EXIT_INSN(), ...RET()]);
add('pkt_read_u16_past_end', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 2), BPF_LDX_MEM('h', 0, 2, 13), BPF_EXIT_INSN(), ...RET()]);
add('pkt_negative_off', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 2), BPF_LDX_MEM('b', 0, 2, -1), BPF_EXIT_INSN(), ...RET()]);
add('pkt_meta_check', [
  BPF_LDX_MEM('w', 2, 1, 8), BPF_LDX_MEM('w', 3, 1, 0), BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 4),
  BPF_JMP_REG('jgt', 4, 3, 2), BPF_LDX_MEM('w', 0, 2, 0), BPF_EXIT_INSN(), ...RET(),
]);
add('pkt_meta_no_check', [BPF_LDX_MEM('w', 2, 1, 8), BPF_LDX_MEM('w', 0, 2, 0), BPF_EXIT_INSN()]);
add('pkt_end_deref', [...PKT, BPF_LDX_MEM('b', 0, 3, 0), BPF_EXIT_INSN()]);
add('pkt_var_off_checked', [
  ...PKT, BPF_LDX_MEM('b', 5, 1, 16), BPF_ALU64_IMM('and', 5, 15), BPF_ALU64_REG('add', 2, 5), BPF_MOV64_REG(4, 2),
  BPF_ALU64_IMM('add', 4, 4), BPF_JMP_REG('jgt', 4, 3, 2), BPF_LDX_MEM('w', 0, 2, 0), BPF_EXIT_INSN(), ...RET(),
]);
add('pkt_var_off_unchecked', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 20), BPF_JMP_REG('jgt', 4, 3, 5), BPF_LDX_MEM('b', 5, 1, 16),
  BPF_ALU64_IMM('and', 5, 15), BPF_ALU64_REG('add', 2, 5), BPF_LDX_MEM('b', 0, 2, 0), BPF_EXIT_INSN(), ...RET(),
]);
add('pkt_range_after_adjust_head', [
  ...PKT, BPF_MOV64_REG(6, 1), BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 6),
  BPF_MOV64_REG(7, 2), BPF_MOV64_REG(1, 6), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('xdp_adjust_head')),
  BPF_LDX_MEM('b', 0, 7, 0), BPF_EXIT_INSN(), ...RET(),
]);
add('pkt_cmp_ptr_scalar', [...PKT, BPF_MOV64_IMM(4, 0), BPF_JMP_REG('jgt', 2, 4, 1), ...RET(), ...RET()]);
add('pkt_parse_eth_ip', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 34), BPF_JMP_REG('jgt', 4, 3, 6),
  BPF_LDX_MEM('h', 5, 2, 12), BPF_JMP_IMM('jne', 5, 8, 3), BPF_LDX_MEM('b', 0, 2, 23), BPF_ALU64_IMM('and', 0, 3), BPF_EXIT_INSN(),
  ...RET(),
]);

// ---- stack ----
add('stack_write_read', [BPF_ST_MEM('dw', 10, -8, 7), BPF_LDX_MEM('dw', 0, 10, -8), BPF_EXIT_INSN()]);
add('stack_read_uninit_root', [BPF_LDX_MEM('dw', 0, 10, -8), BPF_EXIT_INSN()]);
add('stack_out_of_bounds_low', [BPF_ST_MEM('dw', 10, -520, 0), ...RET()]);
add('stack_out_of_bounds_high', [BPF_ST_MEM('dw', 10, 0, 0), ...RET()]);
add('stack_read_above_fp', [BPF_LDX_MEM('dw', 0, 10, 8), BPF_EXIT_INSN()]);
add('stack_edge_512', [BPF_ST_MEM('dw', 10, -512, 0), BPF_LDX_MEM('dw', 0, 10, -512), BPF_EXIT_INSN()]);
add('stack_misaligned', [BPF_ST_MEM('w', 10, -6, 0), ...RET()]);
add('stack_misaligned_dw', [BPF_ST_MEM('dw', 10, -12, 0), ...RET()]);
add('stack_spill_fill_ctx', [BPF_STX_MEM('dw', 10, 1, -8), BPF_LDX_MEM('dw', 2, 10, -8), BPF_LDX_MEM('w', 0, 2, 0), ...RET()]);
add('stack_spill_partial_ptr', [BPF_STX_MEM('w', 10, 1, -8), ...RET()]);
add('stack_fill_partial_ptr', [BPF_STX_MEM('dw', 10, 1, -8), BPF_LDX_MEM('w', 0, 10, -8), BPF_EXIT_INSN()]);
add('stack_spill_overwritten', [BPF_STX_MEM('dw', 10, 1, -8), BPF_ST_MEM('w', 10, -4, 0), BPF_LDX_MEM('dw', 2, 10, -8), BPF_LDX_MEM('w', 0, 2, 0), ...RET()]);
add('stack_spill_const_fill', [
  BPF_MOV64_IMM(0, 3), BPF_STX_MEM('dw', 10, 0, -16), BPF_LDX_MEM('dw', 0, 10, -16), BPF_JMP_IMM('jeq', 0, 3, 1),
  BPF_MOV64_REG(0, 9), BPF_EXIT_INSN(),
]);
add('stack_zero_fill_known', [
  BPF_ST_MEM('w', 10, -4, 0), BPF_LDX_MEM('w', 0, 10, -4), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_MOV64_REG(0, 9), BPF_EXIT_INSN(),
]);
add('stack_var_off_root', [
  BPF_LDX_MEM('w', 2, 1, 16), BPF_ALU64_IMM('and', 2, 7), BPF_ALU64_IMM('sub', 2, 16), BPF_ALU64_REG('add', 2, 10),
  BPF_ST_MEM('b', 2, 0, 0), ...RET(),
]);
add('stack_var_off_oob', [
  BPF_LDX_MEM('w', 2, 1, 16), BPF_ALU64_IMM('and', 2, 15), BPF_ALU64_IMM('sub', 2, 8), BPF_ALU64_REG('add', 2, 10),
  BPF_ST_MEM('b', 2, 0, 0), ...RET(),
]);
add('stack_atomic_add', [BPF_ST_MEM('dw', 10, -8, 1), BPF_MOV64_IMM(1, 2), BPF_ATOMIC_OP('dw', 'add', 10, 1, -8), BPF_LDX_MEM('dw', 0, 10, -8), BPF_EXIT_INSN()]);
add('stack_atomic_fetch', [BPF_ST_MEM('dw', 10, -8, 1), BPF_MOV64_IMM(1, 2), BPF_ATOMIC_OP('dw', 'fetch_add', 10, 1, -8), BPF_MOV64_REG(0, 1), BPF_EXIT_INSN()]);
add('stack_atomic_ctx', [BPF_MOV64_IMM(2, 2), BPF_ATOMIC_OP('w', 'add', 1, 2, 0), ...RET()]);
add('stack_frame_depth_512', [BPF_ST_MEM('dw', 10, -512, 0), ...RET()]);

// ---- maps ----
add('map_lookup_null_check', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [HASH()]);
add('map_lookup_no_null_check', [...LOOKUP(), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [HASH()]);
add('map_lookup_jne_form', [...LOOKUP(), BPF_JMP_IMM('jne', 0, 0, 2), BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [HASH()]);
add('map_value_oob', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_LDX_MEM('dw', 0, 0, 8), BPF_EXIT_INSN()], [HASH()]);
add('map_value_oob_partial', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_LDX_MEM('dw', 0, 0, 4), BPF_EXIT_INSN()], [HASH()]);
add('map_value_negative', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_LDX_MEM('b', 0, 0, -1), BPF_EXIT_INSN()], [HASH()]);
add('map_value_write', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 2), BPF_MOV64_IMM(1, 1), BPF_STX_MEM('dw', 0, 1, 0), ...RET()], [HASH()]);
add('map_value_atomic', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 2), BPF_MOV64_IMM(1, 1), BPF_ATOMIC_OP('dw', 'add', 0, 1, 0), ...RET()], [HASH()]);
add('map_value_store_ptr_root', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_STX_MEM('dw', 0, 0, 0), ...RET()], [HASH()]);
add('map_array_lookup', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [ARRAY()]);
add('map_array_lookup_nocheck', [...LOOKUP(), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [ARRAY()]);
add('map_key_uninit_root', [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET()], [HASH()]);
add('map_key_too_big', [BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET()], [HASH(8, 8)]);
add('map_key_scalar', [BPF_MOV64_IMM(2, 0), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET()], [HASH()]);
add('map_key_ctx', [BPF_MOV64_REG(2, 1), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET()], [HASH()]);
add('map_arg_not_map', [BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_MOV64_IMM(1, 0), BPF_EMIT_CALL(1), ...RET()]);
add('map_update_ok', [
  BPF_ST_MEM('w', 10, -4, 0), BPF_ST_MEM('dw', 10, -16, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4),
  BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16), BPF_MOV64_IMM(4, 0), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(2), ...RET(),
], [HASH()]);
add('map_update_value_short', [
  BPF_ST_MEM('w', 10, -4, 0), BPF_ST_MEM('w', 10, -8, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4),
  BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8), BPF_MOV64_IMM(4, 0), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(2), ...RET(),
], [HASH(4, 16)]);
add('map_update_flags_uninit', [
  BPF_ST_MEM('w', 10, -4, 0), BPF_ST_MEM('dw', 10, -16, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4),
  BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(2), ...RET(),
], [HASH()]);
add('map_delete_ok', [BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(3), ...RET()], [HASH()]);
add('map_key_from_map_value', [
  ...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 3), BPF_MOV64_REG(2, 0), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET(),
], [HASH(4, 8)]);
add('map_value_ptr_global', [BPF_LD_MAP_VALUE(1, 0, 0), BPF_LDX_MEM('dw', 0, 1, 0), BPF_EXIT_INSN()], [ARRAY(16)]);
add('map_value_ptr_global1', [BPF_LD_MAP_VALUE(1, 0, 8), BPF_LDX_MEM('dw', 0, 1, 0), BPF_EXIT_INSN()], [{ type: 2, keySize: 4, valueSize: 16, maxEntries: 1 }]);
add('map_value_ptr_global1_oob', [BPF_LD_MAP_VALUE(1, 0, 12), BPF_LDX_MEM('dw', 0, 1, 0), BPF_EXIT_INSN()], [{ type: 2, keySize: 4, valueSize: 16, maxEntries: 1 }]);
add('map_value_ptr_global1_off_too_big', [BPF_LD_MAP_VALUE(1, 0, 16), BPF_LDX_MEM('b', 0, 1, 0), BPF_EXIT_INSN()], [{ type: 2, keySize: 4, valueSize: 16, maxEntries: 1 }]);
add('map_array_lookup_key_oob', [
  BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_IMM(2, 9), BPF_STX_MEM('w', 10, 2, -8), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8),
  BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN(),
], [ARRAY()]);
add('map_array_lookup_key_spilled', [
  BPF_MOV64_IMM(2, 1), BPF_STX_MEM('dw', 10, 2, -8), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8),
  BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN(),
], [ARRAY()]);
add('map_value_ptr_global_oob', [BPF_LD_MAP_VALUE(1, 0, 12), BPF_LDX_MEM('dw', 0, 1, 0), BPF_EXIT_INSN()], [ARRAY(16)]);
add('map_value_null_both_regs', [
  ...LOOKUP(), BPF_MOV64_REG(6, 0), BPF_JMP_IMM('jeq', 0, 0, 2), BPF_LDX_MEM('dw', 0, 6, 0), BPF_EXIT_INSN(), ...RET(),
], [HASH()]);
add('map_push_queue', [BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_MOV64_IMM(3, 0), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_push_elem')), ...RET()], [QUEUE]);
add('map_pop_queue_uninit', [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_pop_elem')), BPF_LDX_MEM('dw', 0, 10, -8), BPF_EXIT_INSN()], [QUEUE]);
add('map_push_on_hash', [BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_MOV64_IMM(3, 0), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_push_elem')), ...RET()], [HASH()]);
add('map_lookup_prog_array', [...LOOKUP(), ...RET()], [PROG_ARRAY]);

// ---- helpers ----
add('helper_ktime', [BPF_EMIT_CALL(H('ktime_get_ns')), BPF_EXIT_INSN()]);
add('helper_boot_ns', [BPF_EMIT_CALL(H('ktime_get_boot_ns')), BPF_EXIT_INSN()]);
add('helper_prandom', [BPF_EMIT_CALL(H('get_prandom_u32')), BPF_EXIT_INSN()]);
add('helper_smp_id', [BPF_EMIT_CALL(H('get_smp_processor_id')), BPF_EXIT_INSN()]);
add('helper_jiffies', [BPF_EMIT_CALL(H('jiffies64')), BPF_EXIT_INSN()]);
add('helper_pid_tgid_forbidden', [BPF_EMIT_CALL(H('get_current_pid_tgid')), BPF_EXIT_INSN()]);
add('helper_skb_store_forbidden', [BPF_EMIT_CALL(H('skb_store_bytes')), ...RET()]);
add('helper_redirect', [BPF_MOV64_IMM(1, 1), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('redirect')), BPF_EXIT_INSN()]);
add('helper_redirect_uninit_arg', [BPF_MOV64_IMM(1, 1), BPF_EMIT_CALL(H('redirect')), BPF_EXIT_INSN()]);
add('helper_redirect_map', [BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(2, 0), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('redirect_map')), BPF_EXIT_INSN()], [DEVMAP]);
add('helper_redirect_map_hash', [BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(2, 0), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('redirect_map')), BPF_EXIT_INSN()], [HASH()]);
add('helper_adjust_head', [BPF_MOV64_IMM(2, 14), BPF_EMIT_CALL(H('xdp_adjust_head')), BPF_EXIT_INSN()]);
add('helper_adjust_head_bad_ctx', [BPF_MOV64_REG(1, 10), BPF_MOV64_IMM(2, 14), BPF_EMIT_CALL(H('xdp_adjust_head')), BPF_EXIT_INSN()]);
add('helper_adjust_head_mod_ctx', [BPF_ALU64_IMM('add', 1, 4), BPF_MOV64_IMM(2, 14), BPF_EMIT_CALL(H('xdp_adjust_head')), BPF_EXIT_INSN()]);
add('helper_adjust_tail', [BPF_MOV64_IMM(2, -4), BPF_EMIT_CALL(H('xdp_adjust_tail')), BPF_EXIT_INSN()]);
add('helper_adjust_meta', [BPF_MOV64_IMM(2, -4), BPF_EMIT_CALL(H('xdp_adjust_meta')), BPF_EXIT_INSN()]);
add('helper_pkt_invalidated', [...PKT, BPF_MOV64_REG(6, 2), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('xdp_adjust_head')), BPF_LDX_MEM('b', 0, 6, 0), BPF_EXIT_INSN()]);
add('helper_buff_len', [BPF_EMIT_CALL(H('xdp_get_buff_len')), BPF_EXIT_INSN()]);
add('helper_load_bytes', [BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16), BPF_MOV64_IMM(4, 16), BPF_EMIT_CALL(H('xdp_load_bytes')), BPF_LDX_MEM('dw', 0, 10, -16), BPF_EXIT_INSN()]);
add('helper_load_bytes_too_big', [BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16), BPF_MOV64_IMM(4, 17), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET()]);
add('helper_load_bytes_zero', [BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET()]);
add('helper_load_bytes_var_size', [
  BPF_LDX_MEM('w', 4, 1, 16), BPF_ALU64_IMM('and', 4, 15), BPF_ALU64_IMM('add', 4, 1), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10),
  BPF_ALU64_IMM('add', 3, -16), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET(),
]);
add('helper_load_bytes_unbounded', [
  BPF_LDX_MEM('w', 4, 1, 16), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -16), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET(),
]);
add('helper_store_bytes', [BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8), BPF_MOV64_IMM(4, 8), BPF_EMIT_CALL(H('xdp_store_bytes')), ...RET()]);
add('helper_csum_diff', [BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8), BPF_MOV64_IMM(4, 8), BPF_MOV64_IMM(5, 0), BPF_EMIT_CALL(H('csum_diff')), BPF_EXIT_INSN()]);
add('helper_csum_diff_pkt', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 20), BPF_JMP_REG('jgt', 4, 3, 7), BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(5, 0),
  BPF_MOV64_REG(3, 2), BPF_MOV64_IMM(2, 0), BPF_MOV64_IMM(4, 20), BPF_EMIT_CALL(H('csum_diff')), BPF_EXIT_INSN(), ...RET(),
]);
add('helper_csum_diff_pkt_short', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 16), BPF_JMP_REG('jgt', 4, 3, 7), BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(5, 0),
  BPF_MOV64_REG(3, 2), BPF_MOV64_IMM(2, 0), BPF_MOV64_IMM(4, 20), BPF_EMIT_CALL(H('csum_diff')), BPF_EXIT_INSN(), ...RET(),
]);
add('helper_trace_printk', [BPF_ST_MEM('dw', 10, -8, 0x6968), BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, -8), BPF_MOV64_IMM(2, 8), BPF_EMIT_CALL(H('trace_printk')), ...RET()]);
add('helper_trace_printk_uninit_root', [BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, -8), BPF_MOV64_IMM(2, 8), BPF_EMIT_CALL(H('trace_printk')), ...RET()]);
add('helper_fib_lookup', [BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -64), ...Array.from({ length: 8 }, (_, k) => BPF_ST_MEM('dw', 10, -64 + 8 * k, 0)), BPF_MOV64_IMM(3, 64), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('fib_lookup')), BPF_EXIT_INSN()]);
add('helper_tail_call', [BPF_LD_MAP_FD(2, 0), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('tail_call')), ...RET()], [PROG_ARRAY]);
add('helper_tail_call_hash', [BPF_LD_MAP_FD(2, 0), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('tail_call')), ...RET()], [HASH()]);
add('helper_tail_call_r0', [BPF_LD_MAP_FD(2, 0), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('tail_call')), BPF_EXIT_INSN()], [PROG_ARRAY]);
add('helper_ringbuf_output', [BPF_ST_MEM('dw', 10, -8, 0), BPF_LD_MAP_FD(1, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_MOV64_IMM(3, 8), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('ringbuf_output')), ...RET()], [RINGBUF]);
add('helper_ringbuf_query', [BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_query')), ...RET()], [RINGBUF]);
const RESERVE = [BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(2, 16), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('ringbuf_reserve'))];
add('helper_ringbuf_reserve_submit', [...RESERVE, BPF_JMP_IMM('jeq', 0, 0, 5), BPF_ST_MEM('dw', 0, 8, 1), BPF_MOV64_REG(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_submit')), ...RET(), ...RET()], [RINGBUF]);
add('helper_ringbuf_reserve_discard', [...RESERVE, BPF_JMP_IMM('jeq', 0, 0, 3), BPF_MOV64_REG(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_discard')), ...RET()], [RINGBUF]);
add('helper_ringbuf_leak', [...RESERVE, BPF_JMP_IMM('jeq', 0, 0, 0), ...RET()], [RINGBUF]);
add('helper_ringbuf_no_null_check', [...RESERVE, BPF_MOV64_REG(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_submit')), ...RET()], [RINGBUF]);
add('helper_ringbuf_oob', [...RESERVE, BPF_JMP_IMM('jeq', 0, 0, 5), BPF_ST_MEM('dw', 0, 16, 1), BPF_MOV64_REG(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_submit')), ...RET(), ...RET()], [RINGBUF]);
add('helper_ringbuf_var_size', [BPF_LDX_MEM('w', 2, 1, 16), BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('ringbuf_reserve')), ...RET()], [RINGBUF]);
add('helper_ringbuf_use_after_submit', [...RESERVE, BPF_JMP_IMM('jeq', 0, 0, 6), BPF_MOV64_REG(6, 0), BPF_MOV64_REG(1, 0), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_submit')), BPF_ST_MEM('dw', 6, 0, 1), ...RET(), ...RET()], [RINGBUF]);
add('helper_ringbuf_submit_offset', [...RESERVE, BPF_JMP_IMM('jeq', 0, 0, 6), BPF_MOV64_REG(1, 0), BPF_ALU64_IMM('add', 1, 8), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('ringbuf_submit')), ...RET(), ...RET()], [RINGBUF]);
add('helper_ringbuf_on_hash', [BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(2, 16), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('ringbuf_reserve')), ...RET()], [HASH()]);

// ---- bpf-to-bpf calls ----
add('call_simple', [BPF_MOV64_IMM(1, 3), BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_MOV64_REG(0, 1), BPF_ALU64_IMM('add', 0, 1), BPF_EXIT_INSN()]);
add('call_r6_not_passed', [BPF_MOV64_IMM(6, 3), BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_MOV64_REG(0, 6), BPF_EXIT_INSN()]);
add('call_r0_uninit_in_callee', [BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_EXIT_INSN()]);
add('call_returns_ptr', [BPF_CALL_REL(2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(), BPF_MOV64_REG(0, 10), BPF_EXIT_INSN()]);
add('call_caller_stack_ptr', [
  BPF_ST_MEM('dw', 10, -8, 5), BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, -8), BPF_CALL_REL(1), BPF_EXIT_INSN(),
  BPF_LDX_MEM('dw', 0, 1, 0), BPF_EXIT_INSN(),
]);
add('call_caller_stack_oob', [
  BPF_ST_MEM('dw', 10, -8, 5), BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, -8), BPF_CALL_REL(1), BPF_EXIT_INSN(),
  BPF_LDX_MEM('dw', 0, 1, 8), BPF_EXIT_INSN(),
]);
add('call_r1_clobbered_after', [BPF_MOV64_IMM(1, 3), BPF_CALL_REL(2), BPF_MOV64_REG(0, 1), BPF_EXIT_INSN(), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]);
add('call_invalid_target', [BPF_CALL_REL(5), ...RET()]);
add('call_ctx_helper_in_callee', [BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_MOV64_IMM(2, 0), BPF_EMIT_CALL(H('xdp_adjust_head')), BPF_EXIT_INSN()]);
add('call_jump_across_subprog', [BPF_CALL_REL(2), BPF_JMP_A(2), BPF_EXIT_INSN(), ...RET()]);
add('call_nested_3', [
  BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_CALL_REL(1), BPF_EXIT_INSN(), ...RET(),
]);
add('call_stack_in_callee', [BPF_CALL_REL(1), BPF_EXIT_INSN(), BPF_ST_MEM('dw', 10, -8, 3), BPF_LDX_MEM('dw', 0, 10, -8), BPF_EXIT_INSN()]);

// ---- callbacks (bpf_loop, bpf_for_each_map_elem) ----
/** r1 = n, r2 = callback at slot 8, r3 = ctx, r4 = 0, call bpf_loop; the callback follows. */
const LOOP = (ctx: Case['insns'], cb: Case['insns'], n = 10) => [
  BPF_MOV64_IMM(1, n), BPF_LD_FUNC(2, 6 - ctx.length + ctx.length), ...ctx, BPF_MOV64_IMM(4, 0),
  BPF_EMIT_CALL(H('loop')), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(), ...cb,
];
const NOCTX = [BPF_MOV64_IMM(3, 0)];
add('cb_loop_ok', LOOP(NOCTX, [BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]));
add('cb_loop_ret_2', LOOP(NOCTX, [BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()]));
add('cb_loop_ret_unknown', LOOP(NOCTX, [BPF_MOV64_REG(0, 1), BPF_EXIT_INSN()]));
add('cb_loop_ret_masked', LOOP(NOCTX, [BPF_MOV64_REG(0, 1), BPF_ALU64_IMM('and', 0, 1), BPF_EXIT_INSN()]));
add('cb_loop_r0_uninit', LOOP(NOCTX, [BPF_EXIT_INSN()]));
add('cb_loop_ret_ptr', LOOP(NOCTX, [BPF_MOV64_REG(0, 10), BPF_EXIT_INSN()]));
add('cb_loop_ctx_read', [BPF_ST_MEM('dw', 10, -8, 0),
  ...LOOP([BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8)], [BPF_LDX_MEM('dw', 0, 2, 0), BPF_ALU64_IMM('and', 0, 1), BPF_EXIT_INSN()]).map((x, k) => (k === 1 ? BPF_LD_FUNC(2, 7) : x))]);
add('cb_loop_ctx_oob', [BPF_ST_MEM('dw', 10, -8, 0),
  ...LOOP([BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8)], [BPF_LDX_MEM('dw', 0, 2, 8), BPF_ALU64_IMM('and', 0, 1), BPF_EXIT_INSN()]).map((x, k) => (k === 1 ? BPF_LD_FUNC(2, 7) : x))]);
add('cb_loop_ctx_write_counter', [BPF_ST_MEM('dw', 10, -8, 0),
  ...LOOP([BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8)], [
    BPF_LDX_MEM('dw', 0, 2, 0), BPF_ALU64_IMM('add', 0, 1), BPF_STX_MEM('dw', 2, 0, 0), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(),
  ]).map((x, k) => (k === 1 ? BPF_LD_FUNC(2, 7) : x))]);
add('cb_loop_not_func', [BPF_MOV64_IMM(1, 1), BPF_MOV64_IMM(2, 0), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('loop')), ...RET()]);
add('cb_for_each_hash', [
  BPF_LD_MAP_FD(1, 0), BPF_LD_FUNC(2, 5), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('for_each_map_elem')),
  ...RET(), BPF_LDX_MEM('dw', 0, 3, 0), BPF_ALU64_IMM('and', 0, 1), BPF_EXIT_INSN(),
], [HASH()]);
add('cb_for_each_value_oob', [
  BPF_LD_MAP_FD(1, 0), BPF_LD_FUNC(2, 5), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('for_each_map_elem')),
  ...RET(), BPF_LDX_MEM('dw', 0, 3, 8), BPF_ALU64_IMM('and', 0, 1), BPF_EXIT_INSN(),
], [HASH()]);

// ---- more scalar and pointer forms ----
add('more_st_nonzero_key_array', [
  BPF_ST_MEM('w', 10, -4, 2), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1),
  BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN(),
], [ARRAY()]);
add('more_sdiv_reg', [BPF_MOV64_IMM(0, -7), BPF_MOV64_IMM(1, 2), BPF_RAW_INSN(0x3f, 0, 1, 1, 0), BPF_EXIT_INSN()]);
add('more_movsx', [BPF_MOV64_IMM(1, 0xff), BPF_RAW_INSN(0xbf, 0, 1, 8, 0), BPF_EXIT_INSN()]);
add('more_bswap', [BPF_MOV64_IMM(0, 0x1234), BPF_RAW_INSN(0xd7, 0, 0, 0, 16), BPF_EXIT_INSN()]);
add('more_alu32_sub_wrap', ARR_IDX([BPF_ALU64_IMM('and', 0, 7), BPF_ALU32_IMM('sub', 0, 8)]), [HASH(4, 16)]);
add('more_arsh_bounds', ARR_IDX([BPF_ALU64_IMM('and', 0, 255), BPF_ALU64_IMM('arsh', 0, 4)]), [HASH(4, 16)]);
add('more_lsh_overflow', ARR_IDX([BPF_ALU64_IMM('and', 0, 3), BPF_ALU64_IMM('lsh', 0, 3)]), [HASH(4, 16)]);
add('more_jset_refine', ARR_IDX([BPF_ALU64_IMM('and', 0, 31), BPF_JMP_IMM('jset', 0, 16, 1), BPF_JMP_A(2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('more_jne_edge', ARR_IDX([BPF_ALU64_IMM('and', 0, 16), BPF_JMP_IMM('jne', 0, 16, 2), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN()]), [HASH(4, 16)]);
add('more_jeq_reg_reg', [
  BPF_EMIT_CALL(H('get_prandom_u32')), BPF_MOV64_REG(6, 0), BPF_EMIT_CALL(H('get_prandom_u32')), BPF_JMP_REG('jeq', 0, 6, 1),
  BPF_EXIT_INSN(), BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(),
]);
add('more_pkt_jmp32_no_proof', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP32_REG('jgt', 4, 3, 2), BPF_LDX_MEM('b', 0, 2, 0), BPF_EXIT_INSN(), ...RET()]);
add('more_pkt_two_checks', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 6), BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 34),
  BPF_JMP_REG('jgt', 4, 3, 3), BPF_LDX_MEM('w', 0, 2, 30), BPF_ALU64_IMM('and', 0, 1), BPF_EXIT_INSN(), ...RET(),
]);
add('more_pkt_store_after_check', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 6), BPF_JMP_REG('jgt', 4, 3, 2), BPF_MOV64_IMM(5, 1), BPF_STX_MEM('h', 2, 5, 4), ...RET()]);
add('more_pkt_ptr_sub', [...PKT, BPF_MOV64_REG(0, 3), BPF_ALU64_REG('sub', 0, 2), BPF_EXIT_INSN()]);
add('more_ctx_ptr_return', [BPF_LDX_MEM('w', 0, 1, 0), BPF_EXIT_INSN()]);
add('more_map_value_var_off_ok', [
  ...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 5), BPF_LDX_MEM('w', 1, 0, 0), BPF_ALU64_IMM('and', 1, 12), BPF_ALU64_REG('add', 0, 1),
  BPF_LDX_MEM('w', 0, 0, 0), BPF_EXIT_INSN(), ...RET(),
], [HASH(4, 16)]);
add('more_map_value_var_off_bad', [
  ...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 5), BPF_LDX_MEM('w', 1, 0, 0), BPF_ALU64_IMM('and', 1, 12), BPF_ALU64_REG('add', 0, 1),
  BPF_LDX_MEM('dw', 0, 0, 4), BPF_EXIT_INSN(), ...RET(),
], [HASH(4, 16)]);
add('more_stack_spill_pkt_fill', [
  ...PKT, BPF_STX_MEM('dw', 10, 2, -8), BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 4), BPF_JMP_REG('jgt', 4, 3, 3),
  BPF_LDX_MEM('dw', 5, 10, -8), BPF_LDX_MEM('w', 0, 5, 0), BPF_EXIT_INSN(), ...RET(),
]);
add('more_helper_ctx_as_key', [BPF_LD_MAP_FD(1, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_MOV64_IMM(3, 0), BPF_EMIT_CALL(H('redirect_map')), BPF_EXIT_INSN()], [DEVMAP]);
add('more_call_depth_9', [
  ...Array.from({ length: 9 }, () => [BPF_CALL_REL(1), BPF_EXIT_INSN()]).flat(), ...RET(),
]);
add('more_call_stack_combined', [
  BPF_ST_MEM('dw', 10, -512, 0), BPF_CALL_REL(2), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(), BPF_ST_MEM('dw', 10, -512, 0), ...RET(),
]);

// ---- realistic helper combinations ----
const PERCPU_ARRAY: CaseMap = { type: 6, keySize: 4, valueSize: 8, maxEntries: 4 };
const LRU: CaseMap = { type: 9, keySize: 4, valueSize: 8, maxEntries: 16 };
const LPM: CaseMap = { type: 11, keySize: 8, valueSize: 8, maxEntries: 16, flags: 1 };
add('real_percpu_array_lookup', [...LOOKUP(), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [PERCPU_ARRAY]);
add('real_lru_lookup_nocheck', [...LOOKUP(), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [LRU]);
add('real_lpm_lookup', [
  BPF_ST_MEM('w', 10, -8, 32), BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_LD_MAP_FD(1, 0),
  BPF_EMIT_CALL(1), BPF_JMP_IMM('jeq', 0, 0, 1), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN(),
], [LPM]);
add('real_key_from_packet', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 30), BPF_JMP_REG('jgt', 4, 3, 5), BPF_MOV64_REG(2, 2), BPF_ALU64_IMM('add', 2, 26),
  BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET(), ...RET(),
], [HASH()]);
add('real_key_from_packet_short', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 28), BPF_JMP_REG('jgt', 4, 3, 5), BPF_MOV64_REG(2, 2), BPF_ALU64_IMM('add', 2, 26),
  BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(1), ...RET(), ...RET(),
], [HASH()]);
add('real_update_value_from_map', [
  ...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 7), BPF_MOV64_REG(3, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_MOV64_IMM(4, 0),
  BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(2), ...RET(),
], [HASH()]);
add('real_ringbuf_output_pkt', [
  ...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 14), BPF_JMP_REG('jgt', 4, 3, 6), BPF_LD_MAP_FD(1, 0), BPF_MOV64_IMM(3, 14),
  BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('ringbuf_output')), ...RET(),
], [RINGBUF]);
add('real_load_bytes_into_map_value', [
  BPF_MOV64_REG(6, 1), ...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 5), BPF_MOV64_REG(1, 6), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 0),
  BPF_MOV64_IMM(4, 8), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET(),
], [HASH()]);
add('real_load_bytes_into_map_value_oob', [
  BPF_MOV64_REG(6, 1), ...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 5), BPF_MOV64_REG(1, 6), BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 0),
  BPF_MOV64_IMM(4, 9), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET(),
], [HASH()]);
add('real_csum_diff_null_from', [BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(2, 0), BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8), BPF_MOV64_IMM(4, 8), BPF_MOV64_IMM(5, 0), BPF_EMIT_CALL(H('csum_diff')), BPF_EXIT_INSN()]);
add('real_csum_diff_size_not_mult', [BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(2, 0), BPF_ST_MEM('dw', 10, -8, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -8), BPF_MOV64_IMM(4, 6), BPF_MOV64_IMM(5, 0), BPF_EMIT_CALL(H('csum_diff')), BPF_EXIT_INSN()]);
add('real_adjust_tail_reload', [
  BPF_MOV64_REG(6, 1), BPF_MOV64_IMM(2, -4), BPF_EMIT_CALL(H('xdp_adjust_tail')), BPF_LDX_MEM('w', 2, 6, 0), BPF_LDX_MEM('w', 3, 6, 4),
  BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 1), BPF_JMP_REG('jgt', 4, 3, 2), BPF_LDX_MEM('b', 0, 2, 0), BPF_EXIT_INSN(), ...RET(),
]);
add('real_tail_call_then_pass', [BPF_MOV64_REG(6, 1), BPF_LD_MAP_FD(2, 0), BPF_MOV64_IMM(3, 1), BPF_EMIT_CALL(H('tail_call')), BPF_LDX_MEM('w', 0, 6, 12), ...RET()], [PROG_ARRAY]);
add('real_redirect_map_return', [BPF_LD_MAP_FD(1, 0), BPF_LDX_MEM('w', 2, 1, 0), BPF_MOV64_IMM(3, 2), BPF_EMIT_CALL(H('redirect_map')), BPF_EXIT_INSN()], [DEVMAP]);
add('real_double_null_check', [...LOOKUP(), BPF_JMP_IMM('jeq', 0, 0, 3), BPF_JMP_IMM('jeq', 0, 0, 2), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN(), ...RET()], [HASH()]);
add('real_null_check_jne_reg', [...LOOKUP(), BPF_MOV64_IMM(1, 0), BPF_JMP_REG('jne', 0, 1, 1), BPF_EXIT_INSN(), BPF_LDX_MEM('dw', 0, 0, 0), BPF_EXIT_INSN()], [HASH()]);
add('real_pkt_ptr_compare_pkt', [...PKT, BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 8), BPF_JMP_REG('jgt', 4, 2, 1), ...RET(), ...RET()]);
add('real_mov32_ptr_root', [BPF_MOV32_REG(2, 10), BPF_MOV64_REG(0, 2), BPF_ALU64_IMM('and', 0, 3), BPF_EXIT_INSN()]);
add('real_stack_u16_of_const', [BPF_MOV64_IMM(1, 0x1234), BPF_STX_MEM('dw', 10, 1, -8), BPF_LDX_MEM('h', 0, 10, -8), BPF_EXIT_INSN()]);
add('real_stack_partial_overlap', [BPF_ST_MEM('dw', 10, -16, 0), BPF_ST_MEM('w', 10, -12, 5), BPF_LDX_MEM('dw', 0, 10, -16), BPF_EXIT_INSN()]);
add('real_get_buff_len_bound', [
  BPF_MOV64_REG(6, 1), BPF_EMIT_CALL(H('xdp_get_buff_len')), BPF_JMP_IMM('jgt', 0, 64, 6), BPF_MOV64_REG(4, 0), BPF_MOV64_REG(1, 6),
  BPF_MOV64_IMM(2, 0), BPF_MOV64_REG(3, 10), BPF_ALU64_IMM('add', 3, -64), BPF_EMIT_CALL(H('xdp_load_bytes')), ...RET(),
]);
add('real_meta_adjust_then_access', [
  BPF_MOV64_REG(6, 1), BPF_MOV64_IMM(2, -8), BPF_EMIT_CALL(H('xdp_adjust_meta')), BPF_LDX_MEM('w', 2, 6, 8), BPF_LDX_MEM('w', 3, 6, 0),
  BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 8), BPF_JMP_REG('jgt', 4, 3, 2), BPF_ST_MEM('dw', 2, 0, 7), ...RET(), ...RET(),
]);

add('real_map_ptr_write', [BPF_LD_MAP_FD(1, 0), BPF_ST_MEM('w', 1, 0, 0), ...RET()], [HASH()]);
add('real_map_ptr_read_neg', [BPF_LD_MAP_FD(1, 0), BPF_LDX_MEM('w', 0, 1, -8), BPF_EXIT_INSN()], [HASH()]);

// ---- limits and loops ----
add('loop_pkt_parse_bounded', [
  ...PKT, BPF_MOV64_IMM(0, 0), BPF_MOV64_IMM(5, 0),
  BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 1), BPF_JMP_REG('jgt', 4, 3, 5), BPF_LDX_MEM('b', 6, 2, 0), BPF_ALU64_REG('add', 0, 6),
  BPF_ALU64_IMM('add', 2, 1), BPF_ALU64_IMM('add', 5, 1), BPF_JMP_IMM('jlt', 5, 16, -8), BPF_EXIT_INSN(),
]);
add('loop_stack_sum', [
  BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(0, 0), BPF_ALU64_REG('add', 0, 1), BPF_ALU64_IMM('add', 1, 1), BPF_JMP_IMM('jle', 1, 50, -3), BPF_EXIT_INSN(),
]);
add('loop_nested', [
  BPF_MOV64_IMM(0, 0), BPF_MOV64_IMM(1, 0), BPF_MOV64_IMM(2, 0), BPF_ALU64_IMM('add', 0, 1), BPF_ALU64_IMM('add', 2, 1),
  BPF_JMP_IMM('jlt', 2, 5, -3), BPF_ALU64_IMM('add', 1, 1), BPF_JMP_IMM('jlt', 1, 5, -6), BPF_EXIT_INSN(),
]);
add('loop_down_count', [BPF_MOV64_IMM(0, 20), BPF_ALU64_IMM('sub', 0, 1), BPF_JMP_IMM('jne', 0, 0, -2), BPF_EXIT_INSN()]);
add('loop_never_ends_jmp32', [BPF_MOV32_IMM(0, 0), BPF_ALU32_IMM('add', 0, 2), BPF_JMP32_IMM('jne', 0, 1, -2), BPF_EXIT_INSN()]);
add('branch_many_paths', [
  BPF_LDX_MEM('w', 2, 1, 16), BPF_MOV64_IMM(0, 0),
  ...Array.from({ length: 8 }, (_, k) => [BPF_JMP_IMM('jset', 2, 1 << k, 1), BPF_ALU64_IMM('add', 0, 1)]).flat(),
  BPF_EXIT_INSN(),
]);
add('branch_many_paths_stack', [
  BPF_LDX_MEM('w', 2, 1, 16), BPF_MOV64_IMM(0, 0),
  ...Array.from({ length: 12 }, (_, k) => [BPF_JMP_IMM('jset', 2, 1 << k, 1), BPF_ST_MEM('dw', 10, -8 * (k + 1), k)]).flat(),
  BPF_EXIT_INSN(),
]);

/** The whole corpus. */
export const CORPUS: readonly Case[] = [...cases, ...BOUNDS_CASES, ...STATE_CASES, ...STACK_CASES];
