/**
 * The WebAssembly engine's register arithmetic: the locals a translated BPF function has and
 * the code of ALU instructions on them (64-bit registers are i64 locals; 32-bit operations
 * wrap, compute in i32 and zero-extend, as the ISA says). Division and modulo never trap:
 * x / 0 = 0, x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0 (RFC 9669 §4.1).
 */
import {
  OP_BE16, OP_BE32, OP_BE64, OP_BSWAP16, OP_BSWAP32, OP_BSWAP64, OP_LE16, OP_LE32, OP_LE64,
  OP_MOVSX32_16, OP_MOVSX32_8, OP_MOVSX64_16, OP_MOVSX64_32, OP_MOVSX64_8, OP_SDIV32K, OP_SDIV32X,
  OP_SDIV64K, OP_SDIV64X, OP_SMOD32K, OP_SMOD32X, OP_SMOD64K, OP_SMOD64X, type Decoded,
} from './decode';
import { Bytes, I32, I64, OP } from './wasm-encode';

// Locals of a BPF function: r0..r9 (parameters), top (r10's offset), then r10 and temporaries.
export const L_TOP = 10;
export const L_R10 = 11;
export const L_A = 12; // i64: an effective address
export const L_V = 13; // i64: scratch
export const L_TAG = 14; // i32: a region tag
export const L_E = 15; // i32: the tag's table entry
export const L_MG = 16; // i32: may_goto budget of the frame
export const L_T = 17; // i32: scratch
export const L_DISP = 18; // i32: the target of a jump into the middle of loops (see Structure)
/** The local holding BPF register r. */
export const reg = (r: number): number => (r === 10 ? L_R10 : r);

/** Emits register arithmetic into the body of one function. */
export class RegAsm {
  protected readonly w = new Bytes();
  constructor(protected readonly dec: Decoded) {}

  protected get(l: number): void {
    this.w.byte(OP.local_get).u32(l);
  }

  protected set(l: number): void {
    this.w.byte(OP.local_set).u32(l);
  }

  protected i32(v: number): void {
    this.w.byte(OP.i32_const).s32(v);
  }

  protected i64(lo: number, hi: number): void {
    this.w.byte(OP.i64_const).s64(lo, hi);
  }

  protected mem(opcode: number, align: number, offset: number): void {
    this.w.byte(opcode).u32(align).u32(offset);
  }

  /** The second operand of an ALU64/JMP instruction as an i64. */
  protected b64(pc: number): void {
    const { dec } = this;
    if ((dec.op[pc]! & 8) !== 0) this.get(reg(dec.src[pc]!));
    else this.i64(dec.imm[pc]!, dec.imm[pc]! >> 31);
  }

  /** The second operand of an ALU32/JMP32 instruction as an i32. */
  protected b32(pc: number): void {
    const { dec } = this;
    if ((dec.op[pc]! & 8) !== 0) {
      this.get(reg(dec.src[pc]!));
      this.w.byte(OP.i32_wrap_i64);
    } else {
      this.i32(dec.imm[pc]!);
    }
  }

  protected alu64(pc: number, code: number, rd: number, x: boolean, k: number): undefined {
    const { w } = this;
    const kh = k >> 31;
    const simple: Record<number, number> = {
      0x00: OP.i64_add, 0x10: OP.i64_sub, 0x20: OP.i64_mul, 0x40: OP.i64_or, 0x50: OP.i64_and,
      0x60: OP.i64_shl, 0x70: OP.i64_shr_u, 0xa0: OP.i64_xor, 0xc0: OP.i64_shr_s,
    };
    if (code === 0xb0) {
      this.b64(pc);
      this.set(rd);
      return;
    }
    if (code === 0x80) {
      this.i64(0, 0);
      this.get(rd);
      w.byte(OP.i64_sub);
      this.set(rd);
      return;
    }
    const sop = simple[code];
    if (sop !== undefined) {
      this.get(rd);
      this.b64(pc);
      w.byte(sop);
      this.set(rd);
      return;
    }
    // Unsigned division and modulo: x / 0 = 0, x % 0 = x.
    const div = code === 0x30;
    if (!x) {
      if (k === 0) {
        if (div) {
          this.i64(0, 0);
          this.set(rd);
        }
        return;
      }
      this.get(rd);
      this.i64(k, kh);
      w.byte(div ? OP.i64_div_u : OP.i64_rem_u);
      this.set(rd);
      return;
    }
    this.b64(pc);
    w.byte(OP.i64_eqz).byte(OP.if).byte(I64);
    if (div) this.i64(0, 0);
    else this.get(rd);
    w.byte(OP.else);
    this.get(rd);
    this.b64(pc);
    w.byte(div ? OP.i64_div_u : OP.i64_rem_u).byte(OP.end);
    this.set(rd);
    return;
  }

