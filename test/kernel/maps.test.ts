/**
 * Map behaviour the recorded scenarios do not reach: the kernel-side (program) operations,
 * stable value buffers, per-CPU program writes, LRU recency, spin-lock updates, LPM order, ring
 * buffer wrap-around, fd-holding maps with programs and devices, and snapshot round trips of
 * every type.
 */
import { describe, expect, it } from 'vitest';
import { BPF_MAP_TYPE as T } from '../../src/object/types';
import { MapError, XdptsError } from '../../src/util/errors';
import {
  BPF_F_LOCK, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_EXIST, BPF_NOEXIST, MapTable, createMap, mapFromSnapshot,
  type BpfMap, type MapEnv, type RingBufMap, type DevMap, type ProgArrayMap, type CpuMap, type MapAttr,
} from '../../src/kernel/maps';

const env: MapEnv = { ncpus: 2, ifindexExists: (i) => i > 0 && i < 10, progInfo: (id) => (id === 5 ? { type: 6, expectedAttachType: 33 } : id === 6 ? { type: 6, expectedAttachType: 35 } : id === 7 ? { type: 3, expectedAttachType: 0 } : undefined) };
const u32 = (v: number) => Uint8Array.of(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
const u64 = (v: number) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; };
const mk = (attr: MapAttr) => createMap(1, attr, env);
const errno = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof MapError) return e.errno;
    throw e;
  }
  return 'OK';
};

