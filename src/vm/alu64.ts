/**
 * 64-bit arithmetic on int32 halves, without BigInt on the common paths. Results go to the
 * scratch pair {@link T} (`T[0]` = low, `T[1]` = high) so no object is allocated per operation.
 * Semantics follow RFC 9669 §4.1 and the kernel interpreter (kernel/bpf/core.c): unsigned
 * division by zero gives 0, modulo by zero leaves the dividend, signed overflow
 * INT64_MIN / -1 gives INT64_MIN and INT64_MIN % -1 gives 0 (x86 semantics the kernel patches in).
 */

/** The scratch result pair of every function here: T[0] = low half, T[1] = high half. */
export const T = new Int32Array(2);

const TWO32 = 4294967296;

/** High 32 bits of the unsigned 64-bit product of two uint32 (as int32). */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a0 * b0;
  const m1 = a1 * b0;
  const m2 = a0 * b1;
  const carry = ((t >>> 16) + (m1 & 0xffff) + (m2 & 0xffff)) >>> 16;
  return (a1 * b1 + (m1 >>> 16) + (m2 >>> 16) + carry) | 0;
}

/** 64-bit wrapping multiply. */
export function mul64(al: number, ah: number, bl: number, bh: number): void {
  T[0] = Math.imul(al, bl);
  T[1] = (mulhiU32(al, bl) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
}

function toBig(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function fromBig(v: bigint): void {
  T[0] = Number(BigInt.asIntN(32, v));
  T[1] = Number(BigInt.asIntN(32, v >> 32n));
}

/**
 * Divides the unsigned 64-bit (al, ah) by a non-zero uint32 `b` exactly with doubles: long
 * division in 16-bit digits keeps every partial dividend below 2^48. Quotient in T, remainder
 * returned. This is the common 64-bit case (`x / 1000`, `hash % size`) and avoids BigInt.
 */
function divU64by32(al: number, ah: number, b: number): number {
  const hi = ah >>> 0;
  const qh = Math.floor(hi / b);
  let r = hi - qh * b;
  let t = r * 65536 + (al >>> 16);
  const q1 = Math.floor(t / b);
  r = t - q1 * b;
  t = r * 65536 + (al & 0xffff);
  const q0 = Math.floor(t / b);
  r = t - q0 * b;
  T[0] = (q1 * 65536 + q0) | 0;
  T[1] = qh | 0;
  return r;
}

/** Unsigned 64-bit division; x / 0 = 0. */
export function udiv64(al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    T[0] = 0;
    T[1] = 0;
  } else if (ah === 0 && bh === 0) {
    T[0] = ((al >>> 0) / (bl >>> 0)) | 0;
    T[1] = 0;
  } else if (bh === 0) {
    divU64by32(al, ah, bl >>> 0);
  } else {
    // Rare: a divisor of 2^32 or more. BigInt costs ~80 ns here (measured), acceptable off the hot path.
    fromBig(toBig(al, ah) / toBig(bl, bh));
  }
}

/** Unsigned 64-bit modulo; x % 0 = x. */
export function umod64(al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    T[0] = al;
    T[1] = ah;
  } else if (ah === 0 && bh === 0) {
    T[0] = (al >>> 0) % (bl >>> 0) | 0;
    T[1] = 0;
  } else if (bh === 0) {
    T[0] = divU64by32(al, ah, bl >>> 0) | 0;
    T[1] = 0;
  } else {
    fromBig(toBig(al, ah) % toBig(bl, bh));
  }
}

/** True when the int64 (lo, hi) is a sign-extended int32 other than INT32_MIN (exact in doubles). */
function smallS(lo: number, hi: number): boolean {
  return hi === lo >> 31;
}

/** Negates the int64 (lo, hi) into T (two's complement; INT64_MIN stays itself). */
function neg64(lo: number, hi: number): void {
  T[0] = -lo | 0;
  T[1] = (~hi + (lo === 0 ? 1 : 0)) | 0;
}

/**
 * Signed division/modulo through magnitudes when |b| < 2^32 (then divU64by32 is exact); the
 * quotient is negative when the signs differ, the remainder takes the dividend's sign (C, RFC
 * 9669 §4.1). Returns false when |b| needs 64 bits (the caller then uses BigInt).
 */
function sdivmodSmall(al: number, ah: number, bl: number, bh: number, mod: boolean): boolean {
  let ml = bl;
  let mh = bh;
  if (bh < 0) {
    neg64(bl, bh);
    ml = T[0]!;
    mh = T[1]!;
  }
  if (mh !== 0) return false;
  const an = ah < 0;
  let xl = al;
  let xh = ah;
  if (an) {
    neg64(al, ah);
    xl = T[0]!;
    xh = T[1]!;
  }
  const r = divU64by32(xl, xh, ml >>> 0);
  if (mod) {
    T[0] = r | 0;
    T[1] = 0;
    if (an) neg64(T[0]!, 0);
  } else if (an !== bh < 0) {
    neg64(T[0]!, T[1]!);
  }
  return true;
}

