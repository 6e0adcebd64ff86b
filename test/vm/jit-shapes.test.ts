// Shapes of generated code the JIT specialises: backward jumps to an exit tail (copied instead of
// a dispatch loop) and frame accesses through registers derived from r10. Results and faults
// must equal the interpreter's.
import { describe, expect, test } from 'vitest';
import { insn, type Instruction } from '../../src/isa';
import { compile, createSpace } from '../../src/vm';
import { decodeProgram } from '../../src/vm/decode';
import { generate } from '../../src/vm/jit';

const EXIT = insn(0x95);

/** The run on every engine (interp, jit, wasm). */
function all(prog: Instruction[], maxSteps?: number) {
  return (['interp', 'jit', 'wasm'] as const).map((engine) => {
    const r = compile(prog, { engine, space: createSpace(), ...(maxSteps === undefined ? {} : { maxSteps }) }).runRaw();
    return { r0: r.r0, fault: r.fault?.reason, pc: r.fault?.pc };
  });
}

describe('exit tails', () => {
  // if r1 == 0 goto 3; r0 = 7; exit; 3: goto 1 (backward, to the `r0 = 7; exit` tail).
  const prog = [insn(0x15, 1, 0, 2, 0), insn(0xb7, 0, 0, 0, 7), EXIT, insn(0x05, 0, 0, -3, 0)];

  test('a backward jump to an exit tail is straight-line code', () => {
    const src = generate(decodeProgram(prog, undefined, () => true, false), 10);
    expect(src).not.toContain('switch (pc)');
  });

  test('it keeps the step budget of a backward jump', () => {
    const [i, j, w] = all(prog, 10);
    expect(j).toEqual(i);
    expect(w).toEqual(i);
    expect(i!.r0).toBe(7n);
    const [fi, fj, fw] = all(prog, 0);
    expect(fj).toEqual(fi);
    expect(fw).toEqual(fi);
    expect(fi!.fault).toMatch(/step limit/);
  });
});

describe('frame accesses through r10-derived registers', () => {
  test.each([-600, -512, -8, -1, 0, 8])('r2 = r10 %d: loads and stores agree with the interpreter', (k) => {
    // *(u64 *)(r10 - 8) = 0x1122; r2 = r10; r2 += k; *(u8 *)(r2 + 0) = 9; r0 = *(u8 *)(r2 + 0) + *(u8 *)(r10 - 8)
    const prog = [
      insn(0x7a, 10, 0, -8, 0x1122),
      insn(0xbf, 2, 10),
      insn(0x07, 2, 0, 0, k),
      insn(0x72, 2, 0, 0, 9),
      insn(0x71, 0, 2, 0, 0),
      insn(0x71, 3, 10, -8, 0),
      insn(0x0f, 0, 3),
      EXIT,
    ];
    const [i, j, w] = all(prog);
    expect(w).toEqual(i);
    expect(j).toEqual(i);
  });
});
