/**
 * The WebAssembly engine's memory accesses: through the space's region table in the linear
 * memory (the pointer's tag selects an entry, one bounds check, then a plain wasm load or
 * store), straight into the frame for registers known to hold r10 + K, and through the
 * imports' slow paths (regions outside the linear memory, the context, faults) otherwise.
 * Also the imports' indexes, shared with ./wasm-code.ts.
 */
import { OP_CALLX, OP_CALL_HELPER, OP_CALL_KFUNC, OP_CALL_LOCAL, OP_CALL_TAIL } from './decode';
import { HEAP_CTX, HEAP_RET, HEAP_STACK, HEAP_TABLE, TABLE_CAP } from './space';
import { MAX_BPF_STACK, TAG_CTX, TAG_PACKET } from './types';
import { L_A, L_E, L_TAG, L_TOP, RegAsm } from './wasm-alu';
import { I64, OP, VOID } from './wasm-encode';

/** Imported functions, by index (the order of wasm.ts's IMPORTS). */
export const IMP_CALL = 0;
export const IMP_SLOAD = 1;
export const IMP_SSTORE = 2;
export const IMP_ATOMIC = 3;
export const IMP_TAIL = 4;
export const IMP_FAULT = 5;
export const IMP_LDABS = 6;
export const IMP_CALLX = 7;
/** Kinds of the `fault` import's faults. */
export const FAULT_DEEP = 0;
export const FAULT_STEPS = 1;
export const FAULT_END = 2;
export const FAULT_KFUNC = 3;

/** Emits memory accesses; tracks the registers that hold r10 + K (the JIT's rule, see jit.ts). */
export class MemAsm extends RegAsm {
  protected SK: (number | undefined)[] = new Array<number | undefined>(11).fill(undefined);

  protected fault(pc: number, kind: number, arg: number): void {
    this.i32(pc);
    this.i32(kind);
    this.i32(arg);
    this.w.byte(OP.call).u32(IMP_FAULT);
  }

  /** r0 = the i64 at RET. */
  protected loadRet(into: number): void {
    this.i32(0);
    this.mem(OP.i64_load, 3, HEAP_RET);
    this.set(into);
  }

  /**
   * The generic access: leaves the linear-memory address on the stack inside `$fast` when the
   * pointer in `rp` plus `ofs` is `size` bytes inside a region of the table (bounds `len`, or
   * `wlen` for stores), else branches to the slow path that follows `slow`'s code.
   */
  protected access(rp: number, ofs: number, size: number, write: boolean, fast: () => void, slow: () => void): void {
    const { w } = this;
    w.byte(OP.block).byte(VOID); // $done
    w.byte(OP.block).byte(VOID); // $slow
    this.get(rp);
    this.i64(32, 0);
    w.byte(OP.i64_shr_u).byte(OP.i32_wrap_i64).byte(OP.local_tee).u32(L_TAG);
    this.i32(TABLE_CAP);
    w.byte(OP.i32_ge_u).byte(OP.br_if).u32(0);
    this.get(L_TAG);
    this.i32(4);
    w.byte(OP.i32_shl);
    this.set(L_E);
    // a = (int32) lo + off, as the interpreter computes it (no wrap-around).
    this.get(rp);
    w.byte(OP.i64_extend32_s);
    this.i64(ofs, ofs >> 31);
    w.byte(OP.i64_add).byte(OP.local_tee).u32(L_A);
    this.get(L_E);
    this.mem(OP.i64_load32_u, 2, HEAP_TABLE + 4);
    w.byte(OP.i64_lt_s).byte(OP.br_if).u32(0);
    this.get(L_A);
    this.i64(size, 0);
    w.byte(OP.i64_add);
    this.get(L_E);
    this.mem(OP.i64_load32_u, 2, HEAP_TABLE + (write ? 12 : 8));
    w.byte(OP.i64_gt_s).byte(OP.br_if).u32(0);
    this.get(L_E);
    this.mem(OP.i32_load, 2, HEAP_TABLE);
    this.get(L_A);
    w.byte(OP.i32_wrap_i64).byte(OP.i32_add);
    fast();
    w.byte(OP.br).u32(1);
    w.byte(OP.end);
    slow();
    w.byte(OP.end);
  }

  protected load(pc: number, o: number, rd: number, rs: number): undefined {
    const { w, dec } = this;
    const sz = o === 0x61 || o === 0x81 ? 4 : o === 0x69 || o === 0x89 ? 2 : o === 0x71 || o === 0x91 ? 1 : 8;
    const ofs = dec.off[pc]!;
    const loadOp: Record<number, number> = {
      0x61: OP.i64_load32_u, 0x69: OP.i64_load16_u, 0x71: OP.i64_load8_u, 0x79: OP.i64_load,
      0x81: OP.i64_load32_s, 0x89: OP.i64_load16_s, 0x91: OP.i64_load8_s,
    };
    const lop = loadOp[o]!;
    const align = sz === 8 ? 3 : sz === 4 ? 2 : sz === 2 ? 1 : 0;
    const sk = this.stackOff(dec.src[pc]!);
    if (sk !== undefined && inFrame(sk + ofs, sz)) {
      this.get(L_TOP);
      this.mem(lop, align, HEAP_STACK + sk + ofs);
      this.set(rd);
      return;
    }
    this.access(rs, ofs, sz, false, () => {
      this.mem(lop, align, 0);
      this.set(rd);
    }, () => {
      if (o === 0x61) this.ctxLoad(rd);
      this.i32(pc);
      this.get(rs);
      w.byte(OP.i32_wrap_i64);
      this.get(L_TAG);
      this.i32(ofs);
      this.i32(sz);
      this.i32(o >= 0x80 ? 1 : 0);
      w.byte(OP.call).u32(IMP_SLOAD);
      this.loadRet(rd);
    });
    return;
  }

