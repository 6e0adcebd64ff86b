/**
 * The LLVM-syntax printer: one `Instruction` to the exact text LLVM 19's BPF instruction printer
 * emits under `llvm-objdump -d --mcpu=v4` (`r1 = 0x0 ll`, `r2 += -0x4`, `*(u64 *)(r10 - 0x8) = r1`,
 * `if r1 > 0x5 goto +0x3`, `w0 = atomic_fetch_add((u32 *)(r1 + 0x0), w0)`, `<unknown>`).
 *
 * Which encodings print and which are `<unknown>` follows LLVM's decoder tables (BPFInstrInfo.td
 * as generated into BPFGenDisassemblerTables), not the kernel: LLVM leaves every field an
 * instruction does not use as "don't care" (the src nibble of a K-form ALU op, the imm of an
 * X-form, the off of neg or call...), and rejects only what its patterns fix (the off of most ALU
 * ops, the imm of exit and of byte swaps, register numbers above r11). The rules below were
 * established by differential runs against llvm-objdump 19 (test/asm/printer.test.ts).
 */
import {
  ALU_END,
  ALU_MOV,
  ALU_NEG,
  ALU_OPS,
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_DW,
  BPF_IND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_ST,
  BPF_STX,
  BPF_W,
  BPF_X,
  JMP_CALL,
  JMP_EXIT,
  JMP_JA,
  JMP_JCOND,
  OP_LDDW,
  jmpCondOf,
  lddwValue,
  memSizeOf,
  type Instruction,
} from '../isa';

/** What llvm-objdump prints for bytes its decoder rejects. */
export const UNKNOWN_TEXT = '<unknown>';

/** Options of {@link formatInstruction}. */
export interface FormatOptions {
  /**
   * The objdump decoration of a jump target, without angle brackets (`LBB0_2`, `f+0x10`):
   * printed after the offset as ` <LBB0_2>`, as `llvm-objdump -d` does for branches.
   */
  readonly target?: string;
  /**
   * A symbolic operand printed instead of the number, as `clang -S` writes it and `llvm-mc`
   * reads it back: the label of a jump (`goto LBB0_2`), the function of a call (`call f`), the
   * symbol of a wide load (`r1 = pkt_count ll`).
   */
  readonly symbol?: string;
}

