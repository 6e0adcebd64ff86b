/**
 * The int32-halves arithmetic of src/vm/alu64.ts against BigInt, the exact reference, over edge
 * values and seeded random operands (including divisors below and above 2^32).
 */
import { describe, expect, test } from 'vitest';
import { T, arsh64, lsh64, mul64, rsh64, scmp64, sdiv64, smod64, ucmp64, udiv64, umod64 } from '../../src/vm/alu64';
import { prng } from './helpers/random-program';

const M = 1n << 64n; // 2^64
const u = (x: bigint): bigint => BigInt.asUintN(64, x);
const s = (x: bigint): bigint => BigInt.asIntN(64, x);
const lo = (x: bigint): number => Number(BigInt.asIntN(32, x));
const hi = (x: bigint): number => Number(BigInt.asIntN(32, x >> 32n));
const res = (): bigint => u((BigInt(T[1]!) << 32n) | BigInt(T[0]! >>> 0));

function values(): bigint[] {
  const rnd = prng(4242);
  const r32 = () => BigInt(Math.floor(rnd() * 2 ** 32));
  const edge = [0n, 1n, 2n, 3n, 7n, 10n, 1000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn, 0x100000000n,
    0x100000001n, 0x7fffffffffffffffn, 0x8000000000000000n, M - 1n, M - 2n, M - 1000n, 0xffffffff00000000n];
  const out = [...edge];
  for (let i = 0; i < 150; i++) {
    const k = rnd();
    out.push(k < 0.3 ? r32() : k < 0.6 ? (r32() << 32n) | r32() : k < 0.8 ? u(-r32()) : r32() >> BigInt(Math.floor(rnd() * 32)));
  }
  return out;
}

describe('alu64 against BigInt', () => {
  const vs = values();
  test(`mul, div, mod, sdiv, smod, compares over ${vs.length}² operand pairs`, () => {
    const bad: string[] = [];
    const check = (what: string, a: bigint, b: bigint, got: bigint | number, want: bigint | number) => {
      if (got !== want && bad.length < 10) bad.push(`${what}(0x${a.toString(16)}, 0x${b.toString(16)}) = ${got}, want ${want}`);
    };
    for (const a of vs) {
      for (const b of vs) {
        const [al, ah, bl, bh] = [lo(a), hi(a), lo(b), hi(b)];
        mul64(al, ah, bl, bh);
        check('mul', a, b, res(), u(a * b));
        udiv64(al, ah, bl, bh);
        check('div', a, b, res(), b === 0n ? 0n : a / b);
        umod64(al, ah, bl, bh);
        check('mod', a, b, res(), b === 0n ? a : a % b);
        // Kernel: x / 0 = 0, x % 0 = x; INT64_MIN / -1 wraps to INT64_MIN, INT64_MIN % -1 = 0.
        sdiv64(al, ah, bl, bh);
        check('sdiv', a, b, res(), b === 0n ? 0n : u(s(a) / s(b)));
        smod64(al, ah, bl, bh);
        check('smod', a, b, res(), b === 0n ? a : u(s(a) % s(b)));
        check('ucmp', a, b, ucmp64(al, ah, bl, bh), a < b ? -1 : a > b ? 1 : 0);
        check('scmp', a, b, scmp64(al, ah, bl, bh), s(a) < s(b) ? -1 : s(a) > s(b) ? 1 : 0);
      }
    }
    expect(bad).toEqual([]);
  });

  test('shifts by every count 0..127 (masked to 0..63)', () => {
    const bad: string[] = [];
    for (const a of vs.slice(0, 40)) {
      for (let n = 0; n < 128; n++) {
        const k = BigInt(n & 63);
        lsh64(lo(a), hi(a), n);
        if (res() !== u(a << k)) bad.push(`lsh 0x${a.toString(16)} ${n}`);
        rsh64(lo(a), hi(a), n);
        if (res() !== a >> k) bad.push(`rsh 0x${a.toString(16)} ${n}`);
        arsh64(lo(a), hi(a), n);
        if (res() !== u(s(a) >> k)) bad.push(`arsh 0x${a.toString(16)} ${n}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
