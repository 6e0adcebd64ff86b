/**
 * Pre-decoding: turns `Instruction[]` into flat typed arrays indexed by slot (an `lddw` takes
 * two), with one small integer operation code per slot and every jump and call target computed
 * once. Both engines read this; it also rejects what neither can run (uBPF's load-time
 * validation: unknown opcodes, registers above r10, writes to r10, jumps out of the program or
 * into the middle of an `lddw`).
 */
import {
  BPF_CALL_HELPER,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC,
  BPF_PSEUDO_KFUNC_CALL,
  MAX_REG,
  R10,
  classify,
  helperName,
  insnWidth,
  type Instruction,
} from '../isa';
import { HelperNotEmulatedError, TAG_FUNC, VmCompileError, type HelperFn, type HelperTable, type PseudoResolver, type SpecializedHelperFn } from './types';

/** Internal operation codes beyond the raw opcode byte (which is used as is where unambiguous). */
export const OP_INVALID = -1;
export const OP_SDIV32K = 0x100;
export const OP_SDIV32X = 0x101;
export const OP_SMOD32K = 0x102;
export const OP_SMOD32X = 0x103;
export const OP_SDIV64K = 0x104;
export const OP_SDIV64X = 0x105;
export const OP_SMOD64K = 0x106;
export const OP_SMOD64X = 0x107;
export const OP_MOVSX32_8 = 0x108;
export const OP_MOVSX32_16 = 0x109;
export const OP_MOVSX64_8 = 0x10a;
export const OP_MOVSX64_16 = 0x10b;
export const OP_MOVSX64_32 = 0x10c;
export const OP_LE16 = 0x110;
export const OP_LE32 = 0x111;
export const OP_LE64 = 0x112;
export const OP_BE16 = 0x113;
export const OP_BE32 = 0x114;
export const OP_BE64 = 0x115;
export const OP_BSWAP16 = 0x116;
export const OP_BSWAP32 = 0x117;
export const OP_BSWAP64 = 0x118;
export const OP_JA = 0x05;
export const OP_LDDW = 0x18;
export const OP_CALL_HELPER = 0x85;
export const OP_CALL_LOCAL = 0x120;
export const OP_CALL_KFUNC = 0x121;
/**
 * Helper ids stay below this; kfunc BTF ids in the helper table are above it (Linux 6.18 has
 * 212 helpers; kfunc ids are vmlinux type ids, conntrack's around 63,000).
 */
const MAX_HELPER_ID = 0x3ff;
export const OP_CALL_TAIL = 0x122;
export const OP_CALLX = 0x8d;
export const OP_EXIT = 0x95;
export const OP_MAY_GOTO = 0xe5;

/**
 * Helper call sites whose r1 is a constant: the call's slot → the slot of the `lddw` into r1
 * that dominates it in its basic block (no jump target, jump, call or other write of r1 in
 * between). For {@link HelperTable.specialize}.
 */
export function constR1Calls(dec: Decoded): Map<number, number> {
  const { op, dst, src, tgt, n } = dec;
  const entered = new Uint8Array(n + 1);
  for (const e of dec.entries) entered[e] = 1;
  for (let pc = 0; pc < n; pc++) {
    if (tgt[pc]! >= 0) entered[tgt[pc]!] = 1;
    if (op[pc] === OP_CALL_LOCAL || op[pc] === OP_CALLX) entered[pc + 1] = 1;
  }
  const out = new Map<number, number>();
  for (let pc = 0; pc < n; pc++) {
    if (op[pc] !== OP_CALL_HELPER || entered[pc]) continue;
    for (let i = pc - 1; i >= 0; i--) {
      const o = op[i]!;
      if (o === OP_INVALID) continue; // second slot of an lddw
      const cls = o & 7;
      if (o === OP_LDDW) {
        if (dst[i] === 1) {
          out.set(pc, i);
          break;
        }
      } else if (o >= 0x100 || cls === 5 || cls === 6) {
        break; // jumps, calls, exits, and extended ops (which may write r1) end the search
      } else if (cls === 2 || cls === 3) {
        // Stores write no register; atomics with BPF_FETCH / cmpxchg write src or r0.
        if ((o & 0xe0) === 0xc0 && src[i] === 1) break;
      } else if (dst[i] === 1 || cls === 0) {
        break; // ALU/loads into r1, and legacy ld_abs/ld_ind (they write r0 and may end the run)
      }
      if (entered[i]) break;
    }
  }
  return out;
}

/** The instruction at each slot (undefined on the second slot of an lddw). */
export function slotInsns(dec: Decoded): (Instruction | undefined)[] {
  const out: (Instruction | undefined)[] = new Array(dec.n);
  let pc = 0;
  for (const i of dec.insns) {
    out[pc] = i;
    pc += insnWidth(i.opcode);
  }
  return out;
}

