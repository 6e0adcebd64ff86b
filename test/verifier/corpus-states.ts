/**
 * Corpus cases for the verifier's state exploration: precision tracking (what must stay exact
 * for pruning to be safe), state pruning and checkpoint counts (the whole `processed ... total_states
 * ... peak_states` line), loops, may_goto, bpf-to-bpf call depth and combined stack size.
 * Written here; the kernel's verdicts are recorded with the rest of the corpus.
 */
import { helperId } from '../../src/isa';
import {
  BPF_ALU64_IMM, BPF_ALU64_REG, BPF_CALL_REL, BPF_EMIT_CALL, BPF_EXIT_INSN, BPF_JMP_A, BPF_JMP_IMM, BPF_JMP_REG,
  BPF_LDX_MEM, BPF_LD_FUNC, BPF_LD_MAP_FD, BPF_MOV64_IMM, BPF_MOV64_REG, BPF_RAW_INSN, BPF_STX_MEM, BPF_ST_MEM,
  type Case, type CaseMap,
} from './builder';

const H = (n: string): number => helperId(n)!;
const ARRAY48: CaseMap = { type: 2, keySize: 4, valueSize: 48, maxEntries: 4 };
/** r6 = rx_queue_index (an unknown u32). */
const UNKNOWN6 = [BPF_LDX_MEM('w', 6, 1, 16)];
/** r7 = a non-NULL value of map 0 (48 bytes), or return 1. */
const VALUE7 = [
  BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0),
  BPF_EMIT_CALL(H('map_lookup_elem')), BPF_JMP_IMM('jne', 0, 0, 2), BPF_MOV64_IMM(0, 1), BPF_EXIT_INSN(), BPF_MOV64_REG(7, 0),
];
/** `may_goto +off` (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO = 0). */
const MAY_GOTO = (off: number) => BPF_RAW_INSN(0xe5, 0, 0, off, 0);
/** n if/else diamonds on bits of r6, each side touching `side(k, taken)`. */
const diamonds = (n: number, side: (k: number, taken: boolean) => Case['insns'][number]) =>
  Array.from({ length: n }, (_, k) => [
    BPF_MOV64_REG(1, 6), BPF_ALU64_IMM('and', 1, 1 << (k % 31)), BPF_JMP_IMM('jeq', 1, 0, 2), side(k, true), BPF_JMP_A(1), side(k, false),
  ]).flat();

const cases: Case[] = [];
const add = (name: string, insns: Case['insns'], maps?: CaseMap[]): void => {
  cases.push({ name, insns, ...(maps ? { maps } : {}) });
};

// ---- precision: imprecise scalars let independent paths merge ----
add('prec_diamonds_20_or_bits', [
  ...UNKNOWN6, BPF_MOV64_IMM(0, 0),
  ...diamonds(20, (k, t) => (t ? BPF_ALU64_IMM('or', 0, 1 << k) : BPF_ALU64_IMM('or', 0, 0))),
  BPF_ALU64_IMM('and', 0, 3), BPF_EXIT_INSN(),
]);
add('prec_diamonds_20_stack_consts', [
  ...UNKNOWN6, BPF_MOV64_IMM(0, 2),
  ...diamonds(20, (k, t) => BPF_ST_MEM('dw', 10, -8 * ((k % 8) + 1), t ? k : -k)),
  BPF_EXIT_INSN(),
]);
add('prec_diamonds_6_offset_used', [
  ...UNKNOWN6, ...VALUE7, BPF_MOV64_IMM(0, 0),
  ...diamonds(6, (k, t) => (t ? BPF_ALU64_IMM('or', 0, 1 << (k % 3)) : BPF_ALU64_IMM('or', 0, 0))),
  BPF_ALU64_REG('add', 7, 0), BPF_LDX_MEM('dw', 0, 7, 0), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
], [ARRAY48]);
add('prec_diamonds_6_offset_oob', [
  ...UNKNOWN6, ...VALUE7, BPF_MOV64_IMM(0, 0),
  ...diamonds(6, (k, t) => (t ? BPF_ALU64_IMM('or', 0, 8 << (k % 3)) : BPF_ALU64_IMM('or', 0, 0))),
  BPF_ALU64_REG('add', 7, 0), BPF_LDX_MEM('dw', 0, 7, 0), BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
], [ARRAY48]);