describe('kernel-side map operations', () => {
  it('array lookups return the live value; updates land in the same buffer', () => {
    const m = mk({ type: T.ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const v = m.lookupElem(u32(1), 0)!;
    m.update(u32(1), u64(77));
    expect(v[0]).toBe(77);
    v[1] = 1;
    expect([...m.lookup(u32(1))]).toEqual([77, 1, 0, 0, 0, 0, 0, 0]);
    expect(m.lookupElem(u32(4), 0)).toBeNull();
  });

  it('hash updates keep the value buffer a program holds', () => {
    const m = mk({ type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    m.update(u32(1), u64(1));
    const v = m.lookupElem(u32(1), 0)!;
    expect(m.updateElem(u32(1), u64(2), BPF_EXIST, 0)).toBe(0);
    expect(v[0]).toBe(2);
    expect(m.updateElem(u32(1), u64(3), BPF_NOEXIST, 0)).toBe(-17);
    expect(m.deleteElem(u32(1))).toBe(0);
    expect(m.deleteElem(u32(1))).toBe(-2);
  });

  it('per-CPU hash: a program insert zeroes the other CPUs, an update touches only its CPU', () => {
    const m = mk({ type: T.PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
    expect(m.updateElem(u32(1), u32(0xaa), 0, 1)).toBe(0);
    expect([...m.lookup(u32(1))]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0xaa, 0, 0, 0, 0, 0, 0, 0]);
    m.updateElem(u32(1), u32(0xbb), 0, 0);
    expect([...m.lookup(u32(1))].slice(0, 9)).toEqual([0xbb, 0, 0, 0, 0, 0, 0, 0, 0xaa]);
    expect(m.lookupElem(u32(1), 1)![0]).toBe(0xaa);
    expect(m.sysValueSize).toBe(16);
  });

  it('LRU: a program lookup makes a key recent, a user lookup does not', () => {
    const m = mk({ type: T.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 3 });
    for (const k of [1, 2, 3]) m.update(u32(k), u64(k));
    m.lookupElem(u32(1), 0); // program use: 1 is now the most recent
    m.lookup(u32(2)); // user lookup: no effect
    m.update(u32(4), u64(4)); // evicts 2
    expect(errno(() => m.lookup(u32(2)))).toBe('ENOENT');
    expect(m.size).toBe(3);
    m.update(u32(5), u64(5)); // evicts 3
    expect([...m.keys()].map((k) => k[0]).sort()).toEqual([1, 4, 5]);
  });

  it('BPF_F_LOCK needs a spin lock in the value; the lock bytes are never copied', () => {
    const plain = mk({ type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 4 });
    expect(errno(() => plain.update(u32(1), u64(1), BPF_F_LOCK))).toBe('EINVAL');
    const m = mk({ type: T.HASH, keySize: 4, valueSize: 8, maxEntries: 4, spinLockOff: 0 });
    m.update(u32(1), Uint8Array.of(9, 9, 9, 9, 1, 2, 3, 4), BPF_F_LOCK);
    expect([...m.lookup(u32(1), BPF_F_LOCK)]).toEqual([0, 0, 0, 0, 1, 2, 3, 4]);
    expect(errno(() => mk({ type: T.PERCPU_HASH, keySize: 4, valueSize: 8, maxEntries: 4, spinLockOff: 0 }))).toBe('EOPNOTSUPP');
  });

  it('queue and stack from the kernel side', () => {
    const s = mk({ type: T.STACK, keySize: 0, valueSize: 4, maxEntries: 2 });
    expect(s.pushElem(u32(1), 0)).toBe(0);
    expect(s.pushElem(u32(2), 0)).toBe(0);
    expect(s.pushElem(u32(3), 0)).toBe(-7);
    expect(s.pushElem(u32(3), BPF_EXIST)).toBe(0);
    expect([...(s.peekElem() as Uint8Array)]).toEqual([3, 0, 0, 0]);
    expect((s.popElem() as Uint8Array)[0]).toBe(3);
    expect((s.popElem() as Uint8Array)[0]).toBe(2);
    expect(s.popElem()).toBe(-2);
    expect(s.lookupElem(new Uint8Array(0), 0)).toBeNull();
  });
});

describe('LPM trie', () => {
  const key = (plen: number, ...a: number[]) => Uint8Array.of(plen, 0, 0, 0, ...a);
  it('matches the longest prefix and walks in post-order (more specific first)', () => {
    const m = mk({ type: T.LPM_TRIE, keySize: 8, valueSize: 1, maxEntries: 16, flags: BPF_F_NO_PREALLOC });
    const add = (plen: number, a: number[], v: number) => m.update(key(plen, ...a), Uint8Array.of(v));
    add(16, [192, 168, 0, 0], 1);
    add(24, [192, 168, 0, 0], 2);
    add(24, [192, 168, 1, 0], 3);
    add(24, [192, 168, 128, 0], 4);
    add(0, [0, 0, 0, 0], 9);
    expect(m.lookup(key(32, 192, 168, 1, 7))[0]).toBe(3);
    expect(m.lookup(key(32, 192, 168, 77, 7))[0]).toBe(1);
    expect(m.lookup(key(32, 8, 8, 8, 8))[0]).toBe(9);
    // The kernel's documented order for this trie (kernel/bpf/lpm_trie.c, trie_get_next_key).
    expect([...m.keys()].map((k) => `${k.slice(4).join('.')}/${k[0]}`)).toEqual([
      '192.168.0.0/24', '192.168.1.0/24', '192.168.128.0/24', '192.168.0.0/16', '0.0.0.0/0',
    ]);
    m.delete(key(16, 192, 168, 0, 0));
    expect(m.lookup(key(32, 192, 168, 77, 7))[0]).toBe(9);
    expect(m.size).toBe(4);
  });

  it('restores the same order from a snapshot', () => {
    const m = mk({ type: T.LPM_TRIE, keySize: 8, valueSize: 1, maxEntries: 64, flags: BPF_F_NO_PREALLOC });
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 40; i++) m.updateElem(key(8 + (rnd() % 25), rnd(), rnd(), rnd(), rnd()), Uint8Array.of(i), 0, 0);
    const back = mapFromSnapshot(JSON.parse(JSON.stringify(m.toSnapshot())), env);
    expect([...back.keys()]).toEqual([...m.keys()]);
  });
});

describe('ring buffer', () => {
  it('wraps records through the double mapping and refuses when full', () => {
    const rb = mk({ type: T.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
    const fill = (n: number, b: number) => new Uint8Array(n).fill(b);
    expect(rb.output(fill(3000, 1))).toBe(true); // 3008 bytes used
    expect(rb.output(fill(2000, 2))).toBe(false); // would pass the consumer
    expect(rb.consume().map((r) => r.length)).toEqual([3000]);
    expect(rb.output(fill(2000, 2))).toBe(true); // starts at 3008, wraps
    expect(rb.query(3)).toBe(3008 + 2008); // producer position
    const [rec] = rb.consume();
    expect(rec!.length).toBe(2000);
    expect(rec!.every((x) => x === 2)).toBe(true);
    expect(rb.reserve(4096)).toBeNull(); // larger than the ring
    const s = rb.reserve(8)!;
    expect(rb.output(fill(8, 3))).toBe(true); // behind a busy record
    expect(rb.consume()).toEqual([]); // the busy record blocks the consumer
    rb.commit(s, false);
    expect(rb.consume().length).toBe(2);
    expect(errno(() => rb.lookup())).toBe('ENOTSUPP');
  });
});

describe('maps holding programs, devices and CPUs', () => {
  it('prog array: ids of programs, owner type enforced', () => {
    const m = mk({ type: T.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }) as ProgArrayMap;
    m.update(u32(0), u32(5));
    expect(errno(() => m.update(u32(1), u32(7)))).toBe('EINVAL'); // other program type
    expect([...m.lookup(u32(0))]).toEqual([5, 0, 0, 0]);
    expect(m.progAt(0)).toBe(5);
  });

  it('devmap: device must exist, program must be a devmap program; flags gain RDONLY_PROG', () => {
    const m = mk({ type: T.DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 }) as DevMap;
    expect(m.flags & BPF_F_RDONLY_PROG).toBeTruthy();
    m.update(u32(0), Uint8Array.of(3, 0, 0, 0, 5, 0, 0, 0));
    expect(m.target(0)).toEqual({ ifindex: 3, progId: 5 });
    expect(errno(() => m.update(u32(1), Uint8Array.of(3, 0, 0, 0, 6, 0, 0, 0)))).toBe('EINVAL');
    expect(errno(() => m.update(u32(1), Uint8Array.of(30, 0, 0, 0, 0, 0, 0, 0)))).toBe('EINVAL');
  });

  it('cpumap: qsize and cpumap programs', () => {
    const m = mk({ type: T.CPUMAP, keySize: 4, valueSize: 8, maxEntries: 2 }) as CpuMap;
    m.update(u32(1), Uint8Array.of(0, 1, 0, 0, 6, 0, 0, 0));
    expect(m.target(1)).toEqual({ cpu: 1, qsize: 256, progId: 6 });
  });
});

describe('snapshots', () => {
  const all: [string, MapAttr, (m: BpfMap) => void][] = [
    ['array', { type: T.ARRAY, keySize: 4, valueSize: 6, maxEntries: 3 }, (m) => m.update(u32(2), Uint8Array.of(1, 2, 3, 4, 5, 6))],
    ['percpu_array', { type: T.PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 }, (m) => m.update(u32(1), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0))],
    ['hash', { type: T.HASH, keySize: 2, valueSize: 1, maxEntries: 3, name: 'h' }, (m) => { m.update(Uint8Array.of(1, 2), Uint8Array.of(3)); m.update(Uint8Array.of(0, 2), Uint8Array.of(4)); }],
    ['lru_percpu_hash', { type: T.LRU_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 2 }, (m) => { m.update(u32(1), new Uint8Array(16).fill(1)); m.update(u32(2), new Uint8Array(16).fill(2)); m.lookupElem(u32(1), 0); }],
    ['lpm', { type: T.LPM_TRIE, keySize: 5, valueSize: 2, maxEntries: 3, flags: BPF_F_NO_PREALLOC }, (m) => m.update(Uint8Array.of(4, 0, 0, 0, 0xa0), Uint8Array.of(7, 7))],
    ['prog_array', { type: T.PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 }, (m) => m.update(u32(1), u32(5))],
    ['devmap', { type: T.DEVMAP, keySize: 4, valueSize: 4, maxEntries: 3 }, (m) => m.update(u32(1), u32(2))],
    ['devmap_hash', { type: T.DEVMAP_HASH, keySize: 4, valueSize: 8, maxEntries: 3 }, (m) => m.update(u32(100), Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0))],
    ['cpumap', { type: T.CPUMAP, keySize: 4, valueSize: 4, maxEntries: 2 }, (m) => m.update(u32(1), u32(64))],
    ['xskmap', { type: T.XSKMAP, keySize: 4, valueSize: 4, maxEntries: 2 }, () => {}],
    ['ringbuf', { type: T.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 }, (m) => { (m as RingBufMap).output(Uint8Array.of(1, 2, 3)); (m as RingBufMap).output(Uint8Array.of(4)); (m as RingBufMap).consume(1); }],
    ['queue', { type: T.QUEUE, keySize: 0, valueSize: 2, maxEntries: 3 }, (m) => { m.update(undefined, Uint8Array.of(1, 1)); m.update(undefined, Uint8Array.of(2, 2)); }],
    ['stack', { type: T.STACK, keySize: 0, valueSize: 2, maxEntries: 3 }, (m) => { m.update(undefined, Uint8Array.of(1, 1)); m.update(undefined, Uint8Array.of(2, 2)); }],
  ];
  for (const [name, attr, fill] of all) {
    it(`${name} round-trips through JSON`, () => {
      const m = mk(attr);
      fill(m);
      if (name === 'array') m.freeze();
      const snap = JSON.parse(JSON.stringify(m.toSnapshot()));
      const back = mapFromSnapshot(snap, env);
      expect(back.toSnapshot()).toEqual(m.toSnapshot());
      expect([...back.entries()]).toEqual([...m.entries()]);
      expect(back.frozen).toBe(m.frozen);
    });
  }

  it('an LRU map restored mid-sequence evicts exactly like the original from then on', () => {
    for (const [type, flags] of [[T.LRU_HASH, 0], [T.LRU_HASH, 2], [T.LRU_PERCPU_HASH, 0], [T.LRU_PERCPU_HASH, 2]] as const) {
      const a = mk({ type, keySize: 4, valueSize: 8, maxEntries: 6, flags });
      let seed = 3;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16;
      const step = (m: BpfMap, r: number, cpu: number) => {
        const k = u32(r % 9);
        if (r % 5 === 0) return m.deleteElem(k);
        if (r % 7 === 0) return m.lookupElem(k, cpu) ? 1 : 0;
        return m.updateElem(k, u64(r), 0, cpu);
      };
      for (let i = 0; i < 200; i++) step(a, rnd(), rnd() % 2);
      const b = mapFromSnapshot(JSON.parse(JSON.stringify(a.toSnapshot())), env);
      for (let i = 0; i < 300; i++) {
        const r = rnd();
        const cpu = rnd() % 2;
        expect(step(b, r, cpu)).toBe(step(a, r, cpu));
      }
      expect([...b.entries()]).toEqual([...a.entries()]);
    }
  });

  it('NO_COMMON_LRU rounds max_entries up to a multiple of the CPU count', () => {
    expect(mk({ type: T.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 5, flags: 2 }).maxEntries).toBe(6);
  });

  it('a table keeps ids and hands out the next one after a restore', () => {
    const t = new MapTable(env);
    t.create({ type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'a' });
    const b = t.create({ type: T.HASH, keySize: 4, valueSize: 4, maxEntries: 1, name: 'b' });
    t.remove(1);
    const back = MapTable.fromSnapshot(JSON.parse(JSON.stringify(t.toSnapshot())), env);
    expect(back.list().map((m) => [m.id, m.name])).toEqual([[b.id, 'b']]);
    expect(back.create({ type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).id).toBe(3);
  });

  it('a corrupt snapshot is an XdptsError, not a host exception', () => {
    const m = mk({ type: T.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    const s = m.toSnapshot();
    for (const data of [null, { entries: 'x' }, { entries: [['zz', '00000000']] }, { entries: [['00', '00000000']] }, { entries: [1, 2, 3] }]) {
      expect(() => mapFromSnapshot({ ...s, data }, env)).toThrow(XdptsError);
    }
    expect(() => mapFromSnapshot({ ...s, ncpus: 4 }, env)).toThrow(/CPUs/);
  });
});

describe('user-space API checks', () => {
  it('wrong key or value sizes and out-of-range flags are EINVAL', () => {
    const m = mk({ type: T.HASH, keySize: 4, valueSize: 4, maxEntries: 2 });
    expect(errno(() => m.update(Uint8Array.of(1), u32(1)))).toBe('EINVAL');
    expect(errno(() => m.update(u32(1), u64(1)))).toBe('EINVAL');
    expect(errno(() => m.update(u32(1), u32(1), 2 ** 32))).toBe('EINVAL');
    expect(errno(() => m.lookup(u32(1), 1))).toBe('EINVAL');
  });

  it('an unemulated kernel map type says so', () => {
    expect(() => mk({ type: T.CGROUP_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 })).toThrow(/not emulated/);
  });

  it('map names follow bpf_obj_name_cpy', () => {
    expect(errno(() => mk({ type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'a'.repeat(16) }))).toBe('EINVAL');
    expect(errno(() => mk({ type: T.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'a'.repeat(15) }))).toBe('OK');
  });
});
