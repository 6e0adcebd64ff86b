/**
 * `Program.run` on an in-memory kernel as a unit test uses it packet after packet: what a run
 * reports (durations by clock), and that the per-packet shortcuts of the VM (map values keep
 * their region tags from one run to the next) never show a stale value.
 */
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { writeElf } from '../../src/elf';
import { Kernel } from '../../src/index';
import { fixtureObject, udpFrame } from './helpers';

/** r0 = the u64 value of hash map `h` at the key in the packet's first 4 bytes, 0 when none. */
const LOOKUP = `
.map h, type=hash, key=__u32, value=__u64, max_entries=64
.section xdp,"ax",@progbits
.globl lookup
lookup:
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 4
	if r4 > r3 goto none
	r5 = *(u32 *)(r2 + 0)
	*(u32 *)(r10 - 4) = r5
	r2 = r10
	r2 += -4
	r1 = h ll
	call bpf_map_lookup_elem
	if r0 == 0 goto none
	r0 = *(u64 *)(r0 + 0)
	exit
none:
	r0 = 0
	exit
.license "GPL"
`;

/** The ELF object of assembly source. */
function objectOf(src: string): Uint8Array {
  const r = assemble(src, { file: 'test.s' });
  if (r.kind !== 'elf') throw new Error('expected an object');
  return writeElf(r.elf);
}

/** Two programs: r0 = bpf_get_prandom_u32(), r0 = bpf_ktime_get_ns() / 1000 (microseconds, fits a retval). */
const CLOCKED = `
.section xdp,"ax",@progbits
.globl rand
rand:
	call bpf_get_prandom_u32
	exit
.globl usec
usec:
	call bpf_ktime_get_ns
	r0 /= 1000
	exit
.license "GPL"
`;

/** A frame whose first 4 bytes are `key` (little-endian). */
function keyed(key: number): Uint8Array {
  const f = udpFrame();
  new DataView(f.buffer).setUint32(0, key, true);
  return f;
}

describe('Program.run', () => {
  it('reports durationNs 0 for one run on the virtual clock (results repeat exactly), and measures with repeat or a real clock', () => {
    const virt = Kernel.inMemory().loadCollection(fixtureObject('counter'));
    const p = virt.programs['count_packets']!;
    expect(p.run(udpFrame())).toEqual({ action: 'XDP_PASS', retval: 2, packet: udpFrame(), meta: new Uint8Array(0), durationNs: 0 });
    expect(p.run(udpFrame()).durationNs).toBe(0);
    // 2000 runs take longer than 0 ns in all (the mean is rounded: check the total).
    expect(p.run(udpFrame(), { repeat: 2000 }).durationNs * 2000).toBeGreaterThan(0);
    const real = Kernel.inMemory({ clock: 'real' }).loadCollection(fixtureObject('counter'));
    const rp = real.programs['count_packets']!;
    const ds = Array.from({ length: 50 }, () => rp.run(udpFrame()).durationNs);
    expect(ds.some((d) => d > 0)).toBe(true);
    virt.close();
    real.close();
  });

  it('the seed fixes bpf_get_prandom_u32 per kernel, and the virtual clock starts at 1 s and steps 1 us a reading', () => {
    const draws = (k: Kernel, n: number): number[] => {
      const c = k.loadCollection(objectOf(CLOCKED));
      const out = Array.from({ length: n }, () => c.programs['rand']!.run(udpFrame()).retval);
      c.close();
      return out;
    };
    const a = draws(Kernel.inMemory({ seed: 7 }), 5);
    expect(draws(Kernel.inMemory({ seed: 7 }), 5)).toEqual(a);
    expect(draws(Kernel.inMemory({ seed: 8 }), 5)).not.toEqual(a);
    expect(new Set(a).size).toBe(5);
    // Kernels do not share a generator: draws on one leave another's sequence as it was.
    const k1 = Kernel.inMemory({ seed: 7 });
    const k2 = Kernel.inMemory({ seed: 7 });
    expect(draws(k1, 2)).toEqual(a.slice(0, 2));
    expect(draws(k2, 5)).toEqual(a);

    const c = Kernel.inMemory().loadCollection(objectOf(CLOCKED));
    expect([1, 2, 3].map(() => c.programs['usec']!.run(udpFrame()).retval)).toEqual([1_000_000, 1_000_001, 1_000_002]);
    const real = Kernel.inMemory({ clock: 'real' }).loadCollection(objectOf(CLOCKED));
    const t0 = real.programs['usec']!.run(udpFrame()).retval;
    const t1 = real.programs['usec']!.run(udpFrame()).retval;
    expect(t1).toBeGreaterThanOrEqual(t0);
    expect(() => Kernel.inMemory({ clock: 'wall' as never })).toThrow(/clock must be 'virtual' or 'real'/);
    expect(() => Kernel.inMemory({ seed: -1 })).toThrow(/seed -1 is not a u32/);
    c.close();
    real.close();
  });

  it.each(['jit', 'interp'] as const)('reads map values that change between runs, past the cached ones (%s)', (engine) => {
    const coll = Kernel.inMemory({ engine }).loadCollection(objectOf(LOOKUP));
    const h = coll.maps['h']!;
    const prog = coll.programs['lookup']!;
    // 12 keys: more than the regions a run keeps for the next one.
    for (let k = 0; k < 12; k++) h.update(k, BigInt(100 + k));
    for (let round = 0; round < 3; round++) for (let k = 0; k < 12; k++) expect(prog.run(keyed(k)).retval).toBe(100 + k);
    // The same key packet after packet while its element is replaced, deleted, re-created.
    expect(prog.run(keyed(3)).retval).toBe(103);
    h.update(3, 555n);
    expect(prog.run(keyed(3)).retval).toBe(555);
    h.delete(3);
    expect(prog.run(keyed(3)).retval).toBe(0);
    h.update(3, 7n);
    expect(prog.run(keyed(3)).retval).toBe(7);
    for (let k = 0; k < 12; k++) h.delete(k);
    for (let k = 0; k < 12; k++) h.update(k, BigInt(200 + k));
    for (let k = 0; k < 12; k++) expect(prog.run(keyed(k)).retval).toBe(200 + k);
    coll.close();
  });
});
