/**
 * A generator of every instruction form of the eBPF ISA (RFC 9669 plus the v4 additions LLVM 19
 * knows: sdiv/smod, movsx, ldsx, bswap, gotol, may_goto, addr_space_cast, the fetch atomics),
 * with a spread of register numbers and edge immediates/offsets. Differential tests against
 * llvm-mc/llvm-objdump and the round-trip tests of both syntaxes iterate over it.
 *
 * Forms LLVM 19 (`llvm-mc -triple bpfel -mcpu=v4`) cannot assemble from its own syntax are
 * listed by {@link llvmAsmGap}; `allForms()` still contains them because the ISA (and the
 * kernel) has them and every other part of xdpts must handle them.
 */
import {
  ALU_END,
  ALU_MOV,
  ALU_NEG,
  ALU_OPS,
  ATOMIC_OPS,
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_B,
  BPF_DW,
  BPF_H,
  BPF_IND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_ST,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  JMP_CALL,
  JMP_COND_OPS,
  JMP_EXIT,
  JMP_JA,
  JMP_JCOND,
  MEM_SIZES,
  classify,
  insn,
  lddw,
  type Instruction,
} from '../../src/isa';

/** Edge values of a 32-bit immediate (RFC 9669 §3: imm is a signed 32-bit integer). */
export const IMM_EDGES: readonly number[] = [0, 1, -1, -0x80000000, 0x7fffffff, 0x7fff, -0x8000];
/** Edge values of a 16-bit offset. */
export const OFF_EDGES: readonly number[] = [0, 1, -1, 0x7fff, -0x8000];
/** Edge values of lddw's 64-bit immediate. */
export const IMM64_EDGES: readonly bigint[] = [
  0n,
  1n,
  -1n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1122334455667788n,
  -0x8000000000000000n,
  0x7fffffffffffffffn,
];

/** Register pairs (dst, src) cycled through so every register number appears in both fields. */
const REG_PAIRS: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 8], [8, 9], [9, 10], [10, 0],
];

let regCursor = 0;
function regs(): readonly [number, number] {
  const r = REG_PAIRS[regCursor % REG_PAIRS.length]!;
  regCursor++;
  return r;
}

/** Every ALU/ALU64 arithmetic op in K and X forms, plus neg, mov, movsx, end/bswap, addr_space_cast. */
function aluForms(out: Instruction[]): void {
  for (const cls of [BPF_ALU, BPF_ALU64]) {
    for (const op of ALU_OPS) {
      if (op.code === ALU_NEG) {
        for (let k = 0; k < 3; k++) out.push(insn(cls | BPF_K | ALU_NEG, regs()[0]));
        continue;
      }
      for (const imm of IMM_EDGES) {
        const [d] = regs();
        out.push(insn(cls | BPF_K | op.code, d, 0, op.off, imm));
      }
      for (let k = 0; k < REG_PAIRS.length; k++) {
        const [d, s] = regs();
        out.push(insn(cls | BPF_X | op.code, d, s, op.off, 0));
      }
    }
    // movsx: ALU64 sign-extends 8/16/32 bits, ALU (32-bit) only 8/16 (RFC 9669 §4.1 Table 5).
    for (const bits of cls === BPF_ALU64 ? [8, 16, 32] : [8, 16]) {
      for (let k = 0; k < 3; k++) {
        const [d, s] = regs();
        out.push(insn(cls | BPF_X | ALU_MOV, d, s, bits, 0));
      }
    }
  }
  // Byte swaps (RFC 9669 §4.2): ALU le/be, ALU64 K = unconditional bswap.
  for (const bits of [16, 32, 64]) {
    for (const opc of [BPF_ALU | BPF_TO_LE | ALU_END, BPF_ALU | BPF_TO_BE | ALU_END, BPF_ALU64 | BPF_TO_LE | ALU_END]) {
      out.push(insn(opc, regs()[0], 0, 0, bits));
    }
  }
  // addr_space_cast (LLVM 19, kernel 6.9): ALU64 | MOV | X, off = 1, imm = dst_as << 16 | src_as.
  out.push(insn(BPF_ALU64 | BPF_X | ALU_MOV, 1, 2, 1, 1));
  // (the kernel also accepts imm = 1 << 16, as(0) -> as(1), but src/isa classify() does not yet)
}

/** ldx/st/stx of all four sizes, ldsx of 8/16/32, each with edge offsets. */
function memForms(out: Instruction[]): void {
  for (const sz of MEM_SIZES) {
    for (const off of OFF_EDGES) {
      const [d, s] = regs();
      out.push(insn(BPF_LDX | BPF_MEM | sz.code, d, s, off));
      out.push(insn(BPF_STX | BPF_MEM | sz.code, d, s, off));
    }
    for (const imm of IMM_EDGES) {
      const [d] = regs();
      out.push(insn(BPF_ST | BPF_MEM | sz.code, d, 0, OFF_EDGES[(regCursor + 2) % OFF_EDGES.length]!, imm));
    }
    if (sz.code !== BPF_DW) {
      for (const off of OFF_EDGES) {
        const [d, s] = regs();
        out.push(insn(BPF_LDX | BPF_MEMSX | sz.code, d, s, off));
      }
    }
  }
}

