import { describe, expect, it } from 'vitest';
import {
  tnumAdd, tnumAnd, tnumConst, tnumIn, tnumMul, tnumOr, tnumRange, tnumSub, tnumXor, tnumStr, type Tnum, U64_MAX,
} from '../../src/verifier/tnum';

/** A deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('tnum (kernel/bpf/tnum.c)', () => {
  it('tnum_range covers its interval with the fewest unknown bits', () => {
    expect(tnumStr(tnumRange(0n, 255n))).toBe('(0x0; 0xff)');
    expect(tnumStr(tnumRange(16n, 31n))).toBe('(0x10; 0xf)');
    expect(tnumRange(0n, U64_MAX).mask).toBe(U64_MAX);
  });

  it('every concrete result lies in the abstract result (soundness, random sampling)', () => {
    const r = rng(7);
    const ops: [string, (a: Tnum, b: Tnum) => Tnum, (x: bigint, y: bigint) => bigint][] = [
      ['add', tnumAdd, (x, y) => (x + y) & U64_MAX],
      ['sub', tnumSub, (x, y) => (x - y) & U64_MAX],
      ['and', tnumAnd, (x, y) => x & y],
      ['or', tnumOr, (x, y) => x | y],
      ['xor', tnumXor, (x, y) => x ^ y],
      ['mul', tnumMul, (x, y) => (x * y) & U64_MAX],
    ];
    const rand64 = (): bigint => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32));
    const member = (t: Tnum): bigint => t.value | (rand64() & t.mask);
    for (let k = 0; k < 300; k++) {
      const a: Tnum = { value: 0n, mask: 0n };
      const ma = r() < 0.5 ? BigInt(Math.floor(r() * 256)) : rand64();
      const A = { value: rand64() & ~ma & U64_MAX, mask: ma } as Tnum;
      const mb = r() < 0.5 ? BigInt(Math.floor(r() * 256)) : rand64();
      const B = { value: rand64() & ~mb & U64_MAX, mask: mb } as Tnum;
      void a;
      for (const [name, abs, con] of ops) {
        const res = abs(A, B);
        for (let j = 0; j < 4; j++) {
          const x = member(A);
          const y = member(B);
          expect(tnumIn(res, tnumConst(con(x, y))), `${name} ${tnumStr(A)} ${tnumStr(B)} x=${x} y=${y}`).toBe(true);
        }
      }
    }
  });
});