/** Signed 64-bit division, truncating; x / 0 = 0, INT64_MIN / -1 = INT64_MIN. */
export function sdiv64(al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    T[0] = 0;
    T[1] = 0;
  } else if (smallS(al, ah) && smallS(bl, bh)) {
    // |a|,|b| <= 2^31 so the quotient is exact in a double (|q| <= 2^31 fits 64 bits).
    const q = Math.trunc(al / bl);
    T[0] = q | 0;
    T[1] = q < 0 ? -1 : 0;
  } else if (!sdivmodSmall(al, ah, bl, bh, false)) {
    fromBig(BigInt.asIntN(64, BigInt.asIntN(64, toBig(al, ah)) / BigInt.asIntN(64, toBig(bl, bh))));
  }
}

/** Signed 64-bit modulo (sign of the dividend); x % 0 = x, INT64_MIN % -1 = 0. */
export function smod64(al: number, ah: number, bl: number, bh: number): void {
  if (bl === 0 && bh === 0) {
    T[0] = al;
    T[1] = ah;
  } else if (smallS(al, ah) && smallS(bl, bh)) {
    const r = al % bl;
    T[0] = r | 0;
    T[1] = r < 0 ? -1 : 0;
  } else if (!sdivmodSmall(al, ah, bl, bh, true)) {
    fromBig(BigInt.asIntN(64, toBig(al, ah)) % BigInt.asIntN(64, toBig(bl, bh)));
  }
}

/** Signed 32-bit division: x / 0 = 0, INT32_MIN / -1 = INT32_MIN. Returns the int32 result. */
export function sdiv32(a: number, b: number): number {
  if (b === 0) return 0;
  return Math.trunc(a / b) | 0;
}

/** Signed 32-bit modulo: x % 0 = x, INT32_MIN % -1 = 0. Returns the int32 result. */
export function smod32(a: number, b: number): number {
  if (b === 0) return a;
  return a % b | 0;
}

/** Unsigned 32-bit division: x / 0 = 0. */
export function udiv32(a: number, b: number): number {
  if (b === 0) return 0;
  return ((a >>> 0) / (b >>> 0)) | 0;
}

/** Unsigned 32-bit modulo: x % 0 = x. */
export function umod32(a: number, b: number): number {
  if (b === 0) return a;
  return (a >>> 0) % (b >>> 0) | 0;
}

/** 64-bit left shift by n & 63. */
export function lsh64(al: number, ah: number, n: number): void {
  n &= 63;
  if (n === 0) {
    T[0] = al;
    T[1] = ah;
  } else if (n < 32) {
    T[1] = (ah << n) | (al >>> (32 - n));
    T[0] = al << n;
  } else {
    T[1] = al << (n - 32);
    T[0] = 0;
  }
}

/** 64-bit logical right shift by n & 63. */
export function rsh64(al: number, ah: number, n: number): void {
  n &= 63;
  if (n === 0) {
    T[0] = al;
    T[1] = ah;
  } else if (n < 32) {
    T[0] = (al >>> n) | (ah << (32 - n));
    T[1] = ah >>> n;
  } else {
    T[0] = ah >>> (n - 32);
    T[1] = 0;
  }
}

/** 64-bit arithmetic right shift by n & 63. */
export function arsh64(al: number, ah: number, n: number): void {
  n &= 63;
  if (n === 0) {
    T[0] = al;
    T[1] = ah;
  } else if (n < 32) {
    T[0] = (al >>> n) | (ah << (32 - n));
    T[1] = ah >> n;
  } else {
    T[0] = ah >> (n - 32);
    T[1] = ah >> 31;
  }
}

/** Byte swap of a 32-bit value. */
export function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** Byte swap of the low 16 bits (result zero-extended). */
export function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** Unsigned 64-bit compare: -1, 0 or 1. */
export function ucmp64(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return ah >>> 0 < bh >>> 0 ? -1 : 1;
  if (al !== bl) return al >>> 0 < bl >>> 0 ? -1 : 1;
  return 0;
}

/** Signed 64-bit compare: -1, 0 or 1. */
export function scmp64(al: number, ah: number, bl: number, bh: number): number {
  if (ah !== bh) return ah < bh ? -1 : 1;
  if (al !== bl) return al >>> 0 < bl >>> 0 ? -1 : 1;
  return 0;
}

/** Joins halves into an unsigned 64-bit BigInt (API edge only). */
export function joinU64(lo: number, hi: number): bigint {
  return toBig(lo, hi);
}

/** A safe-integer number from int64 halves (exact within ±2^53). */
export function toNumber(lo: number, hi: number): number {
  return hi * TWO32 + (lo >>> 0);
}
