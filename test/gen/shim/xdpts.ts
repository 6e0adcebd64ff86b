/**
 * A test stand-in for the `xdpts` package root, used only to compile, bundle and import
 * generated bindings before src/index.ts exists. It implements the runtime contract with
 * in-memory hash maps over the codecs' bytes (enough to prove the generated loaders, codecs and
 * close()/dispose wiring work); it loads no programs: testRun refuses with a clear error.
 */
import type {
  BatchCursor, BatchResult, BpfMap, Codec, Collection, CollectionSpec, LoadOptions, PerCpuMap, Program, TestRunResult, UpdateFlag,
} from '../../../src/gen/runtime-contract';

export type * from '../../../src/gen/runtime-contract';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));

/** A map error with an errno-style code, as the real runtime's MapError. */
export class ShimMapError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** Events the shim records, so tests can check what generated code did. */
export const events: string[] = [];

function flagOf(f: UpdateFlag | undefined): number {
  if (f === undefined || f === 'any') return 0;
  if (f === 'noexist') return 1;
  if (f === 'exist') return 2;
  return f;
}

function makeMap<K, V>(name: string, key: Codec<K>, value: Codec<V>, store = new Map<string, Uint8Array>()): BpfMap<K, V> {
  let closed = false;
  const live = (): void => {
    if (closed) throw new ShimMapError('EBADF', `map ${name} is closed`);
  };
  const m: BpfMap<K, V> = {
    name, type: 1, keySize: key.size, valueSize: value.size, maxEntries: Number.MAX_SAFE_INTEGER, flags: 0,
    keyCodec: key, valueCodec: value, pinned: undefined,
    get raw(): BpfMap<Uint8Array, Uint8Array> {
      const bytes: Codec<Uint8Array> = { size: key.size, align: 1, encode: (x) => x.slice(), decode: (b) => b.slice() };
      return makeMap(name, bytes, { ...bytes, size: value.size }, store);
    },
    lookup(k) {
      live();
      const v = store.get(hex(key.encode(k)));
      return v === undefined ? undefined : value.decode(v);
    },
    update(k, v, flags) {
      live();
      const kk = hex(key.encode(k));
      const f = flagOf(flags);
      if (f === 1 && store.has(kk)) throw new ShimMapError('EEXIST', `update ${name}: key exists`);
      if (f === 2 && !store.has(kk)) throw new ShimMapError('ENOENT', `update ${name}: no such key`);
      store.set(kk, value.encode(v));
    },
    delete(k) {
      live();
      if (!store.delete(hex(key.encode(k)))) throw new ShimMapError('ENOENT', `delete ${name}: no such key`);
    },
    lookupAndDelete(k) {
      const v = m.lookup(k);
      if (v !== undefined) m.delete(k);
      return v;
    },
    nextKey(k) {
      const keys = [...store.keys()].sort();
      const i = k === undefined ? 0 : keys.indexOf(hex(key.encode(k))) + 1;
      return i < keys.length ? key.decode(unhex(keys[i]!)) : undefined;
    },
    *keys() {
      for (const k of [...store.keys()].sort()) yield key.decode(unhex(k));
    },
    *values() {
      for (const [, v] of m.entries()) yield v;
    },
    *entries() {
      for (const k of [...store.keys()].sort()) {
        const v = store.get(k);
        if (v !== undefined) yield [key.decode(unhex(k)), value.decode(v)] as [K, V];
      }
    },
    [Symbol.iterator]() {
      return m.entries();
    },
    batchLookup(): BatchResult<K, V> {
      const all = [...m.entries()];
      const cursor: BatchCursor = { position: all.length };
      return { keys: all.map((e) => e[0]), values: all.map((e) => e[1]), cursor, done: true };
    },
    batchUpdate(entries, flags) {
      let n = 0;
      for (const [k, v] of entries) m.update(k, v, flags), n++;
      return n;
    },
    batchDelete(keys) {
      let n = 0;
      for (const k of keys) m.delete(k), n++;
      return n;
    },
    pin() {
      throw new ShimMapError('EOPNOTSUPP', 'the test shim has no bpffs');
    },
    unpin() {
      throw new ShimMapError('EOPNOTSUPP', 'the test shim has no bpffs');
    },
    close() {
      if (!closed) events.push(`close map ${name}`);
      closed = true;
    },
    [Symbol.dispose]() {
      m.close();
    },
  };
  return m;
}

function makeProgram(name: string): Program {
  const p: Program = {
    name, type: 6, section: 'xdp',
    testRun(): TestRunResult {
      throw new Error('testRun needs the real xdpts runtime (src/index.ts); this is the test shim');
    },
    run(): never {
      throw new Error('run needs the real xdpts runtime (src/index.ts); this is the test shim');
    },
    pin() {
      throw new Error('the test shim has no bpffs');
    },
    unpin() {
      throw new Error('the test shim has no bpffs');
    },
    close() {
      events.push(`close program ${name}`);
    },
    [Symbol.dispose]() {
      p.close();
    },
  };
  return p;
}

/** Checks the ELF magic and returns a spec whose load() makes in-memory maps on demand. */
export function loadCollectionSpec(bytes: Uint8Array): CollectionSpec {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Error('not an ELF object');
  }
  const spec: CollectionSpec = {
    byteOrder: bytes[5] === 1 ? 'le' : 'be',
    maps: new Map(),
    programs: new Map(),
    load(_opts?: LoadOptions): Collection {
      events.push('load');
      const coll: Collection = {
        maps: new Map(),
        programs: new Map(),
        detachMap: (name, k, v) => makeMap(name, k, v),
        detachPerCpuMap<K, V>(name: string, k: Codec<K>, v: Codec<V>): PerCpuMap<K, V> {
          const cpus = 2;
          const per: Codec<V[]> = {
            size: v.size * cpus, align: v.align,
            encode: (xs) => {
              const b = new Uint8Array(v.size * cpus);
              xs.forEach((x, i) => b.set(v.encode(x), i * v.size));
              return b;
            },
            decode: (b) => Array.from({ length: cpus }, (_, i) => v.decode(b.subarray(i * v.size, (i + 1) * v.size))),
          };
          return makeMap(name, k, per);
        },
        detachProgram: (name) => makeProgram(name),
        close: () => events.push('close collection'),
        [Symbol.dispose]: () => coll.close(),
      };
      return coll;
    },
  };
  return spec;
}
