/**
 * The step API (src/kernel/debug.ts) on programs compiled by real clang: a recorded run is
 * navigated forwards and backwards, continues to breakpoints on instructions and source lines,
 * and shows registers (with the verifier's value of each), the stack frame and the packet as
 * they were at each step.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { debugRun } from '../../src/kernel';
import { loadObject } from '../../src/object';

const obj = (p: string) => loadObject(new Uint8Array(readFileSync(p)), p);
const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g)!.map((x) => parseInt(x, 16)));
const UDP = hex('02000000000b02000000000a0800' + '4500002412344000401114930a0000010a000002' + '9c40003500100000' + '0102030405060708');

describe('debugRun', () => {
  it('steps forwards and backwards over the counter with registers, stack and verifier values', () => {
    const run = debugRun(obj('fixtures/c/counter.o'), { packet: UDP });
    expect(run.action).toBe('XDP_PASS');
    expect(run.length).toBe(11);
    expect(run.executed).toBe(11);
    expect(run.checks).toEqual([]);
    expect(run.insn).toBe(0);
    expect(run.source).toMatchObject({ line: 13, text: 'int count_packets(struct xdp_md *ctx)' });
    // Before the first instruction: r1 is the context, r10 the frame pointer, both proven so.
    const r0 = Object.fromEntries(run.registers().map((r) => [`r${r.reg}`, r]));
    expect(r0['r1']).toMatchObject({ text: 'ctx', verifier: 'ctx()' });
    expect(r0['r10']).toMatchObject({ text: 'fp', verifier: 'fp0' });
    expect(run.step(2)).toBe(true);
    expect(run.insn).toBe(2);
    // `*(u32 *)(r10 - 4) = w1` ran: the key's bytes are on the stack (fp-4).
    expect([...run.stack().slice(-4)]).toEqual([0, 0, 0, 0]);
    expect(run.step(2)).toBe(true);
    const at4 = Object.fromEntries(run.registers().map((r) => [`r${r.reg}`, r]));
    expect(at4['r2']).toMatchObject({ text: 'fp-4', verifier: 'fp-4' });
    expect(run.text).toMatch(/^\(18\) r1 = .*pkt_count/);
    expect(run.step(100)).toBe(false);
    expect(run.insn).toBe(4);
    expect(run.back()).toBe(true);
    expect(run.insn).toBe(3);
    expect(run.back(10)).toBe(false);
    expect(run.goto(0)).toBe(true);
    expect(run.packet()).toEqual(UDP);
  });

  it('continues to breakpoints on an instruction and on entering a source line, and back', () => {
    const run = debugRun(obj('fixtures/c/counter.o'), { packet: UDP });
    run.addBreakpoint({ insn: 6 });
    expect(run.continue()).toBe(true);
    expect(run.insn).toBe(6);
    expect(run.text).toMatch(/call bpf_map_lookup_elem/);
    run.clearBreakpoints();
    run.addBreakpoint({ line: 18, file: 'counter.c' });
    expect(run.continue()).toBe(true);
    expect(run.source).toMatchObject({ line: 18 });
    // r0 after the lookup: a map value pointer, proven non-null by the compare before.
    const regs = Object.fromEntries(run.registers().map((r) => [`r${r.reg}`, r]));
    expect(regs['r0']!.text).toBe('map_value');
    expect(regs['r0']!.verifier).toMatch(/^map_value\(map=pkt_count,ks=4,vs=8\)$/);
    expect(run.continue()).toBe(false);
    expect(run.position).toBe(run.length - 1);
    expect(run.reverseContinue()).toBe(true);
    expect(run.source).toMatchObject({ line: 18 });
    expect(run.reverseContinue()).toBe(false);
    expect(run.position).toBe(0);
  });

  it('shows the packet as the program changed it, step by step', () => {
    // rewrite_tx swaps MAC addresses and returns XDP_TX: the packet before and after differ.
    const spec = obj('fixtures/real/rewrite_tx/prog.o');
    const run = debugRun(spec, { packet: UDP, program: spec.programs[0]!.name });
    expect(run.checks.filter((c) => c.kind === 'mismatch')).toEqual([]);
    run.goto(0);
    const first = run.packet();
    run.goto(run.length - 1);
    const last = run.packet();
    expect(first).toEqual(UDP);
    expect(last).toEqual(run.result.dataOut);
  });
});
