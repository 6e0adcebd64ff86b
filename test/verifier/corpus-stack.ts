/**
 * Verifier corpus, stack and memory: narrow spills and fills of scalars and constants
 * (`save_register_state` at 8-byte aligned offsets), STACK_ZERO, spills over spills, scalar
 * ids through the stack, alignment of stack and atomic accesses, variable-offset stack
 * accesses, atomics whose fetched value is the memory's, sign-extending ctx loads, and array
 * lookups whose constant key makes the result non-NULL. Most programs end in a deliberate
 * `r10 = 0` so that the kernel's level-1 log (which prints the stack slots each instruction
 * touches) is compared line by line.
 */
import { helperId, type Instruction } from '../../src/isa';
import {
  BPF_ALU32_IMM, BPF_ALU64_IMM, BPF_ALU64_REG, BPF_ATOMIC_OP, BPF_EMIT_CALL, BPF_EXIT_INSN, BPF_JMP_IMM, BPF_LDX_MEM,
  BPF_LDX_MEMSX, BPF_LD_MAP_FD, BPF_MOV32_REG, BPF_MOV64_IMM, BPF_MOV64_REG, BPF_STX_MEM, BPF_ST_MEM, type Case,
  type CaseMap,
} from './builder';

const H = (n: string): number => helperId(n)!;
const cases: Case[] = [];
/** The deliberate final rejection. */
const END = [BPF_MOV64_IMM(10, 0), BPF_EXIT_INSN()];
/** A normal end. */
const RET = [BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN()];
/** r6 = ingress_ifindex, r7 = rx_queue_index: two unknown u32 values. */
const SRC = [BPF_LDX_MEM('w', 6, 1, 12), BPF_LDX_MEM('w', 7, 1, 16)];
const add = (name: string, body: Instruction[], maps?: CaseMap[], end = END): void => {
  cases.push({ name: `stack_${name}`, insns: [...SRC, ...body, ...end], ...(maps ? { maps } : {}) });
};
const ARRAY = (vs = 8): CaseMap => ({ type: 2, keySize: 4, valueSize: vs, maxEntries: 4 });
// narrow spills
add('spill_u8_const', [BPF_MOV64_IMM(1, 9), BPF_STX_MEM('b', 10, 1, -8), BPF_LDX_MEM('b', 2, 10, -8)]);
add('spill_u16_range', [BPF_ALU64_IMM('and', 6, 0xff), BPF_STX_MEM('h', 10, 6, -8), BPF_LDX_MEM('h', 2, 10, -8), BPF_LDX_MEM('b', 3, 10, -8)]);
add('spill_u32_unk', [BPF_STX_MEM('w', 10, 6, -8), BPF_LDX_MEM('w', 2, 10, -8), BPF_LDX_MEM('dw', 3, 10, -8)]);
add('spill_u32_wide', [BPF_ALU64_IMM('lsh', 6, 8), BPF_STX_MEM('b', 10, 6, -8), BPF_LDX_MEM('b', 2, 10, -8)]);
add('spill_u32_at4', [BPF_MOV64_IMM(1, 9), BPF_STX_MEM('w', 10, 1, -4), BPF_LDX_MEM('w', 2, 10, -4)]);
add('spill_zero_at4', [BPF_MOV64_IMM(1, 0), BPF_STX_MEM('w', 10, 1, -4), BPF_LDX_MEM('w', 2, 10, -4), BPF_ST_MEM('w', 10, -8, 0), BPF_LDX_MEM('dw', 3, 10, -8)]);
add('st_u32_at8', [BPF_ST_MEM('w', 10, -8, 7), BPF_LDX_MEM('w', 2, 10, -8), BPF_LDX_MEM('h', 3, 10, -8)]);
add('st_neg_u16', [BPF_ST_MEM('h', 10, -8, -2), BPF_LDX_MEM('h', 2, 10, -8), BPF_LDX_MEMSX('h', 3, 10, -8)]);
add('zero_then_spill', [BPF_ST_MEM('dw', 10, -8, 0), BPF_STX_MEM('b', 10, 6, -8), BPF_LDX_MEM('dw', 2, 10, -8), BPF_LDX_MEM('b', 3, 10, -1)]);
add('spill_over_spill', [BPF_STX_MEM('dw', 10, 1, -8), BPF_STX_MEM('w', 10, 6, -8), BPF_LDX_MEM('w', 2, 10, -8)]);
add('misc_over_spill', [BPF_STX_MEM('dw', 10, 6, -8), BPF_STX_MEM('w', 10, 6, -4), BPF_LDX_MEM('w', 2, 10, -8)]);
add('ptr_narrow_fill', [BPF_STX_MEM('dw', 10, 1, -8), BPF_LDX_MEM('w', 2, 10, -8)]);
add('ptr_narrow_spill', [BPF_STX_MEM('w', 10, 1, -8)]);
add('fill_ids', [BPF_STX_MEM('w', 10, 6, -8), BPF_LDX_MEM('w', 2, 10, -8), BPF_JMP_IMM('jgt', 2, 10, 1), BPF_LDX_MEM('w', 3, 10, -8)]);
add('fill_ids64', [BPF_STX_MEM('dw', 10, 6, -8), BPF_LDX_MEM('w', 2, 10, -8), BPF_JMP_IMM('jgt', 6, 10, 1), BPF_LDX_MEM('dw', 3, 10, -8)]);
add('zero_partial_loads', [BPF_ST_MEM('w', 10, -4, 0), BPF_LDX_MEM('b', 2, 10, -1), BPF_LDX_MEM('h', 3, 10, -4), BPF_LDX_MEM('w', 4, 10, -4)]);
add('zero_dw_partial', [BPF_MOV64_IMM(1, 0), BPF_STX_MEM('dw', 10, 1, -8), BPF_LDX_MEM('b', 2, 10, -1), BPF_LDX_MEM('h', 3, 10, -6), BPF_LDX_MEM('w', 4, 10, -4)]);
// alignment
add('misaligned_read', [BPF_LDX_MEM('dw', 2, 10, -4)]);
add('misaligned_write', [BPF_ST_MEM('w', 10, -6, 0)]);
add('misaligned_varoff', [BPF_ALU64_IMM('and', 6, 4), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -16), BPF_ALU64_REG('add', 2, 6), BPF_ST_MEM('dw', 2, 0, 0)]);
add('unbounded_varoff', [BPF_ALU64_IMM('mul', 6, -8), BPF_MOV32_REG(6, 6), BPF_MOV64_REG(2, 10), BPF_ALU64_REG('add', 2, 6), BPF_ST_MEM('b', 2, -32, 0)]);
add('varoff_ok', [BPF_ALU64_IMM('and', 6, 8), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -16), BPF_ALU64_REG('add', 2, 6), BPF_ST_MEM('dw', 2, 0, 0), BPF_LDX_MEM('dw', 3, 10, -8)]);
add('varoff_oob', [BPF_ALU64_IMM('and', 6, 16), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -16), BPF_ALU64_REG('add', 2, 6), BPF_ST_MEM('dw', 2, 0, 0)]);
add('varoff_read_zero', [BPF_ST_MEM('dw', 10, -8, 0), BPF_ST_MEM('dw', 10, -16, 0), BPF_ALU64_IMM('and', 6, 8), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -16), BPF_ALU64_REG('add', 2, 6), BPF_LDX_MEM('dw', 3, 2, 0)]);
add('varoff_write_zero', [BPF_ST_MEM('dw', 10, -8, 0), BPF_ST_MEM('w', 10, -12, 0), BPF_ST_MEM('w', 10, -16, 0), BPF_ALU64_IMM('and', 6, 8), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -16), BPF_ALU64_REG('add', 2, 6), BPF_MOV64_IMM(4, 0), BPF_STX_MEM('dw', 2, 4, 0)]);
// atomics
/** r0 = lookup(map 0, key 0 at fp-4), exiting on NULL. */
const LOOKUP = [BPF_ST_MEM('w', 10, -4, 0), BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -4), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')), BPF_JMP_IMM('jeq', 0, 0, 1)];
add('atomic_misaligned_map', [...LOOKUP, BPF_MOV64_IMM(1, 1), BPF_ATOMIC_OP('w', 'add', 0, 1, 3)], [ARRAY(16)]);
add('atomic_fetch_map', [...LOOKUP, BPF_MOV64_IMM(1, 1), BPF_ATOMIC_OP('dw', 'fetch_add', 0, 1, 0), BPF_ALU32_IMM('add', 1, 1)], [ARRAY(16)]);
add('atomic_fetch_stack_const', [BPF_ST_MEM('dw', 10, -8, 5), BPF_MOV64_IMM(1, 1), BPF_ATOMIC_OP('dw', 'fetch_add', 10, 1, -8), BPF_LDX_MEM('dw', 2, 10, -8)]);
add('atomic_ptr_add_stack', [BPF_ST_MEM('dw', 10, -8, 5), BPF_ATOMIC_OP('dw', 'add', 10, 1, -8)]);
add('atomic_misaligned_stack', [BPF_ST_MEM('dw', 10, -8, 5), BPF_MOV64_IMM(1, 1), BPF_ATOMIC_OP('w', 'add', 10, 1, -6)]);
add('atomic_fetch32_stack', [BPF_ST_MEM('dw', 10, -8, -1), BPF_MOV64_IMM(1, 1), BPF_ATOMIC_OP('w', 'fetch_add', 10, 1, -8)]);
// ldsx ctx
add('ldsx_ctx_data', [BPF_LDX_MEMSX('w', 2, 1, 0)]);
add('ldsx_ctx_ifindex', [BPF_LDX_MEMSX('w', 2, 1, 12)]);
// const key lookups
/** A lookup with the key at fp-8 stored by `store`; the NULL branch writes r10. */
const LK = (store: Instruction[]): Instruction[] => [...store, BPF_MOV64_REG(2, 10), BPF_ALU64_IMM('add', 2, -8), BPF_LD_MAP_FD(1, 0), BPF_EMIT_CALL(H('map_lookup_elem')), BPF_JMP_IMM('jne', 0, 0, 1), BPF_MOV64_IMM(10, 0), BPF_LDX_MEM('dw', 0, 0, 0)];
add('key_reg_u32', LK([BPF_MOV64_IMM(1, 3), BPF_STX_MEM('w', 10, 1, -8)]), [ARRAY()], RET);
add('key_reg_u32_oob', LK([BPF_MOV64_IMM(1, 4), BPF_STX_MEM('w', 10, 1, -8)]), [ARRAY()], RET);
add('key_st_u32', LK([BPF_ST_MEM('w', 10, -8, 2)]), [ARRAY()], RET);
add('key_reg_dw', LK([BPF_MOV64_IMM(1, 1), BPF_STX_MEM('dw', 10, 1, -8)]), [ARRAY()], RET);
add('key_zero_dw', LK([BPF_ST_MEM('w', 10, -4, 0), BPF_ST_MEM('w', 10, -8, 0)]), [ARRAY()], RET);
add('key_unknown', LK([BPF_STX_MEM('w', 10, 6, -8)]), [ARRAY()], RET);

/** The stack and memory cases. */
export const STACK_CASES: readonly Case[] = cases;
