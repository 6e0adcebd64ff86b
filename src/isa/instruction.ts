/**
 * The one `Instruction` value type, its classification, and encode/decode of the 8- and
 * 16-byte forms in both byte orders (RFC 9669 §3, §5.4).
 *
 * Encoding of one slot (little-endian object; in big-endian the register nibbles swap and
 * off/imm are big-endian):
 *
 *   byte 0     byte 1              bytes 2-3       bytes 4-7
 *   opcode     src:4 | dst:4 (le)  off (int16)     imm (int32)
 *              dst:4 | src:4 (be)
 *
 * `lddw` (opcode 0x18) takes two slots; the second has opcode 0, regs 0, off 0 and holds the
 * upper 32 bits of the immediate in its imm.
 */
import type { Endian } from '../util/bytes';
import {
  ALU_END,
  ALU_MOV,
  ALU_NEG,
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
  aluOpOf,
  atomicOpOf,
  jmpCondOf,
} from './opcodes';

/**
 * One eBPF instruction. A plain value: `lddw` is one instruction of width 2 whose 64-bit
 * immediate is `imm` (low 32 bits) and `imm2` (high 32 bits), both as signed int32 so that no
 * BigInt is needed. `ref` keeps a symbolic reference (map name, function or label) until
 * encoding/linking resolves it.
 */
export interface Instruction {
  readonly opcode: number;
  readonly dst: number;
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
  /** lddw only: the upper 32 bits of the 64-bit immediate, signed int32. */
  readonly imm2?: number;
  /** lddw only: the second slot's reserved opcode/dst/src/off, kept when any is non-zero (the verifier refuses it). */
  readonly slot2?: { readonly opcode: number; readonly dst: number; readonly src: number; readonly off: number };
}

/** Builds an instruction, normalising fields to their encoded ranges. */
export function insn(opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2?: number): Instruction {
  const i: { opcode: number; dst: number; src: number; off: number; imm: number; imm2?: number } = {
    opcode: opcode & 0xff,
    dst: dst & 0xf,
    src: src & 0xf,
    off: (off << 16) >> 16,
    imm: imm | 0,
  };
  if ((opcode & 0xff) === OP_LDDW) i.imm2 = (imm2 ?? 0) | 0;
  return i;
}

/** Builds an `lddw` with a 64-bit immediate given as a BigInt. */
export function lddw(dst: number, value: bigint, src = 0): Instruction {
  const v = BigInt.asUintN(64, value);
  return insn(OP_LDDW, dst, src, 0, Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n)));
}

/** The 64-bit immediate of an `lddw` as an unsigned BigInt (API edge only; never in hot paths). */
export function lddwValue(i: Instruction): bigint {
  return (BigInt((i.imm2 ?? 0) >>> 0) << 32n) | BigInt(i.imm >>> 0);
}

/** Number of 8-byte slots: 2 for `lddw`, 1 otherwise. */
export function insnWidth(opcode: number): 1 | 2 {
  return opcode === OP_LDDW ? 2 : 1;
}

export const insnClass = (opcode: number): number => opcode & 0x07;

/**
 * What an instruction does, decoded once from its fields. The VM, the verifier and the printer
 * switch on `kind` instead of re-deriving bit fields.
 */
export type InsnKind =
  | { kind: 'alu'; is64: boolean; op: string; useReg: boolean }
  | { kind: 'neg'; is64: boolean }
  | { kind: 'mov'; is64: boolean; useReg: boolean }
  | { kind: 'movsx'; is64: boolean; bits: 8 | 16 | 32 }
  | { kind: 'end'; bits: 16 | 32 | 64; to: 'le' | 'be' | 'swap' }
  | { kind: 'lddw'; pseudo: number }
  | { kind: 'ldabs'; size: number; indirect: boolean }
  | { kind: 'ldx'; size: number; signed: boolean }
  | { kind: 'st'; size: number }
  | { kind: 'stx'; size: number }
  | { kind: 'atomic'; size: 4 | 8; op: string; fetch: boolean }
  | { kind: 'ja'; long: boolean }
  | { kind: 'jcond'; op: string; is64: boolean; useReg: boolean; signed: boolean }
  | { kind: 'call'; pseudo: number }
  | { kind: 'callx' }
  | { kind: 'exit' }
  | { kind: 'may_goto' }
  | { kind: 'addr_space_cast' };

