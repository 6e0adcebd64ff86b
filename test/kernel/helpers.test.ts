/**
 * The helpers running inside real programs on both VM engines: map access through pointers,
 * per-CPU values, queue/stack, ring buffer records, redirects, tail calls, callbacks, packet
 * adjustments and the kernel-measured results of bpf_csum_diff and bpf_trace_printk.
 */
import { describe, expect, it } from 'vitest';
import { BPF_MAP_TYPE } from '../../src/object/types';
import { MapTable, type RingBufMap, type ArrayMap } from '../../src/kernel/maps';
import { KernelHelpers, virtualClock, Prandom, BPF_FIB_LKUP_RET_NOT_FWDED, BPF_FIB_LKUP_RET_SUCCESS, type FibQuery } from '../../src/kernel/helpers';
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX, type VmProgram, type Engine } from '../../src/vm';
import {
  R0, R1, R2, R3, R4, R5, R6, R10, add, addr, build, call, exit, jeq, jne, keyU32, ld64, ldfunc, ldmap, ldxb, ldxdw, ldxw,
  mov, movr, stb, stdw, stw, stxdw, xadddw,
} from './bpf-builder';

function kernel(ncpus = 2, progs: Map<number, VmProgram> = new Map()) {
  const maps = new MapTable({ ncpus, ifindexExists: (i) => i === 1 || i === 2, progInfo: (id) => (progs.has(id) ? { type: 6, expectedAttachType: 0 } : undefined) });
  const k = new KernelHelpers({ maps: (id) => maps.get(id), programs: (id) => progs.get(id), seed: 42, clock: virtualClock(5_000_000_000n, 1000n) });
  return { maps, k, progs };
}

const pkt = (n = 64) => Uint8Array.from({ length: n }, (_, i) => i);
const u64 = (b: Uint8Array, o = 0) => new DataView(b.buffer, b.byteOffset).getBigUint64(o, true);

