/**
 * XDP runs: the xdp_md context rewrite (32-bit loads of data/data_end/data_meta give packet
 * pointers), packet bounds that follow data_meta/data_end, the BPF_PROG_TEST_RUN frame layout
 * (256 bytes of headroom, data_end limited by skb_shared_info), adjusting the packet through
 * XdpBuff as the kernel's helpers will, and faults that end in XDP_ABORTED.
 */
import { describe, expect, test } from 'vitest';
import {
  compile, XDP_ABORTED, XDP_DROP, XDP_MAX_PACKET, XDP_PACKET_HEADROOM, XDP_PASS, XDP_TX,
  type Engine, type HelperCall, type HelperFn,
} from '../../src/vm';
import { xdpHelpers } from './helpers/xdp-helpers';
import { assembleUbpf } from './helpers/ubpf-asm';

const helpers = xdpHelpers;

const pkt = (n: number): Uint8Array => new Uint8Array(n).map((_, i) => i & 0xff);

describe.each(['interp', 'jit', 'wasm'] as Engine[])('XDP on %s', (engine) => {
  const run = (asm: string, packet: Uint8Array, extra: Record<string, number> = {}) =>
    compile(assembleUbpf(asm), { engine, helpers }).runXdp({ packet, ...extra });

  test('drop returns XDP_DROP and the packet unchanged', () => {
    const r = run('mov r0, 1\nexit', pkt(60));
    expect(r.action).toBe(XDP_DROP);
    expect(r.packet).toEqual(pkt(60));
    expect(r.meta.length).toBe(0);
  });

  test('ctx->data_end - ctx->data is the packet length; pointers carry the frame offset', () => {
    const r = run('ldxw r2, [r1+0]\nldxw r3, [r1+4]\nmov r0, r3\nsub r0, r2\nexit', pkt(77));
    expect(r.r0).toBe(77n);
    const d = run('ldxw r0, [r1+0]\nand32 r0, -1\nexit', pkt(10));
    expect(d.r0).toBe(BigInt(XDP_PACKET_HEADROOM));
    const m = run('ldxw r2, [r1+8]\nldxw r3, [r1+0]\nmov r0, r3\nsub r0, r2\nexit', pkt(10));
    expect(m.r0).toBe(0n);
  });

  test('scalar fields of xdp_md', () => {
    const r = run('ldxw r0, [r1+12]\nldxw r2, [r1+16]\nlsh r2, 8\nor r0, r2\nldxw r2, [r1+20]\nlsh r2, 16\nor r0, r2\nexit',
      pkt(20), { ingressIfindex: 3, rxQueueIndex: 1, egressIfindex: 5 });
    expect(r.r0).toBe(0x050103n);
  });

  test('reads and writes inside [data, data_end) with the kernel bounds-check idiom', () => {
    // Swap the first two bytes if 2 bytes are there; XDP_TX.
    const asm = `
      ldxw r2, [r1+0]
      ldxw r3, [r1+4]
      mov r4, r2
      add r4, 2
      jgt r4, r3, short
      ldxb r5, [r2+0]
      ldxb r6, [r2+1]
      stxb [r2+0], r6
      stxb [r2+1], r5
      mov r0, 3
      exit
      short:
      mov r0, 2
      exit`;
    const r = run(asm, Uint8Array.of(0xaa, 0xbb, 0xcc));
    expect(r.action).toBe(XDP_TX);
    expect([...r.packet]).toEqual([0xbb, 0xaa, 0xcc]);
    expect(run(asm, Uint8Array.of(1)).action).toBe(XDP_PASS);
  });

  test('a load past data_end faults: XDP_ABORTED with pc and reason', () => {
    const r = run('ldxw r2, [r1+0]\nldxb r0, [r2+10]\nexit', pkt(10));
    expect(r.action).toBe(XDP_ABORTED);
    expect(r.fault?.pc).toBe(1);
    expect(r.fault?.reason).toBe('out of bounds load of 1 bytes at packet+266');
  });

  test('a load in the headroom (before data) faults', () => {
    const r = run('ldxw r2, [r1+0]\nldxb r0, [r2-1]\nexit', pkt(10));
    expect(r.action).toBe(XDP_ABORTED);
    expect(r.fault?.reason).toContain('out of bounds load of 1 bytes at packet+255');
  });

  test('ctx is read-only and only aligned 4-byte loads are allowed', () => {
    expect(run('stw [r1+0], 1\nmov r0, 2\nexit', pkt(10)).fault?.reason).toBe('store of 4 bytes to read-only ctx');
    expect(run('ldxh r0, [r1+0]\nexit', pkt(10)).fault?.reason).toContain('invalid access to xdp_md');
    expect(run('ldxw r0, [r1+2]\nexit', pkt(10)).fault?.reason).toContain('invalid access to xdp_md');
    expect(run('ldxw r0, [r1+24]\nexit', pkt(10)).fault?.reason).toContain('invalid access to xdp_md');
    expect(run('ldxdw r0, [r1+0]\nexit', pkt(10)).action).toBe(XDP_ABORTED);
  });

  test('adjust_head grows the packet into the zeroed headroom and moves ctx->data', () => {
    const asm = `
      mov r6, r1
      mov r2, -4
      call 44
      jne r0, 0, fail
      ldxw r2, [r6+0]
      ldxw r3, [r6+4]
      mov r4, r2
      add r4, 4
      jgt r4, r3, fail
      stw [r2+0], 0x11223344
      mov r0, 2
      exit
      fail:
      mov r0, 0
      exit`;
    const r = run(asm, pkt(20));
    expect(r.fault).toBeUndefined();
    expect(r.action).toBe(XDP_PASS);
    expect([...r.packet.slice(0, 6)]).toEqual([0x44, 0x33, 0x22, 0x11, 0, 1]);
    expect(r.packet.length).toBe(24);
  });

  test('adjust_head shrinks; the old bytes become unreachable', () => {
    const r = run('mov r6, r1\nmov r2, 14\ncall 44\nldxw r2, [r6+0]\nldxb r0, [r2-1]\nexit', pkt(40));
    expect(r.fault?.reason).toContain('out of bounds load');
    const ok = run('mov r6, r1\nmov r2, 14\ncall 44\nldxw r2, [r6+0]\nldxb r0, [r2+0]\nexit', pkt(40));
    expect(ok.r0).toBe(14n);
    expect(ok.packet).toEqual(pkt(40).slice(14));
  });

  test('adjust_tail grows up to data_hard_end (4096 - 320) and no further', () => {
    const grow = (n: number) => run(`mov r2, ${n}\ncall 65\nexit`, pkt(100));
    const max = 4096 - 320 - XDP_PACKET_HEADROOM - 100;
    const r = grow(max);
    expect(r.r0).toBe(0n);
    expect(r.packet.length).toBe(100 + max);
    expect(r.packet.slice(100).every((b) => b === 0)).toBe(true);
    expect(grow(max + 1).r0).toBe(BigInt.asUintN(64, -22n));
    expect(grow(-10).packet).toEqual(pkt(90));
  });

  test('after adjust_tail the new tail is readable and the old tail is not', () => {
    expect(run('mov r6, r1\nmov r2, 8\ncall 65\nldxw r2, [r6+4]\nldxb r0, [r2-1]\nexit', pkt(20)).r0).toBe(0n);
    expect(run('mov r6, r1\nmov r2, -8\ncall 65\nldxw r2, [r6+0]\nldxb r0, [r2+35]\nexit', pkt(40)).fault?.reason)
      .toContain('out of bounds');
  });

  test('adjust_meta makes metadata before data; it is readable and returned', () => {
    const asm = `
      mov r6, r1
      mov r2, -8
      call 54
      jne r0, 0, fail
      ldxw r2, [r6+8]
      ldxw r3, [r6+0]
      mov r4, r2
      add r4, 8
      jgt r4, r3, fail
      stdw [r2+0], 0x5a5a
      mov r0, 2
      exit
      fail:
      mov r0, 0
      exit`;
    const r = run(asm, pkt(20));
    expect(r.action).toBe(XDP_PASS);
    expect([...r.meta]).toEqual([0x5a, 0x5a, 0, 0, 0, 0, 0, 0]);
    expect(r.packet).toEqual(pkt(20));
    expect(run('mov r2, -6\ncall 54\nexit', pkt(20)).r0).toBe(BigInt.asUintN(64, -13n));
  });

  test('headroom is zero on every run, even after a previous run wrote there', () => {
    const prog = compile(assembleUbpf('mov r6, r1\nmov r2, -64\ncall 44\nldxw r2, [r6+0]\nldxdw r0, [r2+0]\nstdw [r2+0], -1\nexit'), { engine, helpers });
    expect(prog.runXdp({ packet: pkt(80) }).r0).toBe(0n);
    expect(prog.runXdp({ packet: pkt(80) }).r0).toBe(0n);
  });

  test('the tailroom is zero on every run, even after a longer packet (the frame is reused)', () => {
    // A helper that extends data_end without clearing, to see the frame's own hygiene.
    const grow = { helpers: Object.assign([] as HelperFn[], { 99: (c: HelperCall) => void (c.mem.xdp!.dataEnd += 50) }) };
    const prog = compile(assembleUbpf('mov r6, r1\ncall 99\nldxw r2, [r6+0]\nldxdw r0, [r2+16]\nexit'), { engine, helpers: grow });
    expect(prog.runXdp({ packet: new Uint8Array(100).fill(0xff) }).r0).toBe(0xffffffffffffffffn);
    expect(prog.runXdp({ packet: new Uint8Array(10).fill(0xff) }).r0).toBe(0n);
  });

  test('the stack is zero at the start of every run', () => {
    const prog = compile(assembleUbpf('ldxdw r0, [r10-8]\nstdw [r10-8], 99\nexit'), { engine });
    expect(prog.runXdp({ packet: pkt(20) }).r0).toBe(0n);
    expect(prog.runXdp({ packet: pkt(20) }).r0).toBe(0n);
  });

  test('packets larger than the linear frame are refused', () => {
    expect(() => run('mov r0, 2\nexit', pkt(XDP_MAX_PACKET + 1))).toThrow(/larger than the 3520 bytes/);
    expect(run('mov r0, 2\nexit', pkt(XDP_MAX_PACKET)).packet.length).toBe(3520);
  });

  test('repeat runs like test_run repeat and reports a duration', () => {
    const r = compile(assembleUbpf('mov r0, 1\nexit'), { engine }).runXdp({ packet: pkt(64), repeat: 1000 });
    expect(r.action).toBe(XDP_DROP);
    expect(r.durationNs).toBeGreaterThanOrEqual(0);
    expect(r.durationNs).toBeLessThan(1e6);
  });
});
