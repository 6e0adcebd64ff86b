/**
 * BPF_PROG_TEST_RUN semantics of the emulated kernel, as measured on Linux 6.18 (see
 * src/kernel/test-run.ts; test/oracle/run-differential.test.ts checks the same against the
 * real kernel where it is available). Objects are clang-19 builds in fixtures/oracle.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kernel, TestRunError, XDP_TEST_MAX_INPUT, xdpActionName, type LoadedProgram } from '../../src/kernel';
import { loadObject } from '../../src/object';
import { lddw, type Instruction } from '../../src/isa';

const edge = loadObject(new Uint8Array(readFileSync('fixtures/oracle/edge.o')), 'edge.o');
const pkt = (n = 60): Uint8Array => new Uint8Array(n).map((_, i) => (i * 13 + 1) & 0xff);

function errnoOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    if (e instanceof TestRunError) return e.errno;
    throw e;
  }
  return undefined;
}

const EXIT: Instruction = { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 };

describe.each(['interp', 'jit', 'wasm'] as const)('test_run (%s)', (engine) => {
  const make = (opts: ConstructorParameters<typeof Kernel>[0] = {}) => {
    const k = new Kernel({ engine, seed: 7, ...opts });
    const obj = k.loadObject(edge);
    const prog = (name: string): LoadedProgram => obj.programs.find((p) => p.funcName === name)!;
    return { k, obj, prog };
  };

  it('refuses inputs shorter than ETH_HLEN with EINVAL and accepts 14 bytes', () => {
    const { k, prog } = make();
    for (const n of [0, 1, 13]) expect(errnoOf(() => k.testRun(prog('act_drop'), { packet: pkt(n) }))).toBe('EINVAL');
    expect(k.testRun(prog('act_drop'), { packet: pkt(14) }).retval).toBe(1);
  });

  it('returns every action as is: TX and REDIRECT transmit nothing, the packet comes back', () => {
    const { k, prog, obj } = make();
    const p = pkt();
    const tx = k.testRun(prog('act_tx'), { packet: p });
    expect(tx.retval).toBe(3);
    expect(xdpActionName(tx.retval)).toBe('XDP_TX');
    expect(tx.dataOut.subarray(0, 6)).toEqual(p.subarray(6, 12)); // MACs swapped
    expect(k.testRun(prog('act_redirect'), { packet: p }).retval).toBe(4);
    expect(k.testRun(prog('act_aborted'), { packet: p }).retval).toBe(0);
    expect(k.testRun(prog('act_unknown'), { packet: p }).retval).toBe(77);
    expect(xdpActionName(77)).toBe('unknown (77)');
    // The map write of the TX run stays (.bss `runs`).
    expect(obj.maps.get('edge.bss')!.lookup(new Uint8Array(4))[0]).toBe(1);
  });

  it('repeat runs on the same buffer without reset; repeat 0 means once', () => {
    const { k, prog, obj } = make();
    expect(k.testRun(prog('tail_grow'), { packet: pkt(60), repeat: 3 }).dataOut.length).toBe(60 + 150);
    expect(k.testRun(prog('tail_grow'), { packet: pkt(60), repeat: 0 }).dataOut.length).toBe(110);
    const tx = k.testRun(prog('act_tx'), { packet: pkt(), repeat: 4 });
    expect(tx.dataOut).toEqual(pkt()); // swapped an even number of times
    expect(obj.maps.get('edge.bss')!.lookup(new Uint8Array(4))[0]).toBe(4);
    expect(tx.durationNs).toBeGreaterThanOrEqual(0);
  });

  it('puts the metadata first in data_out', () => {
    const { k, prog } = make();
    const r = k.testRun(prog('meta_tag'), { packet: pkt() });
    expect(r.metaLen).toBe(4);
    expect([...r.dataOut.subarray(0, 4)]).toEqual([0x0d, 0xf0, 0xfe, 0xca]);
    expect(r.dataOut.subarray(4)).toEqual(pkt());
  });

  it('grows the head into the 256-byte headroom down to the xdp_frame (216 bytes)', () => {
    const { k, prog } = make();
    const g = k.testRun(prog('head_grow'), { packet: pkt() });
    expect(g.dataOut.length).toBe(74);
    expect(g.dataOut[0]).toBe(0xe0);
    expect(k.testRun(prog('head_limit'), { packet: pkt() }).retval).toBe(0x101);
    expect(k.testRun(prog('head_shrink'), { packet: pkt() }).dataOut).toEqual(pkt().subarray(20));
  });

  it('keeps bytes past the linear 3520 as frags the program does not see, up to 17 pages', () => {
    const { k, prog } = make();
    const big = pkt(4000);
    const r = k.testRun(prog('ctx_fields'), { packet: big });
    expect(r.retval & 0xffff).toBe(3520);
    expect(r.dataOut).toEqual(big);
    expect(errnoOf(() => k.testRun(prog('act_drop'), { packet: pkt(XDP_TEST_MAX_INPUT) }))).toBeUndefined();
    expect(errnoOf(() => k.testRun(prog('act_drop'), { packet: pkt(XDP_TEST_MAX_INPUT + 1) }))).toBe('ENOMEM');
    expect(errnoOf(() => k.testRun(prog('act_drop'), { packet: pkt(100), dataSizeOut: 99 }))).toBe('ENOSPC');
  });

  it('arrives on lo (ifindex 1, queue 0) unless ctx_in names another device, checked like the kernel', () => {
    const { k, prog } = make();
    const f = (ctx?: object) => k.testRun(prog('ctx_fields'), { packet: pkt(), ...(ctx ? { ctx } : {}) }).retval;
    expect(f()).toBe((1 << 24) | 60);
    expect(f({ ingress_ifindex: 2 })).toBe((2 << 24) | 60);
    expect(errnoOf(() => f({ ingress_ifindex: 3 }))).toBe('ENODEV');
    expect(errnoOf(() => f({ ingress_ifindex: 1, rx_queue_index: 1 }))).toBe('EINVAL');
    expect(errnoOf(() => f({ rx_queue_index: 1 }))).toBe('EINVAL');
    expect(errnoOf(() => f({ egress_ifindex: 2 }))).toBe('EINVAL');
    expect(errnoOf(() => f({ ingress_ifindex: -1 }))).toBe('EINVAL');
    const queues = (i: number) => (i === 5 ? 4 : undefined);
    expect(k.testRun(prog('ctx_fields'), { packet: pkt(), ctx: { ingress_ifindex: 5, rx_queue_index: 3 }, rxQueues: queues }).retval).toBe((5 << 24) | (3 << 16) | 60);
    const hooked = make({ ifindexExists: (i) => i === 9 });
    expect(errnoOf(() => hooked.k.testRun(hooked.prog('ctx_fields'), { packet: pkt(), ctx: { ingress_ifindex: 2 } }))).toBe('ENODEV');
    expect(hooked.k.testRun(hooked.prog('ctx_fields'), { packet: pkt(), ctx: { ingress_ifindex: 9 } }).retval >>> 24).toBe(9);
  });

  it('reports the full 64-bit r0, the low 32 bits as retval, and a fault as XDP_ABORTED', () => {
    const k = new Kernel({ engine });
    const wide = k.loadInsns([lddw(0, 0x1_0000_0002n), EXIT], { name: 'wide' });
    const r = k.testRun(wide, { packet: pkt() });
    expect(r.retval).toBe(2);
    expect(r.r0).toBe('0x100000002');
    // r0 = *(u64 *)(r1 + 4096): out of the ctx, a clean fault (the verifier would refuse it).
    const bad = k.loadInsns([{ opcode: 0x79, dst: 0, src: 1, off: 4096, imm: 0 }, EXIT], { name: 'bad' });
    const f = k.testRun(bad, { packet: pkt() });
    expect(f.retval).toBe(0);
    expect(f.fault).toBeDefined();
    expect(f.dataOut).toEqual(pkt());
  });
});