// ---- precision: the second path differs only in a value used later as an offset ----
const twoPaths = (safe: number, unsafe: number, via: Case['insns'], use: Case['insns']) => [
  ...UNKNOWN6, ...VALUE7, BPF_MOV64_IMM(2, unsafe), BPF_JMP_IMM('jeq', 6, 7, 1), BPF_MOV64_IMM(2, safe),
  ...via,
  BPF_JMP_IMM('jgt', 6, 100, 0), BPF_JMP_IMM('jgt', 6, 200, 0), BPF_MOV64_IMM(4, 0), BPF_MOV64_IMM(5, 0),
  BPF_MOV64_IMM(8, 0), BPF_MOV64_IMM(9, 0), BPF_JMP_IMM('jgt', 6, 300, 0), BPF_MOV64_IMM(4, 1),
  ...use, BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
];
add('prec_reg_offset_oob', twoPaths(0, 48, [], [BPF_ALU64_REG('add', 7, 2), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_reg_offset_ok', twoPaths(0, 40, [], [BPF_ALU64_REG('add', 7, 2), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_spill_fill_offset_oob', twoPaths(0, 48, [BPF_STX_MEM('dw', 10, 2, -16), BPF_MOV64_IMM(2, 0)],
  [BPF_LDX_MEM('dw', 3, 10, -16), BPF_ALU64_REG('add', 7, 3), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_spill_fill_offset_ok', twoPaths(0, 40, [BPF_STX_MEM('dw', 10, 2, -16), BPF_MOV64_IMM(2, 0)],
  [BPF_LDX_MEM('dw', 3, 10, -16), BPF_ALU64_REG('add', 7, 3), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_alu_chain_oob', twoPaths(0, 12, [BPF_MOV64_REG(3, 2), BPF_ALU64_IMM('lsh', 3, 2)],
  [BPF_ALU64_REG('add', 7, 3), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_alu_reg_chain_oob', twoPaths(0, 40, [BPF_MOV64_IMM(3, 8), BPF_ALU64_REG('add', 3, 2)],
  [BPF_ALU64_REG('add', 7, 3), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_branch_decided_oob', twoPaths(0, 1, [],
  [BPF_JMP_IMM('jeq', 2, 0, 1), BPF_ALU64_IMM('add', 7, 48), BPF_LDX_MEM('dw', 0, 7, 0)]), [ARRAY48]);
add('prec_helper_size_oob', twoPaths(8, 16, [BPF_ST_MEM('dw', 10, -8, 0)],
  [BPF_MOV64_REG(1, 10), BPF_ALU64_IMM('add', 1, -8), BPF_MOV64_REG(3, 1), BPF_MOV64_IMM(5, 0), BPF_MOV64_IMM(4, 8),
    BPF_EMIT_CALL(H('csum_diff'))]), [ARRAY48]);
add('prec_call_arg_offset_oob', [
  ...twoPaths(0, 48, [], [BPF_MOV64_REG(1, 2), BPF_CALL_REL(4), BPF_ALU64_REG('add', 7, 0), BPF_LDX_MEM('dw', 0, 7, 0)]),
  BPF_MOV64_REG(0, 1), BPF_EXIT_INSN(),
], [ARRAY48]);
add('prec_call_arg_offset_ok', [
  ...twoPaths(0, 40, [], [BPF_MOV64_REG(1, 2), BPF_CALL_REL(4), BPF_ALU64_REG('add', 7, 0), BPF_LDX_MEM('dw', 0, 7, 0)]),
  BPF_MOV64_REG(0, 1), BPF_EXIT_INSN(),
], [ARRAY48]);

// ---- loops ----
add('loop_counter_imprecise', [
  ...UNKNOWN6, BPF_MOV64_IMM(0, 0), BPF_MOV64_IMM(2, 0),
  BPF_JMP_IMM('jset', 6, 1, 1), BPF_ALU64_IMM('add', 0, 3), BPF_ALU64_IMM('add', 2, 1), BPF_JMP_IMM('jlt', 2, 30, -4),
  BPF_ALU64_IMM('and', 0, 3), BPF_EXIT_INSN(),
]);
add('loop_ptr_compare_infinite', [
  BPF_LDX_MEM('w', 2, 1, 0), BPF_LDX_MEM('w', 3, 1, 4), BPF_MOV64_REG(4, 2), BPF_JMP_REG('jgt', 4, 3, 1), BPF_JMP_A(-2),
  BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
]);
add('loop_may_goto', [BPF_MOV64_IMM(0, 0), MAY_GOTO(2), BPF_ALU64_IMM('add', 0, 1), BPF_JMP_A(-3), BPF_ALU64_IMM('and', 0, 3), BPF_EXIT_INSN()]);
add('loop_may_goto_stack_counter', [
  BPF_ST_MEM('dw', 10, -8, 0), MAY_GOTO(4), BPF_LDX_MEM('dw', 1, 10, -8), BPF_ALU64_IMM('add', 1, 1), BPF_STX_MEM('dw', 10, 1, -8), BPF_JMP_A(-5),
  BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(),
]);
add('loop_may_goto_reserved', [BPF_MOV64_IMM(0, 0), BPF_RAW_INSN(0xe5, 0, 0, 1, 1), BPF_ALU64_IMM('add', 0, 1), BPF_EXIT_INSN()]);
add('loop_bpf_loop_precise_count', [
  BPF_MOV64_IMM(1, 4), BPF_LD_FUNC(2, 6), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('loop')),
  BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(),
]);

// ---- calls: depth and combined stack ----
/** main calls f1 calls f2 ... calls f{n}; each frame's body is `body`. */
const chain = (n: number, body: (k: number) => Case['insns']) => {
  const out: Case['insns'] = [];
  for (let k = 0; k <= n; k++) {
    const b = body(k);
    if (k < n) out.push(...b, BPF_CALL_REL(1), BPF_EXIT_INSN());
    else out.push(...b, BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN());
  }
  return out;
};
add('calls_depth_8_ok', chain(7, () => []));
add('calls_depth_9_too_deep', chain(8, () => []));
add('calls_recursion_too_deep', [BPF_MOV64_IMM(1, 20), BPF_CALL_REL(1), BPF_EXIT_INSN(),
  BPF_ALU64_IMM('sub', 1, 1), BPF_MOV64_IMM(0, 0), BPF_JMP_IMM('jeq', 1, 0, 1), BPF_CALL_REL(-4), BPF_EXIT_INSN()]);
add('calls_combined_stack_ok', chain(1, (k) => [BPF_ST_MEM('dw', 10, k ? -256 : -256, 0)]));
add('calls_combined_stack_too_large', chain(1, (k) => [BPF_ST_MEM('dw', 10, k ? -264 : -256, 0)]));
add('calls_combined_stack_3_frames', chain(2, (k) => [BPF_ST_MEM('dw', 10, [-200, -160, -168][k]!, 0)]));
add('calls_recursion_bounded_static', [BPF_MOV64_IMM(1, 3), BPF_CALL_REL(1), BPF_EXIT_INSN(),
  BPF_ALU64_IMM('sub', 1, 1), BPF_MOV64_IMM(0, 0), BPF_JMP_IMM('jeq', 1, 0, 1), BPF_CALL_REL(-4), BPF_EXIT_INSN()]);
add('calls_callback_stack_combined', [
  BPF_ST_MEM('dw', 10, -256, 0), BPF_MOV64_IMM(1, 2), BPF_LD_FUNC(2, 6), BPF_MOV64_IMM(3, 0), BPF_MOV64_IMM(4, 0), BPF_EMIT_CALL(H('loop')),
  BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN(), BPF_ST_MEM('dw', 10, -264, 0), BPF_MOV64_IMM(0, 0), BPF_EXIT_INSN(),
]);

/** The state-exploration cases. */
export const STATE_CASES: readonly Case[] = cases;
