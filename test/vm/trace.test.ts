/**
 * Tracing (src/vm/trace.ts): the interpreter's observer sees every executed instruction; the
 * Tracer records the registers each one wrote (pointers by region: pkt+N, fp-N) and the memory
 * it read or wrote with the bytes' values. A traced run gives the same result as an untraced one,
 * and the untraced program is untouched (no coverage counters appear).
 */
import { describe, expect, test } from 'vitest';
import { compile, Tracer, XDP_DROP, type TraceStep } from '../../src/vm';
import { xdpHelpers as helpers } from './helpers/xdp-helpers';
import { assembleUbpf } from './helpers/ubpf-asm';

const pkt = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => i & 0xff);

function traced(asm: string, packet: Uint8Array, maxSteps = Infinity): { tr: Tracer; r0: bigint; plain: bigint } {
  const insns = assembleUbpf(asm);
  const tr = new Tracer(insns, maxSteps);
  const prog = compile(insns, { engine: 'jit', helpers, observer: tr });
  const r = prog.runXdp({ packet });
  tr.finish();
  expect(prog.engine).toBe('interp');
  expect(prog.coverage).toBeUndefined();
  const plain = compile(insns, { engine: 'interp', helpers }).runXdp({ packet: packet.slice() }).r0;
  return { tr, r0: r.r0, plain };
}

const regs = (s: TraceStep): Record<string, string> => Object.fromEntries(s.regs.map((r) => [`r${r.reg}`, r.text]));

describe('Tracer', () => {
  test('registers written with concrete values, packet pointers by offset from data', () => {
    const { tr, r0, plain } = traced('ldxw r2, [r1+0]\nldxw r3, [r1+4]\nmov r4, r2\nadd r4, 14\nldxh r0, [r2+12]\nexit', pkt(60));
    expect(r0).toBe(plain);
    expect(tr.executed).toBe(6);
    expect(tr.steps.map((s) => s.slot)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(regs(tr.steps[0]!)).toEqual({ r2: 'pkt' });
    expect(regs(tr.steps[1]!)).toEqual({ r3: 'pkt+60' });
    // `mov; add` is one superinstruction untraced: traced, both steps are seen.
    expect(regs(tr.steps[2]!)).toEqual({ r4: 'pkt' });
    expect(regs(tr.steps[3]!)).toEqual({ r4: 'pkt+14' });
    // Bytes 12, 13 of the packet are 0x0c 0x0d: a little-endian u16 load reads 0x0d0c.
    expect(tr.steps[4]!.mem).toEqual([{ kind: 'read', addr: 'pkt+12', size: 2, value: 0x0d0cn }]);
    expect(tr.steps[4]!.regs).toEqual([{ reg: 0, value: 0x0d0cn, text: String(0x0d0c) }]);
    expect(tr.steps[5]!.regs).toEqual([]);
  });

  test('stack stores are recorded with the bytes they left, relative to the frame pointer', () => {
    const { tr } = traced('mov r1, 0x11223344\nstxw [r10-4], r1\nstdw [r10-16], 7\nldxw r0, [r10-4]\nexit', pkt(20));
    expect(tr.steps[1]!.mem).toEqual([{ kind: 'write', addr: 'fp-4', size: 4, value: 0x11223344n }]);
    expect(tr.steps[2]!.mem).toEqual([{ kind: 'write', addr: 'fp-16', size: 8, value: 7n }]);
    expect(tr.steps[3]!.mem).toEqual([{ kind: 'read', addr: 'fp-4', size: 4, value: 0x11223344n }]);
  });

  test('jumps: only the executed path is recorded; max steps bounds the record, not the run', () => {
    const loop = 'mov r0, 0\nmov r1, 5\nadd r0, 1\nsub r1, 1\njne r1, 0, -3\nexit';
    const { tr, r0 } = traced(loop, pkt(20));
    expect(r0).toBe(5n);
    expect(tr.executed).toBe(2 + 5 * 3 + 1);
    expect(tr.truncated).toBe(false);
    expect(tr.steps.slice(2, 6).map((s) => s.slot)).toEqual([2, 3, 4, 2]);
    const cut = traced(loop, pkt(20), 4);
    expect(cut.r0).toBe(5n);
    expect(cut.tr.steps).toHaveLength(4);
    expect(cut.tr.truncated).toBe(true);
    expect(cut.tr.executed).toBe(18);
  });

  test('a fault ends the trace at the faulting instruction', () => {
    const { tr } = traced('ldxw r2, [r1+0]\nldxw r0, [r2+100]\nexit', pkt(20));
    expect(tr.steps.map((s) => s.slot)).toEqual([0, 1]);
    expect(tr.steps[1]!.regs).toEqual([]);
    expect(tr.steps[1]!.mem).toEqual([{ kind: 'read', addr: 'pkt+100', size: 4 }]);
  });

  test('lddw takes two slots: the step after it is slot 2, index 1', () => {
    const { tr, r0 } = traced('lddw r0, 0x100000001\nmov r0, 1\nexit', pkt(20));
    expect(r0).toBe(BigInt(XDP_DROP));
    expect(tr.steps.map((s) => [s.slot, s.index])).toEqual([[0, 0], [2, 1], [3, 2]]);
    expect(tr.steps[0]!.regs[0]!.value).toBe(0x100000001n);
  });
});