for (const engine of ['interp', 'jit', 'wasm'] as Engine[]) {
  describe(`helpers on the ${engine} engine`, () => {
    it('counts packets in an array map through the value pointer (the counter program)', () => {
      const { maps, k } = kernel();
      const m = maps.create({ type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'counter' });
      const p = build([
        ...keyU32(0), ldmap(R1, m.id), call('map_lookup_elem'),
        jeq(R0, 0, 2), mov(R1, 1), xadddw(R0, R1, 0),
        mov(R0, XDP_PASS), exit(),
      ], k, engine);
      for (let i = 0; i < 5; i++) expect(p.runXdp({ packet: pkt() }).action).toBe(XDP_PASS);
      expect(u64(m.lookup(new Uint8Array(4)))).toBe(5n);
      // The pointer is live: a user update is seen by the next lookup.
      m.update(new Uint8Array(4), new Uint8Array(8).fill(0));
      p.runXdp({ packet: pkt() });
      expect(u64(m.lookup(new Uint8Array(4)))).toBe(1n);
    });

    it('per-CPU values: the program writes only its CPU, user space sees both padded to 8', () => {
      const { maps, k } = kernel(2);
      const m = maps.create({ type: BPF_MAP_TYPE.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      const p = build([
        ...keyU32(7), stw(R10, -8, 0x11), movr(R3, R10), add(R3, -8), mov(R4, 0),
        ldmap(R1, m.id), call('map_update_elem'), exit(),
      ], k, engine);
      k.beginRun({ cpu: 1 });
      expect(p.runXdp({ packet: pkt() }).r0).toBe(0n);
      const v = m.lookup(Uint8Array.of(7, 0, 0, 0));
      expect([...v]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0x11, 0, 0, 0, 0, 0, 0, 0]);
      const cpuId = build([call('get_smp_processor_id'), exit()], k, engine);
      expect(cpuId.runXdp({ packet: pkt() }).r0).toBe(1n);
    });

    it('get_current_pid_tgid gives tgid << 32 | pid of the task the run is attributed to', () => {
      const { k } = kernel();
      const p = build([call('get_current_pid_tgid'), exit()], k, engine);
      k.beginRun({ cpu: 0, pid: 4242 });
      expect(p.runXdp({ packet: pkt() }).r0).toBe((4242n << 32n) | 4242n);
    });

    it('update errors come back as negative errnos (NOEXIST on an array is -EEXIST)', () => {
      const { maps, k } = kernel();
      const m = maps.create({ type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 });
      const upd = (key: number, flags: number) => build([
        ...keyU32(key), stdw(R10, -16, 1), movr(R3, R10), add(R3, -16), mov(R4, flags),
        ldmap(R1, m.id), call('map_update_elem'), exit(),
      ], k, engine).runXdp({ packet: pkt() }).r0;
      expect(BigInt.asIntN(64, upd(0, 1))).toBe(-17n);
      expect(BigInt.asIntN(64, upd(3, 0))).toBe(-7n);
      expect(BigInt.asIntN(64, upd(0, 8))).toBe(-22n);
      expect(upd(0, 2)).toBe(0n);
    });

    it('queue push/pop from a program, FIFO, -ENOENT when empty', () => {
      const { maps, k } = kernel();
      const q = maps.create({ type: BPF_MAP_TYPE.QUEUE, keySize: 0, valueSize: 8, maxEntries: 4 });
      q.update(undefined, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0));
      q.update(undefined, Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0));
      const pop = build([
        ldmap(R1, q.id), movr(R2, R10), add(R2, -8), call('map_pop_elem'),
        jne(R0, 0, 2), ldxdw(R0, R10, -8), exit(), exit(),
      ], k, engine);
      expect(pop.runXdp({ packet: pkt() }).r0).toBe(1n);
      expect(pop.runXdp({ packet: pkt() }).r0).toBe(2n);
      expect(BigInt.asIntN(64, pop.runXdp({ packet: pkt() }).r0)).toBe(-2n);
    });

    it('ring buffer: reserve, write, submit gives a record the consumer reads; discard is skipped', () => {
      const { maps, k } = kernel();
      const rb = maps.create({ type: BPF_MAP_TYPE.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
      const p = build([
        ldmap(R1, rb.id), mov(R2, 12), mov(R3, 0), call('ringbuf_reserve'),
        jeq(R0, 0, 6), movr(R6, R0), stdw(R6, 0, 0x41424344), stw(R6, 8, 7),
        movr(R1, R6), mov(R2, 0), call('ringbuf_submit'),
        ldmap(R1, rb.id), mov(R2, 0), call('ringbuf_query'), exit(),
      ], k, engine);
      expect(p.runXdp({ packet: pkt() }).r0).toBe(24n); // 8-byte header + 12 rounded to 16
      const raw = rb.rawData();
      expect(new DataView(raw.buffer).getUint32(0, true)).toBe(12); // len, BUSY and DISCARD clear
      expect(new DataView(raw.buffer).getUint32(4, true)).toBe(3); // pg_off: 3 pages of header
      const disc = build([
        ldmap(R1, rb.id), mov(R2, 4), mov(R3, 0), call('ringbuf_reserve'),
        jeq(R0, 0, 3), movr(R1, R0), mov(R2, 0), call('ringbuf_discard'), mov(R0, 0), exit(),
      ], k, engine);
      disc.runXdp({ packet: pkt() });
      expect(new DataView(rb.rawData().buffer).getUint32(24, true) >>> 0).toBe((4 | (1 << 30)) >>> 0);
      const recs = rb.consume();
      expect(recs.map((r) => [...r])).toEqual([[0x44, 0x43, 0x42, 0x41, 0, 0, 0, 0, 7, 0, 0, 0]]);
      const out = build([
        stdw(R10, -8, 0x55), ldmap(R1, rb.id), movr(R2, R10), add(R2, -8), mov(R3, 8), mov(R4, 4), call('ringbuf_output'), exit(),
      ], k, engine);
      expect(BigInt.asIntN(64, out.runXdp({ packet: pkt() }).r0)).toBe(-22n); // bad flags
    });

    it('redirect: flags must be 0; redirect_map falls back to the low flag bits', () => {
      const { maps, k } = kernel();
      const dm = maps.create({ type: BPF_MAP_TYPE.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
      dm.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(2, 0, 0, 0));
      const redir = (flags: number) => build([mov(R1, 5), mov(R2, flags), call('redirect'), exit()], k, engine);
      k.beginRun();
      expect(redir(0).runXdp({ packet: pkt() }).action).toBe(XDP_REDIRECT);
      expect(k.redirect).toEqual({ index: 5, flags: 0, mapId: undefined, mapType: 0 });
      expect(redir(1).runXdp({ packet: pkt() }).action).toBe(XDP_ABORTED);
      const rm = (key: number, flags: number) => build([ldmap(R1, dm.id), mov(R2, key), mov(R3, flags), call('redirect_map'), exit()], k, engine);
      k.beginRun();
      expect(rm(1, 0).runXdp({ packet: pkt() }).action).toBe(XDP_REDIRECT);
      expect(k.redirect).toMatchObject({ index: 1, mapId: dm.id, mapType: BPF_MAP_TYPE.DEVMAP });
      expect(rm(0, XDP_PASS).runXdp({ packet: pkt() }).action).toBe(XDP_PASS);
      expect(rm(0, 0).runXdp({ packet: pkt() }).action).toBe(XDP_ABORTED);
      expect(rm(0, 8).runXdp({ packet: pkt() }).action).toBe(XDP_REDIRECT); // broadcast
      expect(rm(1, 64).runXdp({ packet: pkt() }).action).toBe(XDP_ABORTED); // unknown flag
    });

    it('tail_call jumps to the program in the prog array and falls through on an empty slot', () => {
      const progs = new Map<number, VmProgram>();
      const { maps, k } = kernel(2, progs);
      const pa = maps.create({ type: BPF_MAP_TYPE.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 });
      progs.set(100, build([mov(R0, XDP_TX), exit()], k, engine));
      pa.update(Uint8Array.of(2, 0, 0, 0), Uint8Array.of(100, 0, 0, 0));
      const tc = (idx: number) => build([ldmap(R2, pa.id), mov(R3, idx), call('tail_call'), mov(R0, XDP_DROP), exit()], k, engine);
      expect(tc(2).runXdp({ packet: pkt() }).action).toBe(XDP_TX);
      expect(tc(1).runXdp({ packet: pkt() }).action).toBe(XDP_DROP);
      expect(tc(9).runXdp({ packet: pkt() }).action).toBe(XDP_DROP);
    });

    it('bpf_loop calls the callback with the index and stops on non-zero', () => {
      const { k } = kernel();
      // main: r1 = 10, r2 = &cb, r3 = &ctx (stack, holds a sum), r4 = 0; loop; r0 = ctx*1000 + ret
      const p = build([
        stdw(R10, -8, 0), mov(R1, 10), ldfunc(R2, 9), movr(R3, R10), add(R3, -8), mov(R4, 0), call('loop'),
        ldxdw(R1, R10, -8), insnMul1000(R1), addr(R0, R1), exit(),
        // cb(index r1, ctx r2): *ctx += index; return index == 3
        ldxdw(R3, R2, 0), addr(R3, R1), stxdw(R2, R3, 0), mov(R0, 0), jne(R1, 3, 1), mov(R0, 1), exit(),
      ], k, engine);
      // 0+1+2+3 = 6, four calls
      expect(p.runXdp({ packet: pkt() }).r0).toBe(6004n);
    });

    it('for_each_map_elem visits array elements with key and value pointers', () => {
      const { maps, k } = kernel();
      const m = maps.create({ type: BPF_MAP_TYPE.ARRAY, keySize: 4, valueSize: 8, maxEntries: 3 }) as ArrayMap;
      for (let i = 0; i < 3; i++) m.update(Uint8Array.of(i, 0, 0, 0), Uint8Array.of(10 * (i + 1), 0, 0, 0, 0, 0, 0, 0));
      const p = build([
        stdw(R10, -8, 0), ldmap(R1, m.id), ldfunc(R2, 9), movr(R3, R10), add(R3, -8), mov(R4, 0), call('for_each_map_elem'),
        ldxdw(R1, R10, -8), insnMul1000(R1), addr(R0, R1), exit(),
        // cb(map, key, value, ctx): *ctx += *value + *key; *value += 1; return 0
        ldxdw(R6, R3, 0), ldxw(R0, R2, 0), addr(R6, R0), ldxdw(R0, R4, 0), addr(R0, R6), stxdw(R4, R0, 0),
        ldxdw(R0, R3, 0), add(R0, 1), stxdw(R3, R0, 0), mov(R0, 0), exit(),
      ], k, engine);
      expect(p.runXdp({ packet: pkt() }).r0).toBe(63003n); // (10+0)+(20+1)+(30+2) = 63, 3 elements
      expect(m.lookup(Uint8Array.of(2, 0, 0, 0))[0]).toBe(31);
    });

    it('xdp_adjust_head/tail/meta follow the kernel limits', () => {
      const { k } = kernel();
      const adj = (name: string, delta: number) => build([mov(R1, 0), mov(R2, delta), call(name), exit()], k, engine);
      const r = (name: string, delta: number, n = 64) => BigInt.asIntN(64, adj(name, delta).runXdp({ packet: pkt(n) }).r0);
      expect(r('xdp_adjust_head', 50)).toBe(0n); // leaves 14 bytes
      expect(r('xdp_adjust_head', 51)).toBe(-22n);
      expect(r('xdp_adjust_head', -216)).toBe(0n); // down to sizeof(struct xdp_frame) = 40
      expect(r('xdp_adjust_head', -217)).toBe(-22n);
      expect(r('xdp_adjust_tail', -50)).toBe(0n);
      expect(r('xdp_adjust_tail', -51)).toBe(-22n);
      expect(r('xdp_adjust_tail', 4096 - 320 - 256 - 64)).toBe(0n);
      expect(r('xdp_adjust_tail', 4096 - 320 - 256 - 63)).toBe(-22n);
      expect(r('xdp_adjust_meta', -4)).toBe(0n);
      expect(r('xdp_adjust_meta', -32)).toBe(0n);
      expect(r('xdp_adjust_meta', -36)).toBe(0n); // 6.18 allows up to 255 bytes
      expect(r('xdp_adjust_meta', -216)).toBe(0n);
      expect(r('xdp_adjust_meta', -220)).toBe(-22n); // below the xdp_frame
      expect(r('xdp_adjust_meta', -2)).toBe(-13n);
      expect(r('xdp_adjust_meta', 1)).toBe(-22n);
      // The packet moves: adjust_head(14) then return the first byte of the new data.
      const p = build([
        movr(R6, R1), mov(R2, 14), call('xdp_adjust_head'), ldxw(R2, R6, 0), ldxw(R3, R6, 4),
        movr(R1, R2), add(R1, 1), jgtr(R1, R3, 2), ldxb(R0, R2, 0), exit(), mov(R0, 99), exit(),
      ], k, engine);
      const res = p.runXdp({ packet: pkt() });
      expect(res.r0).toBe(14n);
      expect(res.packet.length).toBe(50);
      // Growing the tail zeroes the new bytes.
      const g = adj('xdp_adjust_tail', 8).runXdp({ packet: pkt(20).fill(0xff) });
      expect([...g.packet.subarray(20)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    });

    it('xdp_load_bytes / store_bytes / get_buff_len', () => {
      const { k } = kernel();
      const p = build([
        movr(R6, R1), mov(R2, 10), movr(R3, R10), add(R3, -8), mov(R4, 4), call('xdp_load_bytes'),
        jne(R0, 0, 9), movr(R1, R6), mov(R2, 0), movr(R3, R10), add(R3, -8), mov(R4, 4), call('xdp_store_bytes'),
        movr(R1, R6), call('xdp_get_buff_len'), exit(), exit(),
      ], k, engine);
      const res = p.runXdp({ packet: pkt(30) });
      expect(res.r0).toBe(30n);
      expect([...res.packet.subarray(0, 4)]).toEqual([10, 11, 12, 13]);
      const oob = build([mov(R2, 28), movr(R3, R10), add(R3, -8), mov(R4, 4), call('xdp_load_bytes'), exit()], k, engine);
      expect(BigInt.asIntN(64, oob.runXdp({ packet: pkt(30) }).r0)).toBe(-22n);
    });

    it('get_prandom_u32 is reproducible for a seed', () => {
      const a = kernel().k;
      const b = kernel().k;
      const pa = build([call('get_prandom_u32'), exit()], a, engine);
      const pb = build([call('get_prandom_u32'), exit()], b, engine);
      const xs = [1, 2, 3].map(() => pa.runXdp({ packet: pkt() }).r0);
      expect([1, 2, 3].map(() => pb.runXdp({ packet: pkt() }).r0)).toEqual(xs);
      expect(new Set(xs).size).toBe(3);
    });

    it('ktime_get_ns and jiffies64 read the kernel clock', () => {
      const { k } = kernel();
      const p = build([call('ktime_get_ns'), exit()], k, engine);
      expect(p.runXdp({ packet: pkt() }).r0).toBe(5_000_000_000n);
      expect(p.runXdp({ packet: pkt() }).r0).toBe(5_000_001_000n);
      const j = build([call('jiffies64'), exit()], k, engine).runXdp({ packet: pkt() }).r0;
      expect(j).toBe(2n ** 32n - 75000n + 1250n); // INITIAL_JIFFIES + 5 s * HZ(250)
    });

    it('trace_printk writes a trace_pipe line and returns the length', () => {
      const { k } = kernel();
      k.beginRun({ cpu: 1, comm: 'xdpts', pid: 4242 });
      // "n=%d %s\n\0" + "ok\0" on the stack at r10-16 and r10-24.
      const text = Uint8Array.from([...'n=%d %s\n'].map((c) => c.charCodeAt(0)).concat([0, 0, 0, 0, 0, 0, 0, 0]));
      const w = (b: Uint8Array) => new DataView(b.buffer).getBigUint64(0, true);
      const p = build([
        ld64(R1, w(text.subarray(0, 8).slice())), stxdw(R10, R1, -16), ld64(R1, w(text.subarray(8, 16).slice())), stxdw(R10, R1, -8),
        stw(R10, -24, 0x6b6f), movr(R1, R10), add(R1, -16), mov(R2, 10), mov(R3, -7), movr(R4, R10), add(R4, -24),
        call('trace_printk'), exit(),
      ], k, engine);
      expect(p.runXdp({ packet: pkt() }).r0).toBe(8n); // "n=-7 ok\n"
      expect(k.trace.read()).toBe('           xdpts-4242    [001] b..11     5.000000: bpf_trace_printk: n=-7 ok\n\n');
      const bad = build([stw(R10, -8, 0x7a25), movr(R1, R10), add(R1, -8), mov(R2, 4), call('trace_printk'), exit()], k, engine);
      expect(BigInt.asIntN(64, bad.runXdp({ packet: pkt() }).r0)).toBe(-22n);
      expect(k.trace.read()).toBe('');
    });

    it('fib_lookup: NOT_FWDED without a routing table, provider results written back', () => {
      const { k } = kernel();
      const prog = (kk: KernelHelpers) => build([
        movr(R6, R1), ...Array.from({ length: 8 }, (_, i) => stdw(R10, -64 + 8 * i, 0)),
        stb(R10, -64, 2), stw(R10, -32, 0x0302000a), movr(R1, R6), movr(R2, R10), add(R2, -64), mov(R3, 64), mov(R4, 0),
        call('fib_lookup'), jne(R0, 0, 2), ldxw(R0, R10, -56), add(R0, 1000), exit(),
      ], kk, engine);
      expect(prog(k).runXdp({ packet: pkt() }).r0).toBe(BigInt(BPF_FIB_LKUP_RET_NOT_FWDED));
      const seen: FibQuery[] = [];
      const k2 = new KernelHelpers({ maps: () => undefined, seed: 1, fib: { lookup: (q) => (seen.push(q), { ret: BPF_FIB_LKUP_RET_SUCCESS, ifindex: 7, smac: new Uint8Array(6), dmac: new Uint8Array(6) }) } });
      expect(prog(k2).runXdp({ packet: pkt() }).r0).toBe(1007n);
      expect([...seen[0]!.dst]).toEqual([10, 0, 2, 3]);
    });
  });
}

/** r *= 1000 (ALU64 MUL imm). */
function insnMul1000(r: number) {
  return { opcode: 0x27, dst: r, src: 0, off: 0, imm: 1000 };
}
/** if r > s goto +off (JGT reg). */
function jgtr(r: number, s: number, off: number) {
  return { opcode: 0x2d, dst: r, src: s, off, imm: 0 };
}
void R4; void R5; void ld64; void Prandom;
