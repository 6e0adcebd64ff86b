/**
 * bpf_get_prandom_u32's generator: the kernel's Tausworthe LFSR113 (`prandom_u32_state`,
 * lib/random32.c), seeded like `prandom_seed_state` and warmed up with 10 rounds. The running
 * kernel feeds the helper from get_random_u32 (unpredictable); the emulation uses this
 * generator with a seed fixed when the kernel is made, so runs are reproducible.
 */
import { randomBytes } from 'node:crypto';

/** A seedable 32-bit pseudo-random generator with savable state. */
export class Prandom {
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private s4 = 0;

  /** `seed` (any integer or bigint); a random one when undefined. */
  constructor(seed?: number | bigint) {
    const sd = BigInt.asUintN(64, BigInt(seed ?? randomBytes(4).readUInt32LE(0)));
    // prandom_seed_state: i = (seed >> 32) ^ (seed << 10) ^ seed, truncated to 32 bits.
    const i = Number(BigInt.asUintN(32, (sd >> 32n) ^ (sd << 10n) ^ sd));
    const s = (x: number, m: number): number => (x < m ? x + m : x) >>> 0;
    this.s1 = s(i, 2);
    this.s2 = s(i, 8);
    this.s3 = s(i, 16);
    this.s4 = s(i, 128);
    for (let n = 0; n < 10; n++) this.next(); // prandom_warmup
  }

  /** The next value (prandom_u32_state). */
  next(): number {
    const t = (s: number, a: number, b: number, c: number, d: number): number =>
      ((((s & c) >>> 0) << d) ^ ((((s << a) ^ s) >>> 0) >>> b)) >>> 0;
    this.s1 = t(this.s1, 6, 13, 4294967294, 18);
    this.s2 = t(this.s2, 2, 27, 4294967288, 2);
    this.s3 = t(this.s3, 13, 21, 4294967280, 7);
    this.s4 = t(this.s4, 3, 12, 4294967168, 13);
    return (this.s1 ^ this.s2 ^ this.s3 ^ this.s4) >>> 0;
  }

  /** The generator state as plain data. */
  toSnapshot(): number[] {
    return [this.s1, this.s2, this.s3, this.s4];
  }

  /** Goes back to a saved state (what {@link toSnapshot} gave). */
  restore(state: readonly number[]): void {
    [this.s1, this.s2, this.s3, this.s4] = state.map((x) => x >>> 0) as [number, number, number, number];
  }

  /** A generator continuing from a saved state. */
  static fromSnapshot(state: readonly number[]): Prandom {
    const p = new Prandom(0);
    [p.s1, p.s2, p.s3, p.s4] = state.map((x) => x >>> 0) as [number, number, number, number];
    return p;
  }
}