const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/**
 * Classifies an instruction; returns undefined when the opcode/field combination is not a
 * valid instruction (the kernel's "unknown opcode" / "invalid ... field" cases).
 */
export function classify(i: Instruction): InsnKind | undefined {
  const cls = i.opcode & 0x07;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const is64 = cls === BPF_ALU64;
      const code = i.opcode & 0xf0;
      const useReg = (i.opcode & BPF_X) !== 0;
      if (code === ALU_END) {
        const bits = i.imm;
        if (bits !== 16 && bits !== 32 && bits !== 64) return undefined;
        if (is64) return useReg ? undefined : { kind: 'end', bits, to: 'swap' };
        return { kind: 'end', bits, to: useReg ? 'be' : 'le' };
      }
      if (code === ALU_NEG) return useReg ? undefined : { kind: 'neg', is64 };
      if (code === ALU_MOV) {
        if (i.off === 0) return { kind: 'mov', is64, useReg };
        if (useReg && i.off === 1 && is64 && i.imm === 1) return { kind: 'addr_space_cast' };
        if (useReg && (i.off === 8 || i.off === 16 || (i.off === 32 && is64))) {
          return { kind: 'movsx', is64, bits: i.off as 8 | 16 | 32 };
        }
        return undefined;
      }
      const op = aluOpOf(code, i.off);
      if (!op) return undefined;
      return { kind: 'alu', is64, op: op.name, useReg };
    }
    case BPF_JMP:
    case BPF_JMP32: {
      const code = i.opcode & 0xf0;
      const useReg = (i.opcode & BPF_X) !== 0;
      const is64 = cls === BPF_JMP;
      if (code === JMP_JA) return useReg ? undefined : { kind: 'ja', long: !is64 };
      if (code === JMP_CALL) {
        if (!is64) return undefined;
        return useReg ? { kind: 'callx' } : { kind: 'call', pseudo: i.src };
      }
      if (code === JMP_EXIT) return is64 && !useReg ? { kind: 'exit' } : undefined;
      if (code === JMP_JCOND) return is64 && !useReg ? { kind: 'may_goto' } : undefined;
      const op = jmpCondOf(code);
      if (!op) return undefined;
      return { kind: 'jcond', op: op.name, is64, useReg, signed: op.signed };
    }
    case BPF_LD: {
      const mode = i.opcode & 0xe0;
      if (i.opcode === OP_LDDW) return { kind: 'lddw', pseudo: i.src };
      if ((mode === BPF_ABS || mode === BPF_IND) && (i.opcode & 0x18) !== BPF_DW) {
        return { kind: 'ldabs', size: SIZE_BYTES[i.opcode & 0x18]!, indirect: mode === BPF_IND };
      }
      return undefined;
    }
    case BPF_LDX: {
      const mode = i.opcode & 0xe0;
      if (mode === BPF_MEM) return { kind: 'ldx', size: SIZE_BYTES[i.opcode & 0x18]!, signed: false };
      if (mode === BPF_MEMSX && (i.opcode & 0x18) !== BPF_DW) {
        return { kind: 'ldx', size: SIZE_BYTES[i.opcode & 0x18]!, signed: true };
      }
      return undefined;
    }
    case BPF_ST:
      return (i.opcode & 0xe0) === BPF_MEM ? { kind: 'st', size: SIZE_BYTES[i.opcode & 0x18]! } : undefined;
    case BPF_STX: {
      const mode = i.opcode & 0xe0;
      if (mode === BPF_MEM) return { kind: 'stx', size: SIZE_BYTES[i.opcode & 0x18]! };
      if (mode === BPF_ATOMIC) {
        const sz = i.opcode & 0x18;
        if (sz !== BPF_W && sz !== BPF_DW) return undefined;
        const op = atomicOpOf(i.imm);
        if (!op) return undefined;
        return { kind: 'atomic', size: sz === BPF_DW ? 8 : 4, op: op.name, fetch: op.fetch };
      }
      return undefined;
    }
  }
  return undefined;
}