/** lddw with edge values and every pseudo src (RFC 9669 §5.4 Table 12), legacy ld abs/ind. */
function ldForms(out: Instruction[]): void {
  for (const v of IMM64_EDGES) out.push(lddw(regs()[0], v));
  for (let src = 1; src <= 6; src++) out.push(lddw(regs()[0], BigInt(src * 3), src));
  // Legacy packet access (RFC 9669 §5.5): sizes B/H/W only; dst is implicitly r0.
  for (const sz of [BPF_B, BPF_H, BPF_W]) {
    for (const imm of [0, 4, -1, 0x7fffffff]) out.push(insn(BPF_LD | BPF_ABS | sz, 0, 0, 0, imm));
    for (const imm of [0, 4, -1]) out.push(insn(BPF_LD | BPF_IND | sz, 0, regs()[1], 0, imm));
  }
}

/** Conditional jumps × K/X × JMP/JMP32, ja, gotol, calls, exit, may_goto. */
function jmpForms(out: Instruction[]): void {
  for (const cls of [BPF_JMP, BPF_JMP32]) {
    for (const op of JMP_COND_OPS) {
      for (let k = 0; k < IMM_EDGES.length; k++) {
        const [d, s] = regs();
        const off = OFF_EDGES[k % OFF_EDGES.length]!;
        out.push(insn(cls | BPF_K | op.code, d, 0, off, IMM_EDGES[k]!));
        out.push(insn(cls | BPF_X | op.code, d, s, off, 0));
      }
    }
  }
  for (const off of OFF_EDGES) out.push(insn(BPF_JMP | JMP_JA, 0, 0, off, 0));
  for (const imm of IMM_EDGES) out.push(insn(BPF_JMP32 | JMP_JA, 0, 0, 0, imm));
  for (const imm of [0, 1, 5, 12, 211, -1, 0x7fffffff]) out.push(insn(BPF_JMP | JMP_CALL, 0, 0, 0, imm));
  for (const imm of [0, 1, -1, 0x7fff]) out.push(insn(BPF_JMP | JMP_CALL, 0, 1, 0, imm)); // bpf-to-bpf
  out.push(insn(BPF_JMP | JMP_CALL, 0, 2, 0, 1234)); // kfunc call (BTF id in imm)
  for (const r of [0, 3, 9]) out.push(insn(BPF_JMP | BPF_X | JMP_CALL, r)); // LLVM callx: reg in dst
  out.push(insn(BPF_JMP | JMP_EXIT));
  for (const off of [0, 1, -1, 0x7fff]) out.push(insn(BPF_JMP | JMP_JCOND, 0, 0, off, 0));
}

/** All 10 atomic operations (RFC 9669 §5.3) in 32- and 64-bit sizes, edge offsets. */
function atomicForms(out: Instruction[]): void {
  for (const sz of [BPF_W, BPF_DW]) {
    for (const op of ATOMIC_OPS) {
      for (const off of [0, -8, 0x7fff]) {
        const [d, s] = regs();
        out.push(insn(BPF_STX | BPF_ATOMIC | sz, d, s, off, op.imm));
      }
    }
  }
}

/**
 * Every valid instruction form of the ISA, deterministic (same list on every call). Each
 * element passes `classify()`.
 */
export function allForms(): Instruction[] {
  regCursor = 0;
  const out: Instruction[] = [];
  aluForms(out);
  memForms(out);
  ldForms(out);
  jmpForms(out);
  atomicForms(out);
  for (const i of out) {
    if (!classify(i)) throw new Error(`forms.ts produced an invalid instruction ${JSON.stringify(i)}`);
  }
  return out;
}

/**
 * Why LLVM 19's assembler (`llvm-mc -mcpu=v4`, its own syntax) cannot produce this encoding,
 * or undefined when it can. Found by experiment against llvm-mc 19.
 */
export function llvmAsmGap(i: Instruction): string | undefined {
  const k = classify(i);
  if (!k) return 'invalid instruction';
  if (k.kind === 'lddw' && k.pseudo !== 0) return 'lddw with a pseudo src is only produced by relocation/ld_pseudo';
  if (k.kind === 'call' && k.pseudo !== 0) return 'bpf-to-bpf/kfunc calls are written with a symbol, not a number';
  if (k.kind === 'ldabs' && k.indirect && i.imm !== 0) return "LLVM's ld_ind syntax has no place for imm (the printer drops it)";
  return undefined;
}