/** LLVM's signed hexadecimal immediate (`0x1f`, `-0x4`, `-0x80000000`). */
export function hexImm(v: number | bigint): string {
  if (typeof v === 'bigint') return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
  return v < 0 ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/** A jump displacement as objdump prints it: always signed (`+0x0`, `-0x12c`). */
function jumpText(off: number): string {
  return off < 0 ? `-0x${(-off).toString(16)}` : `+0x${off.toString(16)}`;
}

/** LLVM's register classes stop at r11 (an internal register the decoder still accepts). */
const MAX_DECODED_REG = 11;

function reg(n: number, w: boolean): string | undefined {
  if (n > MAX_DECODED_REG) return undefined;
  return (w ? 'w' : 'r') + n;
}

/** `rN + 0x8` / `rN - 0x8`: LLVM's memory operand (printMemOperand). */
function memOperand(base: string, off: number): string {
  return off < 0 ? `${base} - 0x${(-off).toString(16)}` : `${base} + 0x${off.toString(16)}`;
}

const ALU_LLVM_BY_CODE_OFF = new Map(
  ALU_OPS.filter((o) => o.llvm !== undefined).map((o) => [(o.code << 16) | o.off, o.llvm!] as const),
);

function formatAlu(i: Instruction): string | undefined {
  const is64 = (i.opcode & 0x07) === BPF_ALU64;
  const useReg = (i.opcode & BPF_X) !== 0;
  const code = i.opcode & 0xf0;
  const w = !is64;
  const d = reg(i.dst, w);
  if (d === undefined) return undefined;
  if (code === ALU_NEG) return useReg ? undefined : `${d} = -${d}`;
  if (code === ALU_END) {
    // BSWAP/BE/LE patterns fix imm to 16/32/64; src and off are don't-care.
    if (i.imm !== 16 && i.imm !== 32 && i.imm !== 64) return undefined;
    const r = reg(i.dst, false)!;
    if (is64) return useReg ? undefined : `${r} = bswap${i.imm} ${r}`;
    return `${r} = ${useReg ? 'be' : 'le'}${i.imm} ${r}`;
  }
  if (code === ALU_MOV) {
    if (!useReg) return i.off === 0 ? `${d} = ${hexImm(i.imm)}` : undefined;
    const s = reg(i.src, w);
    if (s === undefined) return undefined;
    if (i.off === 0) return `${d} = ${s}`;
    if (i.off === 8 || i.off === 16 || (i.off === 32 && is64)) return `${d} = (s${i.off})${s}`;
    // addr_space_cast (LLVM 19): imm = dst_as << 16 | src_as, printed unsigned.
    if (i.off === 1 && is64) return `${d} = addr_space_cast(${s}, ${hexImm((i.imm >>> 16) & 0xffff)}, ${hexImm(i.imm & 0xffff)})`;
    return undefined;
  }
  const op = ALU_LLVM_BY_CODE_OFF.get((code << 16) | (i.off & 0xffff));
  if (op === undefined) return undefined;
  if (!useReg) return `${d} ${op} ${hexImm(i.imm)}`;
  const s = reg(i.src, w);
  return s === undefined ? undefined : `${d} ${op} ${s}`;
}

function formatJmp(i: Instruction, opts: FormatOptions): string | undefined {
  const is64 = (i.opcode & 0x07) === BPF_JMP;
  const useReg = (i.opcode & BPF_X) !== 0;
  const code = i.opcode & 0xf0;
  const deco = opts.target !== undefined ? ` <${opts.target}>` : '';
  const dest = (off: number): string => (opts.symbol !== undefined ? opts.symbol : jumpText(off) + deco);
  if (code === JMP_JA) {
    if (useReg) return undefined;
    return is64 ? `goto ${dest(i.off)}` : `gotol ${dest(i.imm)}`;
  }
  if (code === JMP_CALL) {
    if (!is64) return undefined;
    if (useReg) {
      const r = reg(i.dst, false);
      return r === undefined ? undefined : `callx ${r}`;
    }
    // LLVM prints every call the same way whatever its src (helper, local, kfunc).
    return `call ${opts.symbol ?? hexImm(i.imm)}`;
  }
  if (code === JMP_EXIT) return is64 && !useReg && i.imm === 0 ? 'exit' : undefined;
  if (code === JMP_JCOND) return is64 && !useReg ? `may_goto ${dest(i.off)}` : undefined;
  const cond = jmpCondOf(code);
  if (!cond) return undefined;
  const d = reg(i.dst, !is64);
  if (d === undefined) return undefined;
  let rhs: string;
  if (useReg) {
    const s = reg(i.src, !is64);
    if (s === undefined) return undefined;
    rhs = s;
  } else {
    rhs = hexImm(i.imm);
  }
  return `if ${d} ${cond.llvm} ${rhs} goto ${dest(i.off)}`;
}

function formatLd(i: Instruction, opts: FormatOptions): string | undefined {
  if (i.opcode === OP_LDDW) {
    // LD_imm64 fixes off to 0; a non-zero src selects LLVM's `ld_pseudo` (whose printed
    // immediate is only the low 32 bits, unsigned).
    if (i.off !== 0) return undefined;
    const d = reg(i.dst, false);
    if (d === undefined) return undefined;
    if (i.src !== 0) return `ld_pseudo\t${d}, ${hexImm(i.src)}, ${hexImm(i.imm >>> 0)}`;
    if (opts.symbol !== undefined) return `${d} = ${opts.symbol} ll`;
    return `${d} = ${hexImm(BigInt.asIntN(64, lddwValue(i)))} ll`;
  }
  const mode = i.opcode & 0xe0;
  const size = i.opcode & 0x18;
  if ((mode !== BPF_ABS && mode !== BPF_IND) || size === BPF_DW) return undefined;
  const ty = memSizeOf(size).llvm;
  // LD_ABS/LD_IND: dst is implicitly r0 (the decoder ignores the field); IND ignores imm.
  if (mode === BPF_ABS) return `r0 = *(${ty} *)skb[${hexImm(i.imm)}]`;
  const s = reg(i.src, false);
  return s === undefined ? undefined : `r0 = *(${ty} *)skb[${s}]`;
}

/** Sub-register loads/stores print with `w` registers for u8/u16/u32 under -mcpu=v4 (ALU32). */
function formatMem(i: Instruction): string | undefined {
  const cls = i.opcode & 0x07;
  const mode = i.opcode & 0xe0;
  const size = i.opcode & 0x18;
  const sz = memSizeOf(size);
  const w = size !== BPF_DW;
  if (cls === BPF_LDX) {
    if (mode !== BPF_MEM && !(mode === BPF_MEMSX && size !== BPF_DW)) return undefined;
    const signed = mode === BPF_MEMSX;
    const d = reg(i.dst, w && !signed);
    const s = reg(i.src, false);
    if (d === undefined || s === undefined) return undefined;
    return `${d} = *(${signed ? sz.llvmSigned : sz.llvm} *)(${memOperand(s, i.off)})`;
  }
  if (cls === BPF_ST) {
    if (mode !== BPF_MEM) return undefined;
    const d = reg(i.dst, false);
    return d === undefined ? undefined : `*(${sz.llvm} *)(${memOperand(d, i.off)}) = ${hexImm(i.imm)}`;
  }
  // BPF_STX
  const d = reg(i.dst, false);
  if (d === undefined) return undefined;
  if (mode === BPF_MEM) {
    const s = reg(i.src, w);
    return s === undefined ? undefined : `*(${sz.llvm} *)(${memOperand(d, i.off)}) = ${s}`;
  }
  if (mode !== BPF_ATOMIC || (size !== BPF_W && size !== BPF_DW)) return undefined;
  return formatAtomic(i, d, size === BPF_W);
}

/**
 * Atomics (RFC 9669 §5.3 Tables 10-11). LLVM's patterns fix imm bits 7..4 (the operation); the
 * fetch forms (and xchg/cmpxchg) also fix bits 3..0 to exactly BPF_FETCH (1), and the decoder
 * tries them first. Every other imm bit is don't-care: 0x49 prints as the plain `lock |=`.
 */
function formatAtomic(i: Instruction, base: string, w: boolean): string | undefined {
  const s = reg(i.src, w);
  if (s === undefined) return undefined;
  const op = i.imm & 0xf0;
  const fetch = (i.imm & 0x0f) === 1;
  const ty = w ? 'u32' : 'u64';
  const addr = memOperand(base, i.off);
  const names: Record<number, [string, string]> = { 0x00: ['+=', 'add'], 0x40: ['|=', 'or'], 0x50: ['&=', 'and'], 0xa0: ['^=', 'xor'] };
  const alu = names[op];
  if (alu) {
    return fetch ? `${s} = atomic_fetch_${alu[1]}((${ty} *)(${addr}), ${s})` : `lock *(${ty} *)(${addr}) ${alu[0]} ${s}`;
  }
  if (!fetch) return undefined;
  if (op === 0xe0) return w ? `${s} = xchg32_32(${addr}, ${s})` : `${s} = xchg_64(${addr}, ${s})`;
  if (op === 0xf0) return w ? `w0 = cmpxchg32_32(${addr}, w0, ${s})` : `r0 = cmpxchg_64(${addr}, r0, ${s})`;
  return undefined;
}

/**
 * The LLVM-syntax text of one instruction exactly as `llvm-objdump -d --mcpu=v4` (LLVM 19)
 * prints it after the raw bytes, or `<unknown>` where LLVM's decoder rejects the encoding.
 */
export function formatInstruction(insn: Instruction, opts: FormatOptions = {}): string {
  return formatOrUndefined(insn, opts) ?? UNKNOWN_TEXT;
}

/** Like {@link formatInstruction} but undefined where LLVM's decoder rejects the encoding. */
export function formatOrUndefined(insn: Instruction, opts: FormatOptions = {}): string | undefined {
  switch (insn.opcode & 0x07) {
    case BPF_ALU:
    case BPF_ALU64:
      return formatAlu(insn);
    case BPF_JMP:
    case BPF_JMP32:
      return formatJmp(insn, opts);
    case BPF_LD:
      return formatLd(insn, opts);
    default:
      return formatMem(insn);
  }
}

/**
 * The displacement (in 8-byte slots, relative to the next slot) of an instruction objdump treats
 * as a branch (BPFMCInstrAnalysis::evaluateBranch: conditional jumps, goto, gotol, may_goto),
 * or undefined for anything else (calls are not branches). Only meaningful where
 * {@link formatOrUndefined} succeeds.
 */
export function branchDisplacement(insn: Instruction): number | undefined {
  const cls = insn.opcode & 0x07;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return undefined;
  const code = insn.opcode & 0xf0;
  if (code === JMP_CALL || code === JMP_EXIT) return undefined;
  if (code === JMP_JA && cls === BPF_JMP32) return insn.imm;
  return insn.off;
}
