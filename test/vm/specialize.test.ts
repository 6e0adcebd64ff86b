// HelperTable.specialize: which call sites get a specialised helper (r1 a constant from an
// lddw in the same basic block) and that both engines run it and give the table's results.
import { describe, expect, test } from 'vitest';
import { insn, lddw } from '../../src/isa';
import { compile, createSpace, type HelperCall, type HelperTable } from '../../src/vm';
import { constR1Calls, decodeProgram } from '../../src/vm/decode';

const EXIT = insn(0x95);
const mov = (d: number, k: number) => insn(0xb7, d, 0, 0, k);
const call = (id: number) => insn(0x85, 0, 0, 0, id);

describe('constR1Calls', () => {
  test('an lddw into r1 before the call in the same block', () => {
    const dec = decodeProgram([lddw(1, 7n), mov(2, 1), call(1), EXIT], undefined, () => true, false);
    expect([...constR1Calls(dec)]).toEqual([[3, 0]]);
  });
  test('not when r1 is written after the lddw, or the call is a jump target', () => {
    const written = decodeProgram([lddw(1, 7n), insn(0x07, 1, 0, 0, 1), call(1), EXIT], undefined, () => true, false);
    expect(constR1Calls(written).size).toBe(0);
    // if r2 == 0 goto call: the call can be reached with r1 unset.
    const target = decodeProgram([insn(0x15, 2, 0, 2, 0), lddw(1, 7n), call(1), EXIT], undefined, () => true, false);
    expect(constR1Calls(target).size).toBe(0);
    // A jump target between the lddw and the call.
    const between = decodeProgram([insn(0x15, 2, 0, 2, 0), lddw(1, 7n), mov(3, 0), call(1), EXIT], undefined, () => true, false);
    expect(constR1Calls(between).size).toBe(0);
  });
});

describe.each(['interp', 'jit', 'wasm'] as const)('specialised helpers (%s)', (engine) => {
  test('the specialised function runs at constant-r1 sites, the table elsewhere', () => {
    const seen: string[] = [];
    const table: HelperTable = {
      helpers: Object.assign([], { 1: (c: HelperCall) => { seen.push(`generic ${c.u32(1)}`); c.ret(c.u32(1) + 1); } }),
      specialize: (id, lo) => (id === 1 && lo === 7 ? (c: HelperCall) => { seen.push('special'); c.ret(8); } : undefined),
    };
    // r1 = 7; call 1 (specialised); r1 = r0; call 1 (generic: r1 came from r0); exit with r0.
    const prog = compile([lddw(1, 7n), call(1), insn(0xbf, 1, 0), call(1), EXIT], { engine, helpers: table, space: createSpace() });
    const r = prog.runRaw();
    expect(r.r0lo).toBe(9);
    expect(seen).toEqual(['special', 'generic 8']);
  });
});
