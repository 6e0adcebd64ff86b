/**
 * Scalar arithmetic on abstract values: the kernel's `adjust_scalar_min_max_vals` and its
 * `scalar_min_max_*` / `scalar32_min_max_*` helpers (kernel/bpf/verifier.c, 6.18). Both the
 * 32-bit and the 64-bit bounds are updated by every operation; a BPF_ALU (32-bit) result is
 * then zero-extended (`zext_32_to_64`) and everything re-synchronised (`reg_bounds_sync`).
 * Operations whose result range the kernel does not compute (div, mod, shifts by a
 * non-constant) give an unknown 64-bit scalar, without zero extension, as the kernel's do.
 */
import {
  type Reg,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  constScalar,
  mark32Unbounded,
  mark64Unbounded,
  markKnown,
  regBoundsSync,
  unknownScalar,
  updateRegBounds,
  updateReg32Bounds,
  zext32to64,
} from './reg-state';
import {
  TNUM_UNKNOWN,
  U32_MAX,
  U64_MAX,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumBswap,
  tnumCast,
  tnumConst,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumOr,
  tnumRange,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumXor,
} from './tnum';

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const minOf = (xs: bigint[]): bigint => xs.reduce((a, b) => (a < b ? a : b));
const maxOf = (xs: bigint[]): bigint => xs.reduce((a, b) => (a > b ? a : b));

/** The concrete result of an ALU operation, as the VM computes it (RFC 9669 §4.1). */
export function concreteAlu(op: string, a: bigint, b: bigint, bits: 32 | 64): bigint {
  const W = bits === 64 ? u64 : u32;
  const S = bits === 64 ? s64 : s32;
  a = W(a);
  b = W(b);
  const sh = BigInt(Number(b) & (bits - 1));
  switch (op) {
    case 'add': return W(a + b);
    case 'sub': return W(a - b);
    case 'mul': return W(a * b);
    case 'div': return b === 0n ? 0n : a / b;
    case 'sdiv': return b === 0n ? 0n : W(S(a) / S(b));
    case 'mod': return b === 0n ? a : a % b;
    case 'smod': return b === 0n ? a : W(S(a) % S(b));
    case 'or': return a | b;
    case 'and': return a & b;
    case 'xor': return a ^ b;
    case 'lsh': return W(a << sh);
    case 'rsh': return a >> sh;
    case 'arsh': return W(S(a) >> sh);
    case 'neg': return W(-a);
    default: return 0n;
  }
}

/** `is_safe_to_compute_dst_reg_range`. */
function trackable(op: string, src: Reg, bits: number): boolean {
  switch (op) {
    case 'add': case 'sub': case 'neg': case 'and': case 'xor': case 'or': case 'mul':
      return true;
    case 'lsh': case 'rsh': case 'arsh': {
      const known = bits === 32
        ? (src.varOff.mask & U32_MAX) === 0n && src.s32min === src.s32max && src.u32min === src.u32max
        : tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax;
      return known && src.umax < BigInt(bits);
    }
    default:
      return false;
  }
}

// ---- add / sub (with the 6.17+ wrap-around handling of the unsigned bounds) ----

function add32(d: Reg, s: Reg): void {
  const smin = d.s32min + s.s32min, smax = d.s32max + s.s32max;
  if (smin !== s32(smin) || smax !== s32(smax)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = smin; d.s32max = smax; }
  const umin = d.u32min + s.u32min, umax = d.u32max + s.u32max;
  const minOv = umin > U32_MAX, maxOv = umax > U32_MAX;
  if (!minOv && maxOv) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = u32(umin); d.u32max = u32(umax); }
}

function add64(d: Reg, s: Reg): void {
  const smin = d.smin + s.smin, smax = d.smax + s.smax;
  if (smin !== s64(smin) || smax !== s64(smax)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
  const umin = d.umin + s.umin, umax = d.umax + s.umax;
  const minOv = umin > U64_MAX, maxOv = umax > U64_MAX;
  if (!minOv && maxOv) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = u64(umin); d.umax = u64(umax); }
}

