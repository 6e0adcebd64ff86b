/**
 * bpf_csum_diff on the real kernel: fixtures/kernel/csum-diff.c is compiled with clang, run with
 * BPF_PROG_TEST_RUN (bpftool prog run) and its results compared with the emulation's.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tools, needs } from '../helpers/tools';
import { csumDiff, KernelHelpers } from '../../src/kernel/helpers';
import { R0, R1, R2, R3, R4, R6, R7, R8, R10, add, build, call, exit, jeq, ld64, ldmap, ldxdw, ldxw, mov, movr, stb, stw, stxdw, withLabels } from './bpf-builder';
import { BPF_MAP_TYPE } from '../../src/object';
import { MapTable, type RingBufMap } from '../../src/kernel/maps';
import { toHex } from '../../src/util';

const FIX = join(import.meta.dirname, '../../fixtures/kernel');

describe.skipIf(!tools.kernel || !tools.clang19)(`bpf_csum_diff against the real kernel${needs('kernel')}${needs('clang19')}`, () => {
  it('gives the kernel results for the probe vectors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdptsE_'));
    const pin = `/sys/fs/bpf/xdptsE_csum_${process.pid}`;
    try {
      const obj = join(dir, 'cs.o');
      execFileSync(tools.clang19!, ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(FIX, 'csum-diff.c'), '-o', obj]);
      execFileSync(tools.bpftool!, ['prog', 'load', obj, pin, 'type', 'xdp']);
      writeFileSync(join(dir, 'in'), new Uint8Array(96));
      execFileSync(tools.bpftool!, ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in'), 'data_out', join(dir, 'out')]);
      const out = readFileSync(join(dir, 'out'));
      const real = Array.from({ length: 10 }, (_, i) => Number(out.readBigUInt64LE(8 * i)));
      const w = (...x: number[]) => new Uint8Array(Uint32Array.from(x).buffer);
      const a = w(0xffffffff, 0x01020304, 0x80000000, 0xfffefdfc);
      const b = w(0x05060708, 0xffffffff, 0x80000001, 0x00001234);
      const z = new Uint8Array(0);
      const emu = [
        csumDiff(a.subarray(0, 4), b.subarray(0, 4), 0), csumDiff(z, b, 0), csumDiff(a, z, 0),
        csumDiff(a.subarray(0, 8), b.subarray(0, 12), 0x12345678), csumDiff(z, z, 0xdeadbeef), csumDiff(a, z, 0xffff),
        csumDiff(z, a, 0xffffffff), csumDiff(a.subarray(0, 3), b.subarray(0, 4), 0), csumDiff(a, b, 0), csumDiff(b.subarray(0, 4), a.subarray(0, 4), 0),
      ];
      expect(emu).toEqual(real);
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!tools.kernel || !tools.clang19)(`xdp_adjust_head/tail/meta against the real kernel${needs('kernel')}${needs('clang19')}`, () => {
  it('return the kernel codes at and around every limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdptsE_'));
    const pin = `/sys/fs/bpf/xdptsE_adj_${process.pid}`;
    // The same program, built for the emulation (see fixtures/kernel/xdp-adjust.c).
    const k = new KernelHelpers({ maps: () => undefined, seed: 1 });
    const emu = build([
      movr(R6, R1), ldxw(R2, R1, 0), ldxw(R3, R1, 4), movr(R1, R2), add(R1, 8),
      { opcode: 0x2d, dst: R1, src: R3, off: 22, imm: 0 }, // if r1 > r3 goto out
      ldxw(R7, R2, 0), ldxw(R8, R2, 4), movr(R1, R6), movr(R2, R8),
      jeq(R7, 0, 7), jeq(R7, 1, 8), jeq(R7, 2, 9),
      mov(R2, -8), call('xdp_adjust_meta'), jeq(R0, 0, 8), mov(R0, 54321), exit(),
      call('xdp_adjust_head'), exit(), call('xdp_adjust_tail'), exit(), call('xdp_adjust_meta'), exit(),
      movr(R1, R6), movr(R2, R8), call('xdp_adjust_head'), exit(),
      mov(R0, 12345), exit(),
    ], k);
    void stw;
    try {
      const obj = join(dir, 'adj.o');
      execFileSync(tools.clang19!, ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(FIX, 'xdp-adjust.c'), '-o', obj]);
      execFileSync(tools.bpftool!, ['prog', 'load', obj, pin, 'type', 'xdp']);
      const cases: [number, number, number][] = [];
      for (const len of [64, 14, 1500]) {
        const tailroom = 4096 - 320 - 256 - len;
        for (const d of [len - 14, len - 13, -216, -217, -256, 0]) cases.push([0, d, len]);
        for (const d of [14 - len, 13 - len, tailroom, tailroom + 1, 0, -1]) cases.push([1, d, len]);
        for (const d of [-4, -32, -36, -2, 1, 0, -216]) cases.push([2, d, len]);
        for (const d of [-1, -8, -208, -209, len - 14, len - 13]) cases.push([3, d, len]);
      }
      for (const [which, delta, len] of cases) {
        const pkt = Buffer.alloc(Math.max(len, 8));
        pkt.writeUInt32LE(which, 0);
        pkt.writeInt32LE(delta, 4);
        writeFileSync(join(dir, 'in'), pkt);
        const out = execFileSync(tools.bpftool!, ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in')], { encoding: 'utf8' });
        const real = Number(/Return value: (\d+)/.exec(out)![1]);
        const mine = Number(emu.runXdp({ packet: new Uint8Array(pkt) }).r0 & 0xffffffffn);
        expect({ which, delta, len, r: mine }).toEqual({ which, delta, len, r: real });
      }
    } finally {
      rmSync(pin, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!tools.kernel || !tools.clang19)(`ring buffer memory against the real kernel${needs('kernel')}${needs('clang19')}`, () => {
  it('records, headers, positions and refusals are the kernel\'s, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdptsE_'));
    try {
      const obj = join(dir, 'rbp.o');
      const drv = join(dir, 'rbd');
      execFileSync(tools.clang19!, ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(FIX, 'ringbuf-probe.c'), '-o', obj]);
      execFileSync('cc', [join(FIX, 'ringbuf-driver.c'), '-lbpf', '-o', drv]);
      const real = execFileSync(drv, [obj, '3'], { encoding: 'utf8' }).trim().split('\n');

      // fixtures/kernel/ringbuf-probe.c, instruction for instruction in spirit.
      const maps = new MapTable({ ncpus: 2 });
      const rb = maps.create({ type: BPF_MAP_TYPE.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' }) as RingBufMap;
      const k = new KernelHelpers({ maps: (id) => maps.get(id), seed: 1 });
      const or = (d: number, imm: number) => ({ opcode: 0x47, dst: d, src: 0, off: 0, imm });
      const p = build(withLabels([
        mov(R7, 0),
        ldmap(R1, rb.id), mov(R2, 12), mov(R3, 0), call('ringbuf_reserve'),
        { jump: 0x15, dst: R0, imm: 0, to: 'l1' },
        stw(R0, 0, 0x11223344), stw(R0, 4, 0x55667788), stw(R0, 8, 0x99aabbcc | 0),
        movr(R1, R0), mov(R2, 0), call('ringbuf_submit'), or(R7, 1),
        { label: 'l1' },
        ldmap(R1, rb.id), mov(R2, 4), mov(R3, 0), call('ringbuf_reserve'),
        { jump: 0x15, dst: R0, imm: 0, to: 'l2' },
        stw(R0, 0, 0xeeeeeeee | 0), movr(R1, R0), mov(R2, 0), call('ringbuf_discard'), or(R7, 2),
        { label: 'l2' },
        ld64(R1, 0x0102030405060708n), stxdw(R10, R1, -8),
        ldmap(R1, rb.id), movr(R2, R10), add(R2, -8), mov(R3, 5), mov(R4, 0), call('ringbuf_output'),
        { jump: 0x55, dst: R0, imm: 0, to: 'l3' }, or(R7, 4),
        { label: 'l3' },
        ldmap(R1, rb.id), movr(R2, R10), add(R2, -8), mov(R3, 8), mov(R4, 4), call('ringbuf_output'),
        { jump: 0x55, dst: R0, imm: -22, to: 'l4' }, or(R7, 8),
        { label: 'l4' },
        ldmap(R1, rb.id), mov(R2, 8), mov(R3, 1), call('ringbuf_reserve'),
        { jump: 0x55, dst: R0, imm: 0, to: 'l5' }, or(R7, 16), { jump: 0x05, to: 'l6' },
        { label: 'l5' }, movr(R1, R0), mov(R2, 0), call('ringbuf_discard'),
        { label: 'l6' },
        ldmap(R1, rb.id), mov(R2, 1500), mov(R3, 0), call('ringbuf_reserve'),
        { jump: 0x15, dst: R0, imm: 0, to: 'l7' },
        stb(R0, 0, 0x42), stb(R0, 1499, 0x24), movr(R1, R0), mov(R2, 0), call('ringbuf_submit'), or(R7, 32),
        { label: 'l7' },
        ldmap(R1, rb.id), mov(R2, 0), call('ringbuf_query'),
        { opcode: 0x67, dst: R0, src: 0, off: 0, imm: 8 }, { opcode: 0x4f, dst: R0, src: R7, off: 0, imm: 0 }, exit(),
      ]), k);
      const mine: string[] = [];
      for (let i = 0; i < 3; i++) mine.push(`ret ${Number(p.runXdp({ packet: new Uint8Array(64) }).r0 & 0xffffffffn)}`);
      mine.push(`consumer ${rb.consumerPos}`, `producer ${rb.producerPos}`, `data ${toHex(rb.rawData())}`);
      expect(mine).toEqual(real);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!tools.kernel || !tools.clang19)(`bpf_redirect / bpf_redirect_map against the real kernel${needs('kernel')}${needs('clang19')}`, () => {
  it('return the kernel verdicts for every flag combination', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdptsE_'));
    const pin = `/sys/fs/bpf/xdptsE_rp_${process.pid}`;
    const pinMaps = `${pin}_maps`;
    try {
      const obj = join(dir, 'rp.o');
      execFileSync(tools.clang19!, ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', join(FIX, 'redirect-probe.c'), '-o', obj]);
      execFileSync(tools.bpftool!, ['prog', 'load', obj, pin, 'type', 'xdp', 'pinmaps', pinMaps]);
      execFileSync(tools.bpftool!, ['map', 'update', 'pinned', `${pinMaps}/dm`, 'key', '1', '0', '0', '0', 'value', '1', '0', '0', '0']);
      execFileSync(tools.bpftool!, ['map', 'update', 'pinned', `${pinMaps}/cm`, 'key', '1', '0', '0', '0', 'value', '64', '0', '0', '0']);

      const maps = new MapTable({ ncpus: 2, ifindexExists: (i) => i === 1 });
      const dm = maps.create({ type: BPF_MAP_TYPE.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4, name: 'dm' });
      const cm = maps.create({ type: BPF_MAP_TYPE.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 2, name: 'cm' });
      dm.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(1, 0, 0, 0));
      cm.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(64, 0, 0, 0));
      const k = new KernelHelpers({ maps: (id) => maps.get(id), seed: 1 });
      const p = build(withLabels([
        movr(R6, R1), ldxw(R2, R1, 0), ldxw(R3, R1, 4), movr(R1, R2), add(R1, 16),
        { jump: 0x2d, dst: R1, src: R3, to: 'short' },
        ldxw(R7, R2, 0), ldxw(R8, R2, 4), ldxdw(R3, R2, 8),
        { jump: 0x55, dst: R7, imm: 0, to: 'map' },
        movr(R1, R8), movr(R2, R3), call('redirect'), exit(),
        { label: 'map' }, movr(R2, R8),
        { jump: 0x55, dst: R7, imm: 1, to: 'cpu' },
        ldmap(R1, dm.id), call('redirect_map'), exit(),
        { label: 'cpu' }, ldmap(R1, cm.id), call('redirect_map'), exit(),
        { label: 'short' }, mov(R0, 12345), exit(),
      ]), k);
      const cases: [number, number, bigint][] = [];
      for (const flags of [0n, 1n, 2n, 3n, 4n, 8n, 9n, 16n, 24n, 32n, 1n << 32n]) {
        for (const key of [1, 2, 9]) for (const which of [1, 2]) cases.push([which, key, flags]);
        cases.push([0, 5, flags]);
      }
      for (const [which, key, flags] of cases) {
        const pkt = Buffer.alloc(64);
        pkt.writeUInt32LE(which, 0);
        pkt.writeUInt32LE(key, 4);
        pkt.writeBigUInt64LE(flags, 8);
        writeFileSync(join(dir, 'in'), pkt);
        const out = execFileSync(tools.bpftool!, ['prog', 'run', 'pinned', pin, 'data_in', join(dir, 'in')], { encoding: 'utf8' });
        const real = Number(/Return value: (\d+)/.exec(out)![1]);
        const mine = Number(p.runXdp({ packet: new Uint8Array(pkt) }).r0 & 0xffffffffn);
        expect({ which, key, flags, r: mine }).toEqual({ which, key, flags, r: real });
      }
    } finally {
      rmSync(pin, { force: true });
      rmSync(pinMaps, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