  /**
   * The XDP context's fields without leaving wasm (the slow path of a 4-byte load, before the
   * import): xdp_md's six u32 from the HEAP_CTX mirror, data/data_end/data_meta as packet
   * pointers, as Run.slowLoad rewrites them. Falls through to the import for anything else.
   */
  private ctxLoad(rd: number): void {
    const { w } = this;
    w.byte(OP.block).byte(VOID);
    this.get(L_TAG);
    this.i32(TAG_CTX);
    w.byte(OP.i32_ne).byte(OP.br_if).u32(0);
    this.i32(0);
    this.mem(OP.i32_load, 2, HEAP_CTX + 24);
    w.byte(OP.i32_eqz).byte(OP.br_if).u32(0);
    this.get(L_A);
    this.i64(24, 0);
    w.byte(OP.i64_ge_u).byte(OP.br_if).u32(0);
    this.get(L_A);
    this.i64(3, 0);
    w.byte(OP.i64_and).byte(OP.i64_eqz).byte(OP.i32_eqz).byte(OP.br_if).u32(0);
    this.get(L_A);
    w.byte(OP.i32_wrap_i64);
    this.mem(OP.i64_load32_u, 2, HEAP_CTX);
    this.get(L_A);
    this.i64(12, 0);
    w.byte(OP.i64_lt_u).byte(OP.if).byte(I64);
    this.i64(0, TAG_PACKET);
    w.byte(OP.else);
    this.i64(0, 0);
    w.byte(OP.end).byte(OP.i64_or);
    this.set(rd);
    w.byte(OP.br).u32(1).byte(OP.end);
  }

  protected store(pc: number, o: number, rd: number, rs: number, k: number, imm: boolean): undefined {
    const { w, dec } = this;
    const atomic = (o & 0xe0) === 0xc0;
    const sz = atomic ? (o === 0xdb ? 8 : 4) : (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : (o & 0x18) === 0x10 ? 1 : 8;
    const ofs = dec.off[pc]!;
    const value = (): void => (imm ? this.i64(k, k >> 31) : this.get(rs));
    const halves = (): void => {
      // The value's halves as two i32 (for the slow-path imports).
      value();
      w.byte(OP.i32_wrap_i64);
      value();
      this.i64(32, 0);
      w.byte(OP.i64_shr_u).byte(OP.i32_wrap_i64);
    };
    const hiOf = (r: number): void => {
      this.get(r);
      this.i64(32, 0);
      w.byte(OP.i64_shr_u).byte(OP.i32_wrap_i64);
    };
    if (atomic) {
      // Atomics go through the import, on any region: old value at RET.
      this.i32(pc);
      this.get(rd);
      w.byte(OP.i32_wrap_i64);
      hiOf(rd);
      this.i32(ofs);
      this.i32(sz);
      this.i32(k);
      halves();
      this.get(0);
      w.byte(OP.i32_wrap_i64);
      hiOf(0);
      w.byte(OP.call).u32(IMP_ATOMIC);
      if ((k & ~1) === 0xf0) this.loadRet(0);
      else if ((k & 1) !== 0) this.loadRet(rs);
      return;
    }
    const sop = sz === 8 ? OP.i64_store : sz === 4 ? OP.i64_store32 : sz === 2 ? OP.i64_store16 : OP.i64_store8;
    const align = sz === 8 ? 3 : sz === 4 ? 2 : sz === 2 ? 1 : 0;
    const sk = this.stackOff(dec.dst[pc]!);
    if (sk !== undefined && inFrame(sk + ofs, sz)) {
      this.get(L_TOP);
      value();
      this.mem(sop, align, HEAP_STACK + sk + ofs);
      return;
    }
    this.access(rd, ofs, sz, true, () => {
      value();
      this.mem(sop, align, 0);
    }, () => {
      this.i32(pc);
      this.get(rd);
      w.byte(OP.i32_wrap_i64);
      this.get(L_TAG);
      this.i32(ofs);
      this.i32(sz);
      halves();
      w.byte(OP.call).u32(IMP_SSTORE);
    });
    return;
  }

  protected stackOff(r: number): number | undefined {
    return r === 10 ? 0 : this.SK[r];
  }

  protected track(pc: number): void {
    const { dec, SK } = this;
    const o = dec.op[pc]!;
    const d = dec.dst[pc]!;
    const cls = o & 7;
    if (o === 0xbf) { SK[d] = this.stackOff(dec.src[pc]!); return; }
    if (o === 0x07) {
      const k = SK[d];
      SK[d] = k === undefined || Math.abs(k + dec.imm[pc]!) > 1 << 20 ? undefined : k + dec.imm[pc]!;
      return;
    }
    if (o < 0x100 && (cls === 2 || (cls === 3 && (o & 0xe0) !== 0xc0))) return;
    if (o < 0x100 && (cls === 5 || cls === 6) && o !== OP_CALLX && o !== OP_CALL_HELPER) return;
    if (o >= 0x100 && (o === OP_CALL_LOCAL || o === OP_CALL_TAIL || o === OP_CALL_KFUNC)) { SK.fill(undefined); return; }
    if (o === OP_CALLX) { SK.fill(undefined); return; }
    SK[d] = undefined;
    SK[0] = undefined;
    if (cls === 3) SK[dec.src[pc]!] = undefined;
  }
}

function inFrame(k: number, size: number): boolean {
  return k >= -MAX_BPF_STACK && k + size <= 0;
}