/**
 * The specialised helpers of a program's call sites (slot → function) that the table's
 * {@link HelperTable.specialize} offers; empty when it has none.
 */
export function specializedCalls(dec: Decoded, table: HelperTable): Map<number, SpecializedHelperFn> {
  const out = new Map<number, SpecializedHelperFn>();
  if (table.specialize === undefined) return out;
  const sites = constR1Calls(dec);
  if (sites.size === 0) return out;
  const insns = slotInsns(dec);
  for (const [call, load] of sites) {
    const fn = table.specialize(dec.imm[call]!, dec.imm[load]!, dec.imm2[load]!, insns[load]!);
    if (fn !== undefined) out.set(call, fn);
  }
  return out;
}

/** Longest exit tail (instructions before the `exit`) a backward jump is replaced by a copy of. */
const EXIT_TAIL_MAX = 8;

/**
 * The slot of the `exit` ending the short straight run of instructions at `t` (no jumps, calls
 * or extended operations), or -1. Compilers share one `r0 = rX; exit` tail between branches,
 * often laid out before them; a backward jump to it is emitted as a copy of the tail (tail
 * duplication, as the JIT does) instead of a loop, which would make such layouts irreducible.
 */
export function exitTail(dec: Decoded, t: number): number {
  const { op, n } = dec;
  let count = 0;
  for (let pc = t; pc < n && count <= EXIT_TAIL_MAX; pc++) {
    const o = op[pc]!;
    if (o === -1) continue;
    if (o === OP_EXIT) return pc;
    const cls = o & 7;
    if (o >= 0x100 || (cls === 0 && o !== OP_LDDW) || cls === 5 || cls === 6) return -1;
    count++;
  }
  return -1;
}

/** Kernel helper id of bpf_tail_call (include/uapi/linux/bpf.h). */
export const BPF_FUNC_tail_call = 12;

/** A program in pre-decoded form. Arrays are indexed by slot. */
export interface Decoded {
  readonly insns: readonly Instruction[];
  /** Number of slots. */
  readonly n: number;
  readonly op: Int32Array;
  readonly dst: Int32Array;
  readonly src: Int32Array;
  readonly off: Int32Array;
  /** Immediate; for `lddw` the resolved low half of the value. */
  readonly imm: Int32Array;
  /** `lddw` only: the resolved high half of the value. */
  readonly imm2: Int32Array;
  /** Jump target slot (jumps, may_goto, local calls); -1 otherwise. */
  readonly tgt: Int32Array;
  /** Slots where a function may start: 0, local call targets, BPF_PSEUDO_FUNC targets. */
  readonly entries: ReadonlySet<number>;
  /** Helper ids the program calls (other than tail_call). */
  readonly helperIds: ReadonlySet<number>;
  /** True when the program can write memory: stores, atomics, helper calls, tail calls. */
  readonly writes: boolean;
}