function sub32(d: Reg, s: Reg): void {
  const smin = d.s32min - s.s32max, smax = d.s32max - s.s32min;
  if (smin !== s32(smin) || smax !== s32(smax)) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = smin; d.s32max = smax; }
  const umin = d.u32min - s.u32max, umax = d.u32max - s.u32min;
  if (umin < 0n && umax >= 0n) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = u32(umin); d.u32max = u32(umax); }
}

function sub64(d: Reg, s: Reg): void {
  const smin = d.smin - s.smax, smax = d.smax - s.smin;
  if (smin !== s64(smin) || smax !== s64(smax)) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = smin; d.smax = smax; }
  const umin = d.umin - s.umax, umax = d.umax - s.umin;
  if (umin < 0n && umax >= 0n) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = u64(umin); d.umax = u64(umax); }
}

// ---- mul ----

function mul32(d: Reg, s: Reg): void {
  const umax = d.u32max * s.u32max, umin = d.u32min * s.u32min;
  if (umax > U32_MAX || umin > U32_MAX) { d.u32min = 0n; d.u32max = U32_MAX; } else { d.u32min = umin; d.u32max = umax; }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (p.some((x) => x !== s32(x))) { d.s32min = S32_MIN; d.s32max = S32_MAX; } else { d.s32min = minOf(p); d.s32max = maxOf(p); }
}

function mul64(d: Reg, s: Reg): void {
  const umax = d.umax * s.umax, umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (p.some((x) => x !== s64(x))) { d.smin = S64_MIN; d.smax = S64_MAX; } else { d.smin = minOf(p); d.smax = maxOf(p); }
}

// ---- and / or / xor (the tnum is computed first; bounds follow from it) ----

function signed32FromUnsigned(d: Reg): void {
  if (s32(d.u32min) <= s32(d.u32max)) { d.s32min = s32(d.u32min); d.s32max = s32(d.u32max); } else { d.s32min = S32_MIN; d.s32max = S32_MAX; }
}
function signed64FromUnsigned(d: Reg): void {
  if (s64(d.umin) <= s64(d.umax)) { d.smin = s64(d.umin); d.smax = s64(d.umax); } else { d.smin = S64_MIN; d.smax = S64_MAX; }
}
function markKnown32(d: Reg, v: bigint): void {
  d.s32min = d.s32max = s32(v);
  d.u32min = d.u32max = u32(v);
}

function bitwise32(op: string, d: Reg, s: Reg): void {
  const v = tnumSubreg(d.varOff);
  if ((s.varOff.mask & U32_MAX) === 0n && v.mask === 0n) { markKnown32(d, v.value); return; }
  if (op === 'and') { d.u32min = v.value; d.u32max = d.u32max < s.u32max ? d.u32max : s.u32max; }
  else if (op === 'or') { d.u32min = d.u32min > s.u32min ? d.u32min : s.u32min; d.u32max = v.value | v.mask; }
  else { d.u32min = v.value; d.u32max = v.value | v.mask; }
  signed32FromUnsigned(d);
}

function bitwise64(op: string, d: Reg, s: Reg): void {
  if (tnumIsConst(s.varOff) && tnumIsConst(d.varOff)) { markKnown(d, d.varOff.value); return; }
  const v = d.varOff;
  if (op === 'and') { d.umin = v.value; d.umax = d.umax < s.umax ? d.umax : s.umax; }
  else if (op === 'or') { d.umin = d.umin > s.umin ? d.umin : s.umin; d.umax = v.value | v.mask; }
  else { d.umin = v.value; d.umax = v.value | v.mask; }
  signed64FromUnsigned(d);
  updateRegBounds(d);
}

// ---- shifts (the shift amount is a known constant here) ----

function lsh32Bounds(d: Reg, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) { d.u32min = 0n; d.u32max = U32_MAX; }
  else { d.u32min <<= umin; d.u32max <<= umax; }
}

function lsh64Bounds(d: Reg, umin: bigint, umax: bigint): void {
  // `<<32` keeps non-negative 32-bit signed bounds (the compiler's sign-extension idiom).
  const by32 = umin === 32n && umax === 32n;
  d.smax = by32 && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = by32 && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umax)) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = u64(d.umin << umin); d.umax = u64(d.umax << umax); }
}

