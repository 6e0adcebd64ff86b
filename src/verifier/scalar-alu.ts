/**
 * Scalar arithmetic on abstract values: the kernel's `adjust_scalar_min_max_vals` and its
 * `scalar_min_max_*` helpers (kernel/bpf/verifier.c). 64-bit operations track tnum and bounds;
 * 32-bit ones are computed on the zero-extended low halves and zero-extended back
 * (`zext_32_to_64`), as BPF_ALU defines.
 */
import {
  type Reg,
  S64_MAX,
  S64_MIN,
  isConst,
  mark32Unbounded,
  mark64Unbounded,
  markKnown,
  regBoundsSync,
  unknownScalar,
  zext32to64,
} from './reg-state';
import {
  TNUM_UNKNOWN,
  U32_MAX,
  U64_MAX,
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumCast,
  tnumLshift,
  tnumMul,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumXor,
} from './tnum';

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const fits = (x: bigint): boolean => x >= S64_MIN && x <= S64_MAX;

/** The concrete result of an ALU operation, as the VM computes it (RFC 9669 §4.1). */
export function concreteAlu(op: string, a: bigint, b: bigint, bits: 32 | 64): bigint {
  const W = bits === 64 ? u64 : (x: bigint): bigint => BigInt.asUintN(32, x);
  const S = bits === 64 ? s64 : (x: bigint): bigint => BigInt.asIntN(32, x);
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

/** `is_safe_to_compute_dst_reg_range`: can the kernel track this op's result range? */
function trackable(op: string, src: Reg, bits: number): boolean {
  switch (op) {
    case 'add': case 'sub': case 'and': case 'xor': case 'or': case 'mul':
      return true;
    case 'lsh': case 'rsh': case 'arsh':
      return isConst(src) && src.umax < BigInt(bits);
    default:
      return false;
  }
}

/** 64-bit bounds of `dst op src` into `dst` (tnum and bounds), as the kernel's helpers do. */
function alu64(op: string, d: Reg, s: Reg): void {
  switch (op) {
    case 'add': {
      const smin = d.smin + s.smin, smax = d.smax + s.smax;
      if (fits(smin) && fits(smax)) { d.smin = smin; d.smax = smax; } else { d.smin = S64_MIN; d.smax = S64_MAX; }
      const umin = d.umin + s.umin, umax = d.umax + s.umax;
      if (umin > U64_MAX || umax > U64_MAX) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = umin; d.umax = umax; }
      d.varOff = tnumAdd(d.varOff, s.varOff);
      break;
    }
    case 'sub': {
      const smin = d.smin - s.smax, smax = d.smax - s.smin;
      if (fits(smin) && fits(smax)) { d.smin = smin; d.smax = smax; } else { d.smin = S64_MIN; d.smax = S64_MAX; }
      if (d.umin < s.umax) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin -= s.umax; d.umax -= s.umin; }
      d.varOff = tnumSub(d.varOff, s.varOff);
      break;
    }
    case 'mul': {
      const umax = d.umax * s.umax;
      if (umax > U64_MAX) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin = d.umin * s.umin; d.umax = umax; }
      const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
      if (p.every(fits)) {
        d.smin = p.reduce((x, y) => (x < y ? x : y));
        d.smax = p.reduce((x, y) => (x > y ? x : y));
      } else { d.smin = S64_MIN; d.smax = S64_MAX; }
      d.varOff = tnumMul(d.varOff, s.varOff);
      break;
    }
    case 'and': case 'or': case 'xor': {
      d.varOff = op === 'and' ? tnumAnd(d.varOff, s.varOff) : op === 'or' ? tnumOr(d.varOff, s.varOff) : tnumXor(d.varOff, s.varOff);
      if (op === 'and') { d.umin = d.varOff.value; d.umax = d.umax < s.umax ? d.umax : s.umax; }
      else if (op === 'or') { d.umin = d.umin > s.umin ? d.umin : s.umin; d.umax = d.varOff.value | d.varOff.mask; }
      else { d.umin = d.varOff.value; d.umax = d.varOff.value | d.varOff.mask; }
      if (s64(d.umin) <= s64(d.umax)) { d.smin = s64(d.umin); d.smax = s64(d.umax); } else { d.smin = S64_MIN; d.smax = S64_MAX; }
      break;
    }
    case 'lsh': {
      const sh = s.umin;
      if (d.umax > U64_MAX >> sh) { d.umin = 0n; d.umax = U64_MAX; } else { d.umin <<= sh; d.umax <<= sh; }
      d.smin = S64_MIN; d.smax = S64_MAX;
      d.varOff = tnumLshift(d.varOff, Number(sh));
      break;
    }
    case 'rsh': {
      const sh = s.umin;
      d.umin >>= sh; d.umax >>= sh;
      d.smin = S64_MIN; d.smax = S64_MAX;
      d.varOff = tnumRshift(d.varOff, Number(sh));
      break;
    }
    case 'arsh': {
      const sh = s.umin;
      d.smin >>= sh; d.smax >>= sh;
      d.umin = 0n; d.umax = U64_MAX;
      d.varOff = tnumArshift(d.varOff, Number(sh), 64);
      break;
    }
  }
}

/** A zero-extended 64-bit view of a register's low 32 bits. */
function low32(r: Reg): Reg {
  const v = unknownScalar();
  v.varOff = tnumSubreg(r.varOff);
  v.umin = r.u32min;
  v.umax = r.u32max;
  v.smin = r.u32min;
  v.smax = r.u32max;
  regBoundsSync(v);
  return v;
}

/**
 * Applies scalar ALU `op` (`add`, `sub`, ... `neg`) to `dst` with operand `src`, in place.
 * `is64` false is BPF_ALU: 32-bit operation, result zero-extended.
 */
export function scalarAlu(op: string, dst: Reg, src: Reg, is64: boolean): void {
  const bits = is64 ? 64 : 32;
  dst.id = 0;
  if (op === 'neg') src = dst;
  if (isConst(dst) && isConst(src) && (op !== 'neg' ? trackable(op, src, bits) || op === 'neg' : true)) {
    if (['div', 'sdiv', 'mod', 'smod'].includes(op)) {
      // The kernel does not track division: the result is an unknown scalar.
    } else {
      markKnown(dst, concreteAlu(op, dst.varOff.value, src.varOff.value, bits));
      return;
    }
  }
  if (!trackable(op, src, bits)) {
    Object.assign(dst, unknownScalar());
    if (!is64) zext32to64(dst);
    return;
  }
  if (is64) {
    alu64(op, dst, src);
    mark32Unbounded(dst);
    regBoundsSync(dst);
    return;
  }
  const d = low32(dst);
  alu64(op, d, low32(src));
  const res = unknownScalar();
  res.varOff = tnumCast(d.varOff, 4);
  if (d.umax <= U32_MAX && d.umin <= d.umax) {
    res.u32min = d.umin;
    res.u32max = d.umax;
  }
  mark64Unbounded(res);
  res.varOff = res.varOff.mask === TNUM_UNKNOWN.mask ? tnumCast(TNUM_UNKNOWN, 4) : res.varOff;
  Object.assign(dst, res);
  zext32to64(dst);
}