/** Pre-decodes and validates a program. Throws {@link VmCompileError} on what cannot run. */
export function decodeProgram(
  insns: readonly Instruction[],
  resolvePseudo: PseudoResolver | undefined,
  hasHelper: (id: number) => boolean,
  hasTailCall: boolean,
): Decoded {
  let n = 0;
  for (const i of insns) n += insnWidth(i.opcode);
  const op = new Int32Array(n).fill(OP_INVALID);
  const dst = new Int32Array(n);
  const src = new Int32Array(n);
  const off = new Int32Array(n);
  const imm = new Int32Array(n);
  const imm2 = new Int32Array(n);
  const tgt = new Int32Array(n).fill(-1);
  const entries = new Set<number>([0]);
  const helperIds = new Set<number>();
  const funcRefs: number[] = [];
  if (n === 0) throw new VmCompileError(0, 'empty program');
  // Second slots of lddw: no jump may land there.
  const tail = new Uint8Array(n);
  {
    let at = 0;
    for (const i of insns) {
      if (insnWidth(i.opcode) === 2) tail[at + 1] = 1;
      at += insnWidth(i.opcode);
    }
  }

  let pc = 0;
  for (const i of insns) {
    const k = classify(i);
    if (!k) throw new VmCompileError(pc, `unknown opcode 0x${i.opcode.toString(16).padStart(2, '0')}`);
    if (i.dst > MAX_REG || i.src > MAX_REG) throw new VmCompileError(pc, 'register number above r10');
    dst[pc] = i.dst;
    src[pc] = i.src;
    off[pc] = i.off;
    imm[pc] = i.imm;
    const writesDst =
      k.kind === 'alu' || k.kind === 'neg' || k.kind === 'mov' || k.kind === 'movsx' ||
      k.kind === 'end' || k.kind === 'lddw' || k.kind === 'ldx';
    if (writesDst && i.dst === R10) throw new VmCompileError(pc, 'r10 is read-only');
    const jumpTo = (rel: number): number => {
      const t = pc + rel + 1;
      if (t < 0 || t >= n || tail[t] === 1) {
        throw new VmCompileError(pc, `jump to ${t} is outside the program or inside an lddw`);
      }
      return t;
    };
    switch (k.kind) {
      case 'alu': {
        const x = k.useReg ? 1 : 0;
        if (k.op === 'sdiv') op[pc] = k.is64 ? OP_SDIV64K + x : OP_SDIV32K + x;
        else if (k.op === 'smod') op[pc] = k.is64 ? OP_SMOD64K + x : OP_SMOD32K + x;
        else op[pc] = i.opcode;
        break;
      }
      case 'neg':
      case 'mov':
        op[pc] = i.opcode;
        break;
      case 'movsx':
        op[pc] = k.is64
          ? k.bits === 8 ? OP_MOVSX64_8 : k.bits === 16 ? OP_MOVSX64_16 : OP_MOVSX64_32
          : k.bits === 8 ? OP_MOVSX32_8 : OP_MOVSX32_16;
        break;
      case 'end': {
        const b = k.bits === 16 ? 0 : k.bits === 32 ? 1 : 2;
        op[pc] = (k.to === 'le' ? OP_LE16 : k.to === 'be' ? OP_BE16 : OP_BSWAP16) + b;
        break;
      }
      case 'lddw': {
        op[pc] = OP_LDDW;
        if (k.pseudo === 0) {
          imm2[pc] = i.imm2 ?? 0;
        } else if (k.pseudo === BPF_PSEUDO_FUNC) {
          // imm is the offset of the function from the next instruction (kernel: insn + imm + 1).
          const t = jumpTo(i.imm);
          imm[pc] = t;
          imm2[pc] = TAG_FUNC;
          funcRefs.push(t);
        } else if (resolvePseudo) {
          const [lo, hi] = resolvePseudo(i, pc);
          imm[pc] = lo | 0;
          imm2[pc] = hi | 0;
        } else {
          imm2[pc] = i.imm2 ?? 0;
        }
        break;
      }
      case 'ldabs':
      case 'ldx':
      case 'st':
      case 'stx':
      case 'atomic':
        op[pc] = i.opcode;
        break;
      case 'ja':
        op[pc] = OP_JA;
        tgt[pc] = jumpTo(k.long ? i.imm : i.off);
        break;
      case 'jcond':
        op[pc] = i.opcode;
        tgt[pc] = jumpTo(i.off);
        break;
      case 'may_goto':
        op[pc] = OP_MAY_GOTO;
        tgt[pc] = jumpTo(i.off);
        break;
      case 'call':
        if (k.pseudo === BPF_PSEUDO_CALL) {
          op[pc] = OP_CALL_LOCAL;
          tgt[pc] = jumpTo(i.imm);
          entries.add(tgt[pc]!);
        } else if (k.pseudo === BPF_CALL_HELPER) {
          if (i.imm === BPF_FUNC_tail_call && hasTailCall) {
            op[pc] = OP_CALL_TAIL;
          } else {
            if (!hasHelper(i.imm)) {
              if (helperName(i.imm) !== undefined) throw new HelperNotEmulatedError(pc, i.imm);
              throw new VmCompileError(pc, `call to unknown helper #${i.imm}`);
            }
            op[pc] = OP_CALL_HELPER;
            helperIds.add(i.imm);
          }
        } else if (k.pseudo === BPF_PSEUDO_KFUNC_CALL) {
          // A kfunc the table implements sits at its vmlinux BTF id (far above helper ids)
          // and is called like a helper; any other stays a call the engines refuse at run time.
          if (i.imm > MAX_HELPER_ID && hasHelper(i.imm)) {
            op[pc] = OP_CALL_HELPER;
            helperIds.add(i.imm);
          } else op[pc] = OP_CALL_KFUNC;
        } else {
          throw new VmCompileError(pc, `call with unknown src ${k.pseudo}`);
        }
        break;
      case 'callx':
        op[pc] = OP_CALLX;
        break;
      case 'exit':
        op[pc] = OP_EXIT;
        break;
      case 'addr_space_cast':
        throw new VmCompileError(pc, 'addr_space_cast (BPF arena) is not supported');
    }
    pc += insnWidth(i.opcode);
  }
  for (const t of funcRefs) entries.add(t);
  let writes = false;
  for (let s = 0; s < n; s++) {
    const cls = op[s]! & 7;
    if (op[s]! < 0x100 && (cls === 2 || cls === 3)) writes = true;
    if (op[s] === OP_CALL_HELPER || op[s] === OP_CALL_TAIL || op[s] === OP_CALL_KFUNC) writes = true;
  }
  return { insns, n, op, dst, src, off, imm, imm2, tgt, entries, helperIds, writes };
}
