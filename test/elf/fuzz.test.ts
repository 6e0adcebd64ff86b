import { describe, expect, it } from 'vitest';
import { readElf } from '../../src/elf/index';
import { loadObject } from '../../src/object/index';
import { XdptsError } from '../../src/util/index';
import { FIXTURE_OBJECTS } from './fixture-files';

/** A small deterministic PRNG (mulberry32) so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One mutation: truncation, byte flips, or a 32/64-bit overwrite at an interesting place. */
function mutate(src: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 5);
  if (kind === 0) return src.slice(0, Math.floor(r() * src.length));
  const b = src.slice();
  const v = new DataView(b.buffer);
  const shoff = Number(v.getBigUint64(40, b[5] === 1));
  // Aim half of the writes at the headers, where structure lives.
  const pick = (): number => {
    const x = r();
    if (x < 0.25) return Math.floor(r() * 64);
    if (x < 0.6 && shoff < b.length) return shoff + Math.floor(r() * (b.length - shoff));
    return Math.floor(r() * b.length);
  };
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = pick();
    if (kind === 1 || at + 8 > b.length) b[at] = Math.floor(r() * 256);
    else if (kind === 2) v.setUint32(at, Math.floor(r() * 2 ** 32));
    else if (kind === 3) v.setUint32(at, [0, 1, 0xffffffff, 0x7fffffff, 64, 24, 16][Math.floor(r() * 7)]!, r() < 0.5);
    else b[at] = b[at]! ^ (1 << Math.floor(r() * 8));
  }
  return b;
}

describe('fuzz: mutated and truncated fixtures only ever raise XdptsError', () => {
  it('readElf and loadObject on thousands of mutants (time-bounded)', () => {
    const r = rng(Number(process.env.XDPTS_FUZZ_SEED ?? 0x5eed));
    const deadline = Date.now() + 2500;
    let runs = 0;
    let rejected = 0;
    while (Date.now() < deadline || runs < 500) {
      const o = FIXTURE_OBJECTS[Math.floor(r() * FIXTURE_OBJECTS.length)]!;
      const m = mutate(o.bytes, r);
      for (const f of [() => readElf(m), () => loadObject(m, o.file)]) {
        try {
          f();
        } catch (e) {
          rejected++;
          if (!(e instanceof XdptsError)) {
            throw new Error(`run ${runs} on ${o.file}: non-XdptsError ${(e as Error)?.name}: ${(e as Error)?.message}\n${(e as Error)?.stack}`);
          }
        }
      }
      runs++;
      if (runs > 20000) break;
    }
    if (process.env.XDPTS_FUZZ_SEED) console.log(`fuzz: ${runs} mutants, ${rejected} rejections`);
    expect(runs).toBeGreaterThanOrEqual(500);
    expect(rejected).toBeGreaterThan(runs / 4);
  });
});