  protected alu32(pc: number, code: number, rd: number, x: boolean, k: number): undefined {
    const { w } = this;
    const simple: Record<number, number> = {
      0x00: OP.i32_add, 0x10: OP.i32_sub, 0x20: OP.i32_mul, 0x40: OP.i32_or, 0x50: OP.i32_and,
      0x60: OP.i32_shl, 0x70: OP.i32_shr_u, 0xa0: OP.i32_xor, 0xc0: OP.i32_shr_s,
    };
    const lo = (): void => {
      this.get(rd);
      w.byte(OP.i32_wrap_i64);
    };
    if (code === 0xb0) {
      this.b32(pc);
    } else if (code === 0x80) {
      this.i32(0);
      lo();
      w.byte(OP.i32_sub);
    } else if (simple[code] !== undefined) {
      lo();
      this.b32(pc);
      w.byte(simple[code]!);
    } else {
      const div = code === 0x30;
      if (!x && k === 0) {
        if (div) this.i32(0);
        else lo();
      } else if (!x) {
        lo();
        this.i32(k);
        w.byte(div ? OP.i32_div_u : OP.i32_rem_u);
      } else {
        this.b32(pc);
        w.byte(OP.i32_eqz).byte(OP.if).byte(I32);
        if (div) this.i32(0);
        else lo();
        w.byte(OP.else);
        lo();
        this.b32(pc);
        w.byte(div ? OP.i32_div_u : OP.i32_rem_u).byte(OP.end);
      }
    }
    w.byte(OP.i64_extend_i32_u);
    this.set(rd);
    return;
  }

