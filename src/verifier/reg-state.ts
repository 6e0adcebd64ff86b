/**
 * Register state: the kernel's `struct bpf_reg_state` (include/linux/bpf_verifier.h) — a type,
 * a fixed offset for pointers, and for scalars and pointer variable offsets the tnum plus
 * signed/unsigned 64/32-bit bounds, kept consistent by `regBoundsSync` (`reg_bounds_sync`).
 */
import {
  TNUM_UNKNOWN,
  U32_MAX,
  U64_MAX,
  type Tnum,
  tnumClearSubreg,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumSubreg,
} from './tnum';

/** Base register types (`enum bpf_reg_type`) xdpts tracks. */
export type RegType =
  | 'NOT_INIT'
  | 'SCALAR_VALUE'
  | 'PTR_TO_CTX'
  | 'CONST_PTR_TO_MAP'
  | 'PTR_TO_MAP_VALUE'
  | 'PTR_TO_MAP_KEY'
  | 'PTR_TO_STACK'
  | 'PTR_TO_PACKET_META'
  | 'PTR_TO_PACKET'
  | 'PTR_TO_PACKET_END'
  | 'PTR_TO_MEM'
  | 'PTR_TO_FUNC'
  /** Sockets from bpf_sk_lookup_* / bpf_skc_lookup_tcp (see refs.ts). */
  | 'PTR_TO_SOCKET'
  | 'PTR_TO_SOCK_COMMON'
  | 'PTR_TO_TCP_SOCK'
  /** A BTF-typed kernel object (kfunc results such as `struct nf_conn`); `map` names its struct (btf-objects.ts). */
  | 'PTR_TO_BTF_ID';

