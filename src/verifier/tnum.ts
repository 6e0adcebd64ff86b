/**
 * Tristate numbers ("tnums"): the kernel verifier's known-bits abstraction of a 64-bit value
 * (kernel/bpf/tnum.c). A bit is known when its `mask` bit is 0, and then equals the `value` bit.
 * Values are unsigned 64-bit BigInts; this is the analysis, not the VM's hot path.
 */

/** A tristate number: `value` holds the known bits, `mask` the unknown ones. */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** All ones in 64 bits. */
export const U64_MAX = (1n << 64n) - 1n;
/** All ones in 32 bits. */
export const U32_MAX = 0xffffffffn;

const t = (value: bigint, mask: bigint): Tnum => ({ value: value & U64_MAX, mask: mask & U64_MAX });

/** The fully unknown tnum (`tnum_unknown`). */
export const TNUM_UNKNOWN: Tnum = t(0n, U64_MAX);

/** A known constant (`tnum_const`). */
export function tnumConst(v: bigint): Tnum {
  return t(v, 0n);
}

/** Position of the highest set bit, 1-based, 0 for 0 (`fls64`). */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The smallest tnum covering [min, max] (`tnum_range`). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return t(min & ~delta, delta);
}

/** True when every bit is known. */
export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
/** True when no bit is known. */
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
/** True when `a` is the constant `v`. */
export const tnumEqualsConst = (a: Tnum, v: bigint): boolean => a.mask === 0n && a.value === (v & U64_MAX);

/** `tnum_lshift`. */
export function tnumLshift(a: Tnum, s: number): Tnum {
  return t(a.value << BigInt(s), a.mask << BigInt(s));
}
/** `tnum_rshift`. */
export function tnumRshift(a: Tnum, s: number): Tnum {
  return t(a.value >> BigInt(s), a.mask >> BigInt(s));
}
/** `tnum_arshift` for 32- or 64-bit operands. */
export function tnumArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  if (bits === 32) {
    return t(
      BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> BigInt(s)),
      BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> BigInt(s)),
    );
  }
  return t(BigInt.asIntN(64, a.value) >> BigInt(s), BigInt.asIntN(64, a.mask) >> BigInt(s));
}
/** `tnum_add`. */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = (a.mask + b.mask) & U64_MAX;
  const sv = (a.value + b.value) & U64_MAX;
  const sigma = (sm + sv) & U64_MAX;
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return t(sv & ~mu, mu);
}
/** `tnum_sub`. */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = (a.value - b.value) & U64_MAX;
  const alpha = (dv + a.mask) & U64_MAX;
  const beta = (dv - b.mask) & U64_MAX;
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return t(dv & ~mu, mu);
}
/** `tnum_and`. */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return t(v, alpha & beta & ~v);
}
/** `tnum_or`. */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return t(v, mu & ~v);
}
/** `tnum_xor`. */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return t(v & ~mu, mu);
}
/** `tnum_mul` (the kernel's shift-and-add form). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = (a.value * b.value) & U64_MAX;
  let accM = t(0n, 0n);
  while (a.value !== 0n || a.mask !== 0n) {
    if (a.value & 1n) accM = tnumAdd(accM, t(0n, b.mask));
    else if (a.mask & 1n) accM = tnumAdd(accM, t(0n, b.value | b.mask));
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return tnumAdd(t(accV, 0n), accM);
}
/** `tnum_bswap16/32/64`: the low `bits` bits with their bytes reversed. */
export function tnumBswap(a: Tnum, bits: 16 | 32 | 64): Tnum {
  const swap = (x: bigint): bigint => {
    let out = 0n;
    for (let i = 0; i < bits / 8; i++) out = (out << 8n) | ((x >> BigInt(i * 8)) & 0xffn);
    return out;
  };
  return t(swap(a.value), swap(a.mask));
}
/** `tnum_intersect`: what both know. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return t(v & ~mu, mu);
}
/** `tnum_cast`: keep the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = (1n << BigInt(size * 8)) - 1n;
  return t(a.value & m, a.mask & m);
}
/** `tnum_in(a, b)`: every value of `b` is a value of `a`. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}
/** `tnum_subreg`: the low 32 bits. */
export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
/** `tnum_clear_subreg`: the high 32 bits only. */
export const tnumClearSubreg = (a: Tnum): Tnum => tnumLshift(tnumRshift(a, 32), 32);
/** `tnum_with_subreg`: high bits of `a`, low 32 bits of `sub`. */
export const tnumWithSubreg = (a: Tnum, sub: Tnum): Tnum => tnumOr(tnumClearSubreg(a), tnumSubreg(sub));
/** `tnum_const_subreg`. */
export const tnumConstSubreg = (a: Tnum, v: bigint): Tnum => tnumWithSubreg(a, tnumConst(v & U32_MAX));
/** `tnum_strn` format of an unknown tnum: `(0x0; 0xff)`. */
export function tnumStr(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
/** `tnum_strn`: a known constant as a number (decimal up to U16_MAX), otherwise `(0x0; 0xff)`. */
export function tnumStrn(a: Tnum): string {
  if (a.mask === 0n) return a.value <= 0xffffn ? `${a.value}` : `0x${a.value.toString(16)}`;
  return tnumStr(a);
}
/** `tnum_is_aligned`. */
export const tnumIsAligned = (a: Tnum, size: number): boolean => size === 0 || ((a.value | a.mask) & BigInt(size - 1)) === 0n;