  /** Signed division/modulo, sign extensions, byte swaps. */
  protected ext(o: number, rd: number, rs: number, k: number): string | undefined {
    const { w } = this;
    const set64 = (): void => this.set(rd);
    const set32 = (): void => {
      w.byte(OP.i64_extend_i32_u);
      this.set(rd);
    };
    switch (o) {
      case OP_SDIV64K: case OP_SDIV64X: case OP_SMOD64K: case OP_SMOD64X: {
        const div = o === OP_SDIV64K || o === OP_SDIV64X;
        const b = (): void => (o === OP_SDIV64X || o === OP_SMOD64X ? this.get(rs) : this.i64(k, k >> 31));
        // x / 0 = 0, x % 0 = x; x / -1 = -x (INT64_MIN stays), x % -1 = 0: never a wasm trap.
        b();
        w.byte(OP.i64_eqz).byte(OP.if).byte(I64);
        if (div) this.i64(0, 0);
        else this.get(rd);
        w.byte(OP.else);
        b();
        this.i64(-1, -1);
        w.byte(OP.i64_eq).byte(OP.if).byte(I64);
        if (div) {
          this.i64(0, 0);
          this.get(rd);
          w.byte(OP.i64_sub);
        } else {
          this.i64(0, 0);
        }
        w.byte(OP.else);
        this.get(rd);
        b();
        w.byte(div ? OP.i64_div_s : OP.i64_rem_s).byte(OP.end).byte(OP.end);
        set64();
        return;
      }
      case OP_SDIV32K: case OP_SDIV32X: case OP_SMOD32K: case OP_SMOD32X: {
        const div = o === OP_SDIV32K || o === OP_SDIV32X;
        const b = (): void => {
          if (o === OP_SDIV32X || o === OP_SMOD32X) {
            this.get(rs);
            w.byte(OP.i32_wrap_i64);
          } else {
            this.i32(k);
          }
        };
        const a = (): void => {
          this.get(rd);
          w.byte(OP.i32_wrap_i64);
        };
        b();
        w.byte(OP.i32_eqz).byte(OP.if).byte(I32);
        if (div) this.i32(0);
        else a();
        w.byte(OP.else);
        b();
        this.i32(-1);
        w.byte(OP.i32_eq).byte(OP.if).byte(I32);
        if (div) {
          this.i32(0);
          a();
          w.byte(OP.i32_sub);
        } else {
          this.i32(0);
        }
        w.byte(OP.else);
        a();
        b();
        w.byte(div ? OP.i32_div_s : OP.i32_rem_s).byte(OP.end).byte(OP.end);
        set32();
        return;
      }
      case OP_MOVSX32_8: case OP_MOVSX32_16:
        this.get(rs);
        w.byte(OP.i32_wrap_i64).byte(o === OP_MOVSX32_8 ? OP.i32_extend8_s : OP.i32_extend16_s);
        set32();
        return;
      case OP_MOVSX64_8: case OP_MOVSX64_16: case OP_MOVSX64_32:
        this.get(rs);
        w.byte(o === OP_MOVSX64_8 ? OP.i64_extend8_s : o === OP_MOVSX64_16 ? OP.i64_extend16_s : OP.i64_extend32_s);
        set64();
        return;
      case OP_LE16:
        this.get(rd);
        this.i64(0xffff, 0);
        w.byte(OP.i64_and);
        set64();
        return;
      case OP_LE32:
        this.get(rd);
        this.i64(-1, 0);
        w.byte(OP.i64_and);
        set64();
        return;
      case OP_LE64:
        return;
      case OP_BE16: case OP_BSWAP16:
        this.get(rd);
        w.byte(OP.i32_wrap_i64);
        this.bswap16();
        set32();
        return;
      case OP_BE32: case OP_BSWAP32:
        this.get(rd);
        w.byte(OP.i32_wrap_i64);
        this.bswap32();
        set32();
        return;
      case OP_BE64: case OP_BSWAP64:
        // (bswap32(lo) << 32) | bswap32(hi)
        this.get(rd);
        w.byte(OP.i32_wrap_i64);
        this.bswap32();
        w.byte(OP.i64_extend_i32_u);
        this.i64(32, 0);
        w.byte(OP.i64_shl);
        this.get(rd);
        this.i64(32, 0);
        w.byte(OP.i64_shr_u).byte(OP.i32_wrap_i64);
        this.bswap32();
        w.byte(OP.i64_extend_i32_u).byte(OP.i64_or);
        set64();
        return;
      default:
        return `instruction 0x${o.toString(16)} has no translation`;
    }
  }

  /** i32 on the stack → its low 16 bits byte-swapped. */
  protected bswap16(): void {
    const { w } = this;
    w.byte(OP.local_tee).u32(L_T);
    this.i32(8);
    w.byte(OP.i32_shl);
    this.i32(0xff00);
    w.byte(OP.i32_and);
    this.get(L_T);
    this.i32(8);
    w.byte(OP.i32_shr_u);
    this.i32(0xff);
    w.byte(OP.i32_and).byte(OP.i32_or);
  }

  /** i32 on the stack → byte-swapped: rotl(x & 0xff00ff00, 8) | rotr(x & 0x00ff00ff, 8). */
  protected bswap32(): void {
    const { w } = this;
    w.byte(OP.local_tee).u32(L_T);
    this.i32(0xff00ff00 | 0);
    w.byte(OP.i32_and);
    this.i32(8);
    w.byte(OP.i32_rotl);
    this.get(L_T);
    this.i32(0x00ff00ff);
    w.byte(OP.i32_and);
    this.i32(8);
    w.byte(OP.i32_rotr).byte(OP.i32_or);
  }

}
