/**
 * Interpreter vs JIT over random programs and inputs (seeded, a fixed count so the run is
 * deterministic; ~1-2 s): both engines must give the same r0 or the same fault (reason and pc).
 */
import { describe, expect, test } from 'vitest';
import { compile } from '../../src/vm';
import { prng, randomHelpers, randomProgram } from './helpers/random-program';

const PROGRAMS = 300;
const INPUTS = 3;

describe('interpreter and JIT agree', () => {
  test(`on ${PROGRAMS} random programs × ${INPUTS} inputs (seeded)`, () => {
    const rnd = prng(0x5eed1234);
    let faults = 0;
    for (let n = 0; n < PROGRAMS; n++) {
      const memLen = 16 + Math.floor(rnd() * 48);
      const insns = randomProgram(rnd, memLen);
      const a = compile(insns, { engine: 'interp', helpers: randomHelpers });
      const b = compile(insns, { engine: 'jit', helpers: randomHelpers });
      for (let k = 0; k < INPUTS; k++) {
        const mem = new Uint8Array(memLen).map(() => Math.floor(rnd() * 256));
        const ra = a.runRaw({ mem });
        const rb = b.runRaw({ mem });
        const sa = ra.fault ? `fault@${ra.fault.pc}: ${ra.fault.reason}` : `r0=${ra.r0.toString(16)}`;
        const sb = rb.fault ? `fault@${rb.fault.pc}: ${rb.fault.reason}` : `r0=${rb.r0.toString(16)}`;
        if (sa !== sb) expect({ program: n, interp: sa, jit: sb, insns }).toBeUndefined();
        if (ra.fault) faults++;
      }
    }
    // The generator must exercise both the normal path and faults.
    expect(faults).toBeGreaterThan(10);
    expect(faults).toBeLessThan(PROGRAMS * INPUTS * 0.5);
  });

  test('on big programs, which the JIT compiles as chunk functions (> 4096 slots)', () => {
    const rnd = prng(77);
    for (let n = 0; n < 2; n++) {
      const insns = randomProgram(rnd, 64, 3500, 0);
      expect(insns.length).toBeGreaterThan(4096);
      const a = compile(insns, { engine: 'interp', helpers: randomHelpers });
      const b = compile(insns, { engine: 'jit', helpers: randomHelpers });
      for (let k = 0; k < 3; k++) {
        const mem = new Uint8Array(64).map(() => Math.floor(rnd() * 256));
        const ra = a.runRaw({ mem });
        const rb = b.runRaw({ mem });
        expect(ra.fault).toBeUndefined();
        expect(rb.fault?.message ?? rb.r0).toEqual(ra.r0);
      }
    }
  });
});
