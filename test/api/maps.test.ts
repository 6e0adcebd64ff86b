/**
 * Typed maps over the emulated kernel's hash and per-CPU maps: update flags and their errnos,
 * lookupAndDelete, NextKey iteration, batch operations with cursors, per-CPU value arrays in
 * the kernel's 8-byte slot layout, and pinning in the emulated bpffs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCollectionSpec, MapError, bytesCodec, perCpuCodec, type BpfMap, type Codec } from '../../src/index';
import { Kernel } from '../../src/kernel';
import { StateStore } from '../../src/state';
import { fixtureObject, freshStateDir, u32, u64 } from './helpers';

let state: { dir: string; remove: () => void };
beforeEach(() => {
  state = freshStateDir();
});
afterEach(() => state.remove());

/** `flows` of legacy_maps.o: key 8 bytes, value 16; a key and a value codec as two u64 words. */
const key8: Codec<bigint> = u64;
const val16: Codec<[bigint, bigint]> = {
  size: 16,
  align: 8,
  encode: ([a, b]) => new Uint8Array([...u64.encode(a), ...u64.encode(b)]),
  decode: (x) => [u64.decode(x.slice(0, 8)), u64.decode(x.slice(8, 16))],
};

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof MapError) return e.errno;
    throw e;
  }
  return 'no error';
}

function flows(): { map: BpfMap<bigint, [bigint, bigint]>; close: () => void } {
  const coll = loadCollectionSpec(fixtureObject('legacy_maps')).load({ stateDir: state.dir });
  const map = coll.detachMap('flows', key8, val16);
  return { map, close: () => (map.close(), coll.close()) };
}

describe('hash map', () => {
  it('update flags, delete and lookupAndDelete give the kernel errnos', () => {
    const { map, close } = flows();
    expect(map.type).toBe(1);
    expect(map.maxEntries).toBe(64);
    expect(codeOf(() => map.update(1n, [1n, 2n], 'exist'))).toBe('ENOENT');
    map.update(1n, [1n, 2n], 'noexist');
    expect(codeOf(() => map.update(1n, [3n, 4n], 'noexist'))).toBe('EEXIST');
    map.update(1n, [3n, 4n], 'exist');
    expect(map.lookup(1n)).toEqual([3n, 4n]);
    expect(map.lookupAndDelete(1n)).toEqual([3n, 4n]);
    expect(map.lookupAndDelete(1n)).toBeUndefined();
    expect(codeOf(() => map.delete(1n))).toBe('ENOENT');
    close();
  });

  it('a full map refuses a new key with E2BIG', () => {
    const { map, close } = flows();
    expect(map.batchUpdate(Array.from({ length: 64 }, (_, i) => [BigInt(i), [BigInt(i), 0n]] as const))).toBe(64);
    expect(codeOf(() => map.update(100n, [0n, 0n]))).toBe('E2BIG');
    map.update(5n, [9n, 9n]); // replacing an existing key still works when full
    close();
  });

  it('iterates every key once, in NextKey order, across pages', () => {
    const { map, close } = flows();
    // One batch write (one transaction) of 60 entries.
    expect(map.batchUpdate(Array.from({ length: 60 }, (_, i) => [BigInt(i), [BigInt(i * 2), 0n]] as const))).toBe(60);
    const keys = [...map.keys()];
    expect(keys).toHaveLength(60);
    expect(new Set(keys).size).toBe(60);
    const entries = new Map(map.entries());
    expect(entries.get(7n)).toEqual([14n, 0n]);
    expect([...map.values()]).toHaveLength(60);
    // nextKey walks the same order
    const walk: bigint[] = [];
    for (let k = map.nextKey(); k !== undefined; k = map.nextKey(k)) walk.push(k);
    expect(walk).toEqual(keys);
    close();
  });

  it('batchLookup pages with a cursor until done; andDelete empties the map', () => {
    const { map, close } = flows();
    map.batchUpdate(Array.from({ length: 10 }, (_, i) => [BigInt(i), [BigInt(i), 1n]] as const));
    const seen: bigint[] = [];
    let r = map.batchLookup({ count: 4 });
    seen.push(...r.keys);
    expect(r.keys).toHaveLength(4);
    expect(r.done).toBe(false);
    while (!r.done) {
      r = map.batchLookup({ cursor: r.cursor, count: 4 });
      seen.push(...r.keys);
      r.keys.forEach((k, i) => expect(r.values[i]).toEqual([k, 1n]));
    }
    expect(seen.sort((a, b) => Number(a - b))).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    const del = map.batchLookup({ andDelete: true, count: 3 });
    expect(del.keys).toHaveLength(3);
    expect([...map.keys()]).toHaveLength(7);
    expect(map.batchDelete([...map.keys()].slice(0, 2))).toBe(2);
    expect([...map.keys()]).toHaveLength(5);
    close();
  });

  it('a batch stops at the first failing entry and keeps what it did (count on the error)', () => {
    const { map, close } = flows();
    map.update(2n, [0n, 0n]);
    let err: unknown;
    try {
      map.batchUpdate([[1n, [1n, 1n]], [2n, [2n, 2n]], [3n, [3n, 3n]]], 'noexist');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MapError);
    expect((err as MapError & { count: number }).count).toBe(1);
    expect((err as MapError).errno).toBe('EEXIST');
    expect(map.lookup(1n)).toEqual([1n, 1n]);
    expect(map.lookup(3n)).toBeUndefined();
    close();
  });

  it('the raw view is byte-level and size-checked', () => {
    const { map, close } = flows();
    map.update(5n, [1n, 2n]);
    const raw = map.raw;
    expect(raw.lookup(u64.encode(5n))).toEqual(val16.encode([1n, 2n]));
    expect(codeOf(() => raw.update(new Uint8Array(3), new Uint8Array(16)))).toBe('EINVAL');
    close();
  });
});