/** One register's abstract value. Mutable; states are deep-copied when they fork. */
export interface Reg {
  type: RegType;
  /** PTR_MAYBE_NULL. */
  maybeNull: boolean;
  /** MEM_RDONLY (read-only memory, e.g. a frozen .rodata map value). */
  rdonly: boolean;
  /** MEM_RINGBUF (memory reserved in a ring buffer). */
  ringbuf: boolean;
  /** Fixed part of a pointer's offset. */
  off: number;
  varOff: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: bigint;
  s32max: bigint;
  u32min: bigint;
  u32max: bigint;
  /** Shared id of registers that came from the same value (null checks, packet ranges). */
  id: number;
  /** Id of the reference a pointer holds (ringbuf reservations). */
  refObjId: number;
  /** Packet pointers: bytes proven readable from the packet pointer's offset... as `r=`. */
  range: number;
  /** Map pointers and values: index into the verified program's maps. */
  map: number;
  /** PTR_TO_MEM: its size. */
  memSize: number;
  /** PTR_TO_STACK: frame the pointer points into. PTR_TO_FUNC: the subprogram start. */
  frameno: number;
  /** Precision mark (printed as `P`). */
  precise: boolean;
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * `BPF_ADD_CONST64` / `BPF_ADD_CONST32`: id flags of a scalar known to be its linked twins plus
 * `off` (`r1 = r0; r1 += 8` gives r1 the id of r0 with ADD_CONST64 and off 8; `w1 += 8`
 * ADD_CONST32, the sum then being zero-extended).
 */
export const ADD_CONST64 = 0x80000000;
export const ADD_CONST32 = 0x40000000;
/** A scalar id without its `BPF_ADD_CONST` flags. */
export const baseId = (id: number): number => id & 0x3fffffff;
export const hasAddConst = (id: number): boolean => id >= ADD_CONST32;
export const hasAddConst32 = (id: number): boolean => (id & ADD_CONST32) !== 0;

/**
 * `assign_scalar_id_before_mov`: an unknown scalar gets an id before it is copied so the copies
 * stay linked; a `+const` twin loses its link first (one delta only per id).
 */
export function assignScalarIdBeforeMov(env: { idGen: number }, r: Reg): void {
  if (r.type !== 'SCALAR_VALUE') return;
  if (hasAddConst(r.id)) {
    r.id = 0;
    r.off = 0;
  }
  if (r.id === 0 && !isConst(r)) r.id = ++env.idGen;
}

/** A fresh NOT_INIT register (`__mark_reg_not_init`). */
export function notInit(): Reg {
  const r = unknownScalar();
  r.type = 'NOT_INIT';
  return r;
}

/** An unknown scalar (`__mark_reg_unknown`). */
export function unknownScalar(): Reg {
  return {
    type: 'SCALAR_VALUE',
    maybeNull: false,
    rdonly: false,
    ringbuf: false,
    off: 0,
    varOff: TNUM_UNKNOWN,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32_MAX,
    id: 0,
    refObjId: 0,
    range: 0,
    map: -1,
    memSize: 0,
    frameno: 0,
    precise: false,
  };
}

/** Sets `r` to the known constant `v` (`__mark_reg_known`), keeping its type. */
export function markKnown(r: Reg, v: bigint): void {
  const x = u64(v);
  r.varOff = tnumConst(x);
  r.smin = r.smax = s64(x);
  r.umin = r.umax = x;
  r.s32min = r.s32max = s32(x);
  r.u32min = r.u32max = u32(x);
}

/** A scalar holding constant `v`. */
export function constScalar(v: bigint): Reg {
  const r = unknownScalar();
  markKnown(r, v);
  return r;
}

/** A pointer of type `type` with a known zero variable offset (`mark_reg_known_zero`). */
export function pointer(type: RegType, extra: Partial<Reg> = {}): Reg {
  const r = unknownScalar();
  markKnown(r, 0n);
  r.type = type;
  return Object.assign(r, extra);
}

/** Deep copy of a register. */
export function copyReg(r: Reg): Reg {
  // Written out field by field: object spread is several times slower in V8's hot path.
  return {
    type: r.type, maybeNull: r.maybeNull, rdonly: r.rdonly, ringbuf: r.ringbuf, off: r.off, varOff: r.varOff,
    smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax, s32min: r.s32min, s32max: r.s32max,
    u32min: r.u32min, u32max: r.u32max, id: r.id, refObjId: r.refObjId, range: r.range, map: r.map,
    memSize: r.memSize, frameno: r.frameno, precise: r.precise,
  };
}

/** Marks the 32-bit bounds unknown (`__mark_reg32_unbounded`). */
export function mark32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

/** Marks the 64-bit bounds unknown (`__mark_reg64_unbounded`). */
export function mark64Unbounded(r: Reg): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

/** `__update_reg32_bounds`: 32-bit bounds from known bits. */
export function updateReg32Bounds(r: Reg): void {
  const v32 = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(v32.value | (v32.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(v32.value | (v32.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, v32.value);
  r.u32max = min(r.u32max, v32.value | v32.mask);
}

/** `__update_reg_bounds`: 32- and 64-bit bounds from known bits. */
export function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  const v = r.varOff;
  r.smin = max(r.smin, s64(v.value | (v.mask & (1n << 63n))));
  r.smax = min(r.smax, s64(v.value | (v.mask & S64_MAX)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
}

/** `__reg32_deduce_bounds`. */
function deduce32(r: Reg): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // `(u32)(x >> 32) + 1` wraps in C: 0xffffffff is followed by 0 (ranges crossing -1/0).
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(u64(r.smin) >> 32n) + 1n) === u32(u64(r.smax) >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  }
}

/** `__reg64_deduce_bounds`. */
function deduce64(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else if (r.umax < u64(r.smin)) {
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

/** `__reg_deduce_mixed_bounds`: 64-bit bounds from 32-bit ones. */
function deduceMixed(r: Reg): void {
  const hiMask = ~U32_MAX;
  let nmin = (r.umin & hiMask) | r.u32min;
  let nmax = (r.umax & hiMask) | r.u32max;
  r.umin = max(r.umin, u64(nmin));
  r.umax = min(r.umax, u64(nmax));
  nmin = s64((u64(r.smin) & hiMask) | r.u32min);
  nmax = s64((u64(r.smax) & hiMask) | r.u32max);
  r.smin = max(r.smin, nmin);
  r.smax = min(r.smax, nmax);
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = max(r.smin, r.s32min);
    r.smax = min(r.smax, r.s32max);
    r.umin = max(r.umin, r.s32min);
    r.umax = min(r.umax, r.s32max);
    r.varOff = tnumIntersect(r.varOff, tnumRange(r.smin, r.smax));
  }
}

/** `__reg_bound_offset`: known bits from the bounds. */
function boundOffset(r: Reg): void {
  const v64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(r.varOff), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(v64), v32);
}

/** `reg_bounds_sync`: make tnum and all four bound pairs agree. */
export function regBoundsSync(r: Reg): void {
  const v = r.varOff.value;
  if (
    r.varOff.mask === 0n && r.umin <= v && v <= r.umax && r.smin <= s64(v) && s64(v) <= r.smax &&
    r.u32min <= u32(v) && u32(v) <= r.u32max && r.s32min <= s32(v) && s32(v) <= r.s32max
  ) {
    // A constant: every bound is the value (what the general path converges to, faster).
    markKnown(r, r.varOff.value);
    return;
  }
  updateRegBounds(r);
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
  deduce64(r);
  boundOffset(r);
  updateRegBounds(r);
}

/** True when the bounds are contradictory (`reg_bounds_sanity_check` failing). */
export function boundsInvalid(r: Reg): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max;
}

/**
 * `zext_32_to_64` after an ALU32 operation: upper half zero, 64-bit bounds from 32-bit ones
 * (the caller runs `reg_bounds_sync` afterwards, as the kernel does).
 */
export function zext32to64(r: Reg): void {
  r.varOff = tnumSubreg(r.varOff);
  // __reg_assign_32_into_64: signed bounds carry over only when both are non-negative.
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** True when the register is a known constant. */
export const isConst = (r: Reg): boolean => r.type === 'SCALAR_VALUE' && tnumIsConst(r.varOff);

/** True for the pointer types into the packet (`type_is_pkt_pointer`). */
export const isPktPointer = (r: Reg): boolean => r.type === 'PTR_TO_PACKET' || r.type === 'PTR_TO_PACKET_META';

/** True for any pointer (everything but scalar and not-init). */
export const isPointer = (r: Reg): boolean => r.type !== 'SCALAR_VALUE' && r.type !== 'NOT_INIT';
