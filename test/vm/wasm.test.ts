// The WebAssembly engine: the same results and faults as the interpreter on random programs
// (which it must translate, not hand to the JIT), the control-flow shapes clang emits (rotated
// loops entered in their middle, shared exit tails), and a clean fallback with a reason for what
// it cannot structure.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decode, insn, type Instruction } from '../../src/isa';
import { compile, createSpace, type Engine } from '../../src/vm';
import { decodeProgram } from '../../src/vm/decode';
import { structure } from '../../src/vm/wasm-cfg';
import { prng, randomHelpers, randomProgram } from './helpers/random-program';
import { xdpHelpers } from './helpers/xdp-helpers';

const EXIT = insn(0x95);
const show = (r: { r0: bigint; fault?: { pc: number; reason: string } }): string =>
  r.fault ? `fault@${r.fault.pc}: ${r.fault.reason}` : `r0=${r.r0.toString(16)}`;

function run(prog: Instruction[], engine: Engine, mem?: Uint8Array, maxSteps?: number): string {
  const p = compile(prog, { engine, helpers: randomHelpers, space: createSpace(), ...(maxSteps === undefined ? {} : { maxSteps }) });
  if (engine === 'wasm') expect(p.engineNote).toBeUndefined();
  return show(p.runRaw(mem === undefined ? {} : { mem }));
}

describe('wasm engine against the interpreter', () => {
  test('200 random programs × 3 inputs (seeded), every one translated', () => {
    const rnd = prng(0x5eed1234);
    let faults = 0;
    for (let n = 0; n < 200; n++) {
      const memLen = 16 + Math.floor(rnd() * 48);
      const insns = randomProgram(rnd, memLen);
      const a = compile(insns, { engine: 'interp', helpers: randomHelpers });
      const b = compile(insns, { engine: 'wasm', helpers: randomHelpers });
      expect(b.engine, b.engineNote).toBe('wasm');
      for (let k = 0; k < 3; k++) {
        const mem = new Uint8Array(memLen).map(() => Math.floor(rnd() * 256));
        const sa = show(a.runRaw({ mem }));
        const sb = show(b.runRaw({ mem }));
        if (sa !== sb) expect({ program: n, interp: sa, wasm: sb, insns }).toBeUndefined();
        if (sa.startsWith('fault')) faults++;
      }
    }
    expect(faults).toBeGreaterThan(10);
  });

  test('every program of the kernel oracle fixture translates and matches the recorded kernel', () => {
    const rec = JSON.parse(readFileSync(join(__dirname, '../../fixtures/vm/kernel/expected.json'), 'utf8')) as {
      programs: Record<string, string>;
      cases: { prog: string; packet: string; retval: number; out: string }[];
    };
    const progs = new Map(Object.entries(rec.programs).map(([name, hex]) => {
      const p = compile(decode(Uint8Array.from(Buffer.from(hex, 'hex'))).insns, { engine: 'wasm', helpers: xdpHelpers, maxSteps: Infinity });
      expect(p.engineNote, name).toBeUndefined();
      return [name, p] as const;
    }));
    expect(rec.cases.length).toBeGreaterThan(0);
    for (const c of rec.cases) {
      const r = progs.get(c.prog)!.runXdp({ packet: Uint8Array.from(Buffer.from(c.packet, 'hex')) });
      expect({ prog: c.prog, retval: r.action, out: Buffer.from(r.packet).toString('hex') }).toEqual({ prog: c.prog, retval: c.retval, out: c.out });
    }
  });
});

describe('control flow', () => {
  // A loop rotated the way clang lays some out: the entry jumps forward into the middle of the
  // loop's slots (its header), the body's first part sits before it.
  //   0: r0 = 0; 1: r1 = 5; 2: goto 6
  //   3: r0 += r1; 4: r1 -= 1; 5: if r1 == 0 goto 8
  //   6: r0 += 100  (header)  7: goto 3
  //   8: exit
  const rotated = [
    insn(0xb7, 0, 0, 0, 0), insn(0xb7, 1, 0, 0, 5), insn(0x05, 0, 0, 3, 0),
    insn(0x0f, 0, 1), insn(0x17, 1, 0, 0, 1), insn(0x15, 1, 0, 2, 0),
    insn(0x07, 0, 0, 0, 100), insn(0x05, 0, 0, -5, 0),
    EXIT,
  ];

  test('a loop entered in its middle runs through the dispatch at its first slot', () => {
    const st = structure(decodeProgram(rotated, undefined, () => true, false), 0, 9);
    expect('redirect' in st && [...st.redirect]).toEqual([[2, 3]]);
    expect(run(rotated, 'wasm')).toBe(run(rotated, 'interp'));
    expect(run(rotated, 'interp')).toBe(`r0=${(5 * 100 + 5 + 4 + 3 + 2 + 1).toString(16)}`);
  });

  test('backward jumps count against the step budget of raw programs', () => {
    expect(run(rotated, 'wasm', undefined, 3)).toBe(run(rotated, 'interp', undefined, 3));
    expect(run(rotated, 'wasm', undefined, 3)).toMatch(/step limit/);
  });

  test('a jump into a loop body from outside it falls back to the JIT with the reason', () => {
    // 0: if r1 == 0 goto 3; 1: r0 = 1; 2: goto 4; 3: r0 += 1 (loop body); 4: r0 += 2 (from 2: into the loop);
    // 5: if r0 < 10 goto 3; 6: exit
    const prog = [
      insn(0x15, 1, 0, 2, 0), insn(0xb7, 0, 0, 0, 1), insn(0x05, 0, 0, 1, 0),
      insn(0x07, 0, 0, 0, 1), insn(0x07, 0, 0, 0, 2), insn(0xa5, 0, 0, -3, 10), EXIT,
    ];
    const p = compile(prog, { engine: 'wasm' });
    // Both entries (3 from 0, 4 from 2) go through the loop's first slot: this one translates.
    expect(p.engine).toBe('wasm');
    expect(show(p.runRaw())).toBe(run(prog, 'interp'));
  });

  test('a function that falls through into the next is left to the JIT, with a note', () => {
    // main: call 2; r0 += 1 (falls into the subprogram); sub: r0 = 7; exit
    const prog = [insn(0x85, 0, 1, 0, 1), insn(0x07, 0, 0, 0, 1), insn(0xb7, 0, 0, 0, 7), EXIT];
    const p = compile(prog, { engine: 'wasm' });
    expect(p.engine).toBe('jit');
    expect(p.engineNote).toMatch(/falls through/);
    expect(show(p.runRaw())).toBe(run(prog, 'interp'));
  });
});