function shift32(op: string, d: Reg, s: Reg): void {
  const umin = s.u32min, umax = s.u32max;
  const sub = tnumSubreg(d.varOff);
  if (op === 'lsh') {
    lsh32Bounds(d, umin, umax);
    d.varOff = tnumSubreg(tnumLshift(sub, Number(umin)));
  } else if (op === 'rsh') {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
    d.varOff = tnumRshift(sub, Number(umin));
    d.u32min >>= umax;
    d.u32max >>= umin;
  } else {
    d.s32min = s32(u32(d.s32min >> umin));
    d.s32max = s32(u32(d.s32max >> umin));
    d.varOff = tnumArshift(sub, Number(umin), 32);
    d.u32min = 0n;
    d.u32max = U32_MAX;
  }
  mark64Unbounded(d);
  updateReg32Bounds(d);
}

function shift64(op: string, d: Reg, s: Reg): void {
  const umin = s.umin, umax = s.umax;
  if (op === 'lsh') {
    lsh64Bounds(d, umin, umax);
    lsh32Bounds(d, umin, umax);
    d.varOff = tnumLshift(d.varOff, Number(umin));
  } else if (op === 'rsh') {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
    d.varOff = tnumRshift(d.varOff, Number(umin));
    d.umin >>= umax;
    d.umax >>= umin;
    mark32Unbounded(d);
  } else {
    d.smin >>= umin;
    d.smax >>= umin;
    d.varOff = tnumArshift(d.varOff, Number(umin), 64);
    d.umin = 0n;
    d.umax = U64_MAX;
    mark32Unbounded(d);
  }
  updateRegBounds(d);
}

/**
 * Applies scalar ALU `op` (`add`, `sub`, ... `neg`) to `dst` with operand `src`, in place
 * (`adjust_scalar_min_max_vals`). `is64` false is BPF_ALU: 32-bit operation, result
 * zero-extended.
 */
export function scalarAlu(op: string, dst: Reg, src: Reg, is64: boolean): void {
  const bits = is64 ? 64 : 32;
  dst.id = 0;
  if (op === 'neg') src = dst;
  if (!trackable(op, src, bits)) {
    Object.assign(dst, unknownScalar());
    return;
  }
  switch (op) {
    case 'add':
      add32(dst, src);
      add64(dst, src);
      dst.varOff = tnumAdd(dst.varOff, src.varOff);
      break;
    case 'sub':
      sub32(dst, src);
      sub64(dst, src);
      dst.varOff = tnumSub(dst.varOff, src.varOff);
      break;
    case 'neg': {
      const old = { ...dst };
      markKnown(dst, 0n);
      sub32(dst, old);
      sub64(dst, old);
      dst.varOff = tnumSub(tnumConst(0n), old.varOff);
      break;
    }
    case 'mul':
      mul32(dst, src);
      mul64(dst, src);
      dst.varOff = tnumMul(dst.varOff, src.varOff);
      break;
    case 'and': case 'or': case 'xor':
      dst.varOff = op === 'and' ? tnumAnd(dst.varOff, src.varOff) : op === 'or' ? tnumOr(dst.varOff, src.varOff) : tnumXor(dst.varOff, src.varOff);
      bitwise32(op, dst, src);
      bitwise64(op, dst, src);
      break;
    default:
      if (is64) shift64(op, dst, src);
      else shift32(op, dst, src);
  }
  if (!is64) zext32to64(dst);
  regBoundsSync(dst);
}

/**
 * `reg += delta` for a linked `+const` twin (`sync_linked_regs`): the bounds and known bits of
 * a scalar shifted by the constant `delta`, id and off untouched.
 */
export function addDelta(dst: Reg, delta: bigint): void {
  const c = constScalar(delta);
  add32(dst, c);
  add64(dst, c);
  dst.varOff = tnumAdd(dst.varOff, c.varOff);
}

/**
 * BPF_END on a scalar: the known bits are byte-swapped (when the operation swaps on a
 * little-endian host) and truncated to the width; the bounds follow from them.
 */
export function scalarByteSwap(dst: Reg, bits: 16 | 32 | 64, swap: boolean): void {
  dst.id = 0;
  if (swap) dst.varOff = tnumBswap(dst.varOff, bits);
  if (bits < 64) dst.varOff = tnumCast(dst.varOff, bits / 8);
  mark64Unbounded(dst);
  mark32Unbounded(dst);
  regBoundsSync(dst);
}