/** True for instructions that end a basic block by jumping (conditional or not, not call/exit). */
export function isJump(i: Instruction): boolean {
  const cls = i.opcode & 0x07;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return false;
  const code = i.opcode & 0xf0;
  return code !== JMP_CALL && code !== JMP_EXIT;
}

/**
 * The jump displacement in instructions (slots) relative to the next slot: `off`, or `imm` for
 * `gotol` (BPF_JMP32 | BPF_JA).
 */
export function jumpOffset(i: Instruction): number {
  return i.opcode === (BPF_JMP32 | JMP_JA) ? i.imm : i.off;
}

/** Writes one instruction (1 or 2 slots) into `out` at byte offset `at`; returns bytes written. */
export function encodeInto(i: Instruction, out: DataView, at: number, endian: Endian): number {
  const le = endian === 'le';
  out.setUint8(at, i.opcode);
  out.setUint8(at + 1, le ? ((i.src & 0xf) << 4) | (i.dst & 0xf) : ((i.dst & 0xf) << 4) | (i.src & 0xf));
  out.setInt16(at + 2, i.off, le);
  out.setInt32(at + 4, i.imm, le);
  if (i.opcode !== OP_LDDW) return 8;
  out.setUint32(at + 8, 0, le);
  out.setInt32(at + 12, i.imm2 ?? 0, le);
  return 16;
}

/** Encodes a sequence of instructions into bytes. */
export function encode(insns: readonly Instruction[], endian: Endian = 'le'): Uint8Array {
  let size = 0;
  for (const i of insns) size += insnWidth(i.opcode) * 8;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const i of insns) at += encodeInto(i, view, at, endian);
  return out;
}

/** A decoding failure: `offset` is the byte offset of the bad slot. */
export interface DecodeProblem {
  readonly offset: number;
  readonly message: string;
}

/** Decodes one slot (or two for lddw) at byte offset `at`. Returns a problem for a truncated lddw. */
export function decodeAt(bytes: Uint8Array, at: number, endian: Endian): Instruction | DecodeProblem {
  const le = endian === 'le';
  if (at + 8 > bytes.length) return { offset: at, message: 'truncated instruction' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const opcode = view.getUint8(at);
  const regs = view.getUint8(at + 1);
  const dst = le ? regs & 0xf : regs >> 4;
  const src = le ? regs >> 4 : regs & 0xf;
  const off = view.getInt16(at + 2, le);
  const imm = view.getInt32(at + 4, le);
  if (opcode !== OP_LDDW) return { opcode, dst, src, off, imm };
  if (at + 16 > bytes.length) return { offset: at, message: 'lddw is missing its second slot' };
  const imm2 = view.getInt32(at + 12, le);
  const regs2 = view.getUint8(at + 9);
  const slot2 = { opcode: view.getUint8(at + 8), dst: le ? regs2 & 0xf : regs2 >> 4, src: le ? regs2 >> 4 : regs2 & 0xf, off: view.getInt16(at + 10, le) };
  if (slot2.opcode || slot2.dst || slot2.src || slot2.off) return { opcode, dst, src, off, imm, imm2, slot2 };
  return { opcode, dst, src, off, imm, imm2 };
}

/**
 * Decodes a whole instruction stream. Throws nothing: problems (a truncated tail, a lddw cut in
 * half) are returned so the caller can raise its own error type with the right offset.
 */
export function decode(
  bytes: Uint8Array,
  endian: Endian = 'le',
): { insns: Instruction[]; problem?: DecodeProblem } {
  const insns: Instruction[] = [];
  let at = 0;
  while (at < bytes.length) {
    const r = decodeAt(bytes, at, endian);
    if ('message' in r) return { insns, problem: r };
    insns.push(r);
    at += insnWidth(r.opcode) * 8;
  }
  return { insns };
}

/** Slot index of every instruction (instructions index → slot index), for jump resolution. */
export function slotIndex(insns: readonly Instruction[]): number[] {
  const out: number[] = [];
  let s = 0;
  for (const i of insns) {
    out.push(s);
    s += insnWidth(i.opcode);
  }
  return out;
}