describe('per-CPU maps', () => {
  it('values are arrays of one element per CPU; shorter updates are zero-filled', () => {
    const coll = loadCollectionSpec(fixtureObject('legacy_maps')).load({ stateDir: state.dir });
    const rx = coll.detachPerCpuMap('rxcnt', u32, u64);
    const ncpus = (coll as unknown as { ncpus: number }).ncpus;
    expect(rx.lookup(1)).toEqual(Array(ncpus).fill(0n));
    rx.update(1, [5n]);
    expect(rx.lookup(1)).toEqual([5n, ...Array(ncpus - 1).fill(0n)]);
    expect(codeOf(() => rx.update(1, Array(ncpus + 1).fill(1n)))).toBe('EINVAL');
    // The program increments CPU 0's slot of key 1.
    const prog = coll.detachProgram('xdp_legacy');
    const frame = new Uint8Array(64);
    prog.testRun({ data: frame, repeat: 2 });
    expect(rx.lookup(1)?.[0]).toBe(7n);
    expect(() => coll.detachMap('flows', u64, u64)).toThrow(MapError); // 8-byte codec for a 16-byte value
    prog.close();
    rx.close();
    coll.close();
  });

  it('the per-CPU codec pads each CPU slot to 8 bytes as the kernel copies values', () => {
    const c = perCpuCodec(bytesCodec(3), 2);
    expect(c.size).toBe(16);
    expect(c.encode([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6])])).toEqual(new Uint8Array([1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0]));
    expect(c.decode(new Uint8Array([1, 2, 3, 0, 0, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0]))).toEqual([new Uint8Array([1, 2, 3]), new Uint8Array([4, 5, 6])]);
  });
});

describe('pinning', () => {
  function kernelOnDisk(): Kernel {
    const snap = new StateStore(state.dir).read();
    return Kernel.fromSnapshot((snap.kernel as { core: Parameters<typeof Kernel.fromSnapshot>[0] }).core);
  }

  it('a pinned map survives its handles; unpin frees it', () => {
    const coll = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const map = coll.detachMap('pkt_count', u32, u64);
    map.update(0, 9n);
    map.pin('/sys/fs/bpf/xdptsK_pkt_count');
    expect(map.pinned).toBe('/sys/fs/bpf/xdptsK_pkt_count');
    expect(codeOf2(() => map.pin('/tmp/x'))).toBe('EINVAL');
    coll.close();
    map.close();
    expect(kernelOnDisk().mapList().map((m) => m.name)).toEqual(['pkt_count']);
    // A new load reuses nothing (no pinning attribute), but the pinned map is still there.
    const again = loadCollectionSpec(fixtureObject('counter')).load({ stateDir: state.dir });
    const m2 = again.detachMap('pkt_count', u32, u64);
    expect(m2.lookup(0)).toBe(0n);
    m2.close();
    again.close();
    expect(kernelOnDisk().mapList()).toHaveLength(1);
    const snap = new StateStore(state.dir).read();
    expect((snap.kernel as { xdp: { pins: Record<string, unknown> } }).xdp.pins).toHaveProperty(['/sys/fs/bpf/xdptsK_pkt_count']);
  });

  it('maps with pinning = LIBBPF_PIN_BY_NAME are pinned under pinPath and reused by the next load', () => {
    const spec = loadCollectionSpec(fixtureObject('multi'));
    const a = spec.load({ stateDir: state.dir, pinPath: '/sys/fs/bpf' });
    const src = a.detachMap('src_count', u32, u64);
    src.update(10, 1234n);
    expect(src.pinned).toBe('/sys/fs/bpf/src_count');
    const b = spec.load({ stateDir: state.dir, pinPath: '/sys/fs/bpf' });
    const src2 = b.detachMap('src_count', u32, u64);
    expect(src2.lookup(10)).toBe(1234n);
    expect(() => b.detachProgram('tc_pass')).toThrow(/only XDP/);
    src2.unpin();
    src.close();
    src2.close();
    a.close();
    b.close();
    expect(kernelOnDisk().mapList()).toEqual([]);
    expect(kernelOnDisk().programList()).toEqual([]);
  });
});

function codeOf2(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return 'no error';
}