/** `coerce_reg_to_size`: a `size`-byte zero-extending load or truncation. */
export function coerceToSize(r: Reg, size: number): void {
  if (size >= 8) return;
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) { r.umin &= mask; r.umax &= mask; } else { r.umin = 0n; r.umax = mask; }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) mark32Unbounded(r);
  regBoundsSync(r);
}

/**
 * `coerce_reg_to_size_sx`: a sign-extending move or load of the low `size` bytes, as Linux 6.18
 * bounds it: the signed range is the 32-bit signed range when that fits in `size` bytes (the
 * extension then changes nothing), and the unsigned range of the low bytes, sign-extended
 * (monotone in unsigned order, so the ends map to the ends; the signed range spans the whole
 * width when they straddle the sign bit). The known bits follow from those ranges alone: bits
 * known in the source (`(x << 27)` has 16 low zero bits) are not carried over.
 */
export function coerceToSizeSx(r: Reg, size: number): void {
  if (size >= 8) return;
  const n = size * 8;
  const nbits = BigInt(n);
  const sx = (x: bigint): bigint => BigInt.asIntN(n, x);
  // A value the extension may change is no longer equal to its linked copies.
  if (r.umax >= 1n << (nbits - 1n)) {
    r.id = 0;
    r.off = 0;
  }
  if (tnumIsConst(r.varOff)) {
    markKnown(r, u64(sx(r.varOff.value)));
    return;
  }
  const half = 1n << (nbits - 1n);
  const mask = (1n << nbits) - 1n;
  let lo = 0n;
  let hi = mask;
  if (n === 32) {
    lo = r.u32min;
    hi = r.u32max;
  } else if (r.u32min >> nbits === r.u32max >> nbits) {
    lo = r.u32min & mask;
    hi = r.u32max & mask;
  }
  let smin = -half;
  let smax = half - 1n;
  if (lo < half === hi < half) {
    smin = sx(lo);
    smax = sx(hi);
  }
  if (r.s32min >= -half && r.s32max < half) {
    if (r.s32min > smin) smin = r.s32min;
    if (r.s32max < smax) smax = r.s32max;
  }
  const umin = u64(sx(lo));
  const umax = u64(sx(hi));
  const keep32 = n === 32 ? [r.s32min, r.s32max, r.u32min, r.u32max] as const : undefined;
  r.varOff = TNUM_UNKNOWN;
  r.smin = smin;
  r.smax = smax;
  r.umin = umin;
  r.umax = umax;
  mark32Unbounded(r);
  if (keep32) [r.s32min, r.s32max, r.u32min, r.u32max] = keep32;
  regBoundsSync(r);
}

/** `coerce_subreg_to_size_sx`: `w1 = (s8)w2` / `(s16)` on the 32-bit view. */
export function coerceSubregToSizeSx(r: Reg, size: number): void {
  const nbits = BigInt(size * 8);
  const sx = (x: bigint): bigint => BigInt.asIntN(size * 8, x);
  if (tnumIsConst(r.varOff)) {
    const v = u64(sx(r.varOff.value));
    r.varOff = tnumConst(v);
    r.s32min = r.s32max = s32(v);
    r.u32min = r.u32max = u32(v);
    return;
  }
  const topMax = (u32(r.s32max) >> nbits) << nbits;
  const topMin = (u32(r.s32min) >> nbits) << nbits;
  if (topMax === topMin) {
    const a = sx(r.s32max), b = sx(r.s32min);
    const hi = a > b ? a : b, lo = a < b ? a : b;
    if ((hi >= 0n) === (lo >= 0n)) {
      r.s32min = lo; r.s32max = hi; r.u32min = u32(lo); r.u32max = u32(hi);
      r.varOff = tnumSubreg(tnumRange(u64(lo), u64(hi)));
      return;
    }
  }
  const half = 1n << (nbits - 1n);
  r.s32min = -half;
  r.s32max = half - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  r.varOff = tnumSubreg(TNUM_UNKNOWN);
}
