/**
 * The Kernel class: loading objects compiled by clang (maps created, global data initialised,
 * `.rodata` frozen, ids never reused), running them, freeing programs and maps, snapshots.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Kernel, programTag } from '../../src/kernel';
import { loadObject, type MapSpec } from '../../src/object';
import { VerifierError } from '../../src/util/errors';
import type { Instruction } from '../../src/isa';

const fixture = (name: string) => loadObject(new Uint8Array(readFileSync(`fixtures/c/${name}`)), name);
const pkt = (n = 64) => new Uint8Array(n).map((_, i) => i);

describe.each(['interp', 'jit', 'wasm'] as const)('Kernel (%s)', (engine) => {
  it('loads the counter, gives ids and a tag, and the program counts into its map', () => {
    const k = new Kernel({ engine, seed: 1 });
    const obj = k.loadObject(fixture('counter.o'));
    const [p] = obj.programs;
    expect(p!.id).toBe(1);
    expect(p!.name).toBe('count_packets');
    expect(p!.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(p!.tag).toBe(programTag(p!.insns));
    expect(p!.verified).toBe(true);
    const m = obj.maps.get('pkt_count')!;
    expect(p!.mapIds).toEqual([m.id]);
    for (let i = 0; i < 3; i++) expect(k.testRun(p!, { packet: pkt() }).retval).toBe(2);
    expect(m.lookup(new Uint8Array(4))).toEqual(new Uint8Array([3, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('initialises global data, freezes .rodata and lets programs use map-value pointers', () => {
    const k = new Kernel({ engine });
    const obj = k.loadObject(fixture('globals.o'));
    const names = [...obj.maps.keys()].sort();
    expect(names).toEqual(['.data.custom', 'globals.bss', 'globals.data', 'globals.rodata']);
    const ro = obj.maps.get('globals.rodata')!;
    expect(ro.frozen).toBe(true);
    expect(() => ro.update(new Uint8Array(4), new Uint8Array(ro.valueSize))).toThrow(/EPERM/);
    const p = obj.programs[0]!;
    const r = k.testRun(p, { packet: pkt(), ctx: { ingress_ifindex: 1, rx_queue_index: 0 } });
    expect(r.retval).toBe(2);
    const data = obj.maps.get('globals.data')!.lookup(new Uint8Array(4));
    expect(data[0]).toBe(8); // seen = 7, then ++
    const custom = obj.maps.get('.data.custom')!.lookup(new Uint8Array(4));
    expect(custom[0]).toBe(43);
    const bss = obj.maps.get('globals.bss')!.lookup(new Uint8Array(4));
    expect(bss.some((b) => b !== 0)).toBe(true); // counters[0]++
  });

  it('never reuses ids and frees unused maps on unload', () => {
    const k = new Kernel({ engine });
    const a = k.loadObject(fixture('counter.o')).programs[0]!;
    const mapId = a.mapIds[0]!;
    k.unloadProgram(a.id, { freeMaps: true });
    expect(k.program(a.id)).toBeUndefined();
    expect(k.map(mapId)).toBeUndefined();
    const b = k.loadObject(fixture('counter.o')).programs[0]!;
    expect(b.id).toBe(a.id + 1);
    expect(b.mapIds[0]).toBe(mapId + 1);
    expect(() => k.deleteMap(b.mapIds[0]!)).toThrow(/still used/);
  });

  it('selects programs by name or section and reports unknown names', () => {
    const k = new Kernel({ engine });
    const spec = fixture('multi.o');
    const first = spec.programs[1]!;
    const obj = k.loadObject(spec, { programs: [first.name] });
    expect(obj.programs.map((p) => p.funcName)).toEqual([first.name]);
    expect(() => k.loadObject(spec, { programs: ['nope'] })).toThrow(/no program 'nope'/);
  });

  it('refuses a program the verifier rejects, with its message, and frees the maps it made', () => {
    const k = new Kernel({ engine });
    const spec = fixture('counter.o');
    // r0 is never set: the verifier's "R0 !read_ok".
    const bad = { ...spec, programs: [{ ...spec.programs[0]!, insns: [{ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }] as Instruction[], references: new Map() }] };
    let err: unknown;
    try {
      k.loadObject(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VerifierError);
    expect((err as Error).message).toMatch(/R0 !read_ok/);
    expect(k.mapList()).toEqual([]);
    expect(k.programList()).toEqual([]);
  });

  it('round-trips through a snapshot: maps, programs, ids, prandom and trace', () => {
    const k = new Kernel({ engine, seed: 42, clock: 'virtual' });
    const obj = k.loadObject(fixture('counter.o'));
    const p = obj.programs[0]!;
    k.testRun(p, { packet: pkt() });
    const snap = JSON.parse(JSON.stringify(k.toSnapshot()));
    const k2 = Kernel.fromSnapshot(snap);
    const p2 = k2.program(p.id)!;
    expect(p2.tag).toBe(p.tag);
    expect(p2.name).toBe(p.name);
    expect(p2.loadTime).toBe(p.loadTime);
    expect(k2.helpers.random.next()).toBe(k.helpers.random.next());
    k2.testRun(p2, { packet: pkt() });
    expect(k2.map(p.mapIds[0]!)!.lookup(new Uint8Array(4))[0]).toBe(2);
    expect(k2.nextProgId).toBe(k.nextProgId);
    const again = k2.loadObject(fixture('counter.o')).programs[0]!;
    expect(again.id).toBe(p.id + 1);
  });

  it('restores global data pointers onto the restored maps', () => {
    const k = new Kernel({ engine });
    const obj = k.loadObject(fixture('globals.o'));
    k.testRun(obj.programs[0]!, { packet: pkt() });
    const k2 = Kernel.fromSnapshot(JSON.parse(JSON.stringify(k.toSnapshot())));
    const p2 = k2.program(obj.programs[0]!.id)!;
    k2.testRun(p2, { packet: pkt() });
    const data = k2.mapList().find((m) => m.name === 'globals.data')!;
    expect(data.lookup(new Uint8Array(4))[0]).toBe(9); // 7, +1 before the snapshot, +1 after
    expect(k2.mapList().find((m) => m.name === 'globals.rodata')!.frozen).toBe(true);
    // The original kernel is untouched by the copy's run.
    expect(obj.maps.get('globals.data')!.lookup(new Uint8Array(4))[0]).toBe(8);
  });

  it('refuses a big-endian object like libbpf (endianness mismatch)', () => {
    const k = new Kernel({ engine });
    expect(() => k.loadObject(fixture('counter.eb.o'))).toThrow(/endianness mismatch/);
  });

  it('refuses a corrupt snapshot with an XdptsError', () => {
    expect(() => Kernel.fromSnapshot({ version: 99 } as never)).toThrow(/corrupt kernel snapshot/);
    expect(() => Kernel.fromSnapshot(null as never)).toThrow(/corrupt/);
  });
});

describe('freeing maps nothing uses', () => {
  const spec = (name: string, extra: Partial<MapSpec> = {}): MapSpec => ({
    name, type: 2, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, pinning: 0, keyTypeId: 0, valueTypeId: 0, section: '.maps', ...extra,
  });
  // An ARRAY_OF_MAPS whose slot 0 holds `inner`, as libbpf's init_map_in_map_slots leaves it.
  const outerHolding = (k: Kernel) => {
    const inner = k.createMapFromSpec(spec('inner'));
    const outer = k.createMapFromSpec(spec('outer', { type: 12, innerMap: spec('tmpl') }));
    k.initMapInMapSlots([spec('outer', { type: 12, initialSlots: [{ index: 0, target: 'inner' }] })], new Map([['outer', outer], ['inner', inner]]));
    return { inner: inner.id, outer: outer.id };
  };

  it('frees an inner map once its outer map is gone, even when listed first', () => {
    const k = new Kernel({});
    const { inner, outer } = outerHolding(k);
    // The inner map is in use while the outer map holds it: only a second pass frees it.
    k.freeUnusedMaps([inner, outer]);
    expect([k.map(inner), k.map(outer)]).toEqual([undefined, undefined]);
  });

  it('keeps what the caller holds, and the inner maps a kept outer map holds', () => {
    const k = new Kernel({});
    const a = outerHolding(k);
    k.freeUnusedMaps([a.inner, a.outer], (id) => id === a.inner);
    expect([k.map(a.inner)?.id, k.map(a.outer)]).toEqual([a.inner, undefined]);
    const b = outerHolding(k);
    k.freeUnusedMaps([b.inner, b.outer], (id) => id === b.outer);
    expect([k.map(b.inner)?.id, k.map(b.outer)?.id]).toEqual([b.inner, b.outer]);
  });
});
