/**
 * `BpfMap<K, V>`: a typed handle on a live map of the shared emulated kernel, by id. Every call
 * is one state transaction (src/api/host.ts) running the kernel's own map operation, so the
 * errnos are the kernel's (MapError `ENOENT`, `EEXIST`, `E2BIG`, `EINVAL`, `EPERM`...), and
 * what a program in another process wrote is what a lookup here reads.
 */
import type { BatchCursor, BatchResult, BpfMap, Codec, UpdateFlag } from '../gen/runtime-contract';
import { BPF_MAP_TYPE } from '../object/types';
import { type BpfMap as KernelMap, ENOTSUPP, mapErrno } from '../kernel';
import { MapError, XdptsError } from '../util/errors';
import { fromHex, toHex } from '../util/hex';
import { bytesCodec, updateFlagNumber } from './codec';
import { disposeByClose, type MaybeDisposable } from './dispose';
import type { Fd } from './handles';
import type { Host, Txn } from './host';
import type { PinService } from './pins';
import { PerfReader } from './perf';

/** What a map handle knows of its map without asking the kernel (fixed at creation). */
export interface MapInfo {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
}

/** Keys fetched per transaction while iterating (a page of BPF_MAP_GET_NEXT_KEY calls). */
const PAGE = 256;

const T = BPF_MAP_TYPE;
/** Map types whose ops include lookup/update batch (generic_map_*_batch, kernel/bpf/syscall.c). */
const BATCH_LOOKUP_TYPES: ReadonlySet<number> = new Set([T.ARRAY, T.PERCPU_ARRAY, T.HASH, T.PERCPU_HASH, T.LRU_HASH, T.LRU_PERCPU_HASH]);
/** Map types with delete and lookup-and-delete batch (only the hash tables, kernel/bpf/hashtab.c). */
const BATCH_DELETE_TYPES: ReadonlySet<number> = new Set([T.HASH, T.PERCPU_HASH, T.LRU_HASH, T.LRU_PERCPU_HASH]);

function isErrno(e: unknown, code: string): boolean {
  return e instanceof MapError && e.errno === code;
}

/** The cursor position of a batch walk: the hex of the last key returned, null at the start. */
function cursorKey(cursor: BatchCursor | undefined): Uint8Array | undefined {
  if (!cursor) return undefined;
  if (cursor.position === null) return undefined;
  if (typeof cursor.position !== 'string') throw new MapError('EINVAL', 'batch cursor was not made by batchLookup');
  return fromHex(cursor.position);
}

/** A typed map handle; see the contract in src/gen/runtime-contract.ts. */
export class MapHandle<K, V> implements BpfMap<K, V> {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** The map's kernel id (bpftool's `id N`). */
  readonly id: number;

  constructor(
    private readonly host: Host,
    private readonly fd: Fd,
    private readonly pins: PinService,
    info: MapInfo,
    readonly keyCodec: Codec<K>,
    readonly valueCodec: Codec<V>,
    /** Size in bytes of a value as user space exchanges it (per-CPU: every CPU's slot). */
    private readonly sysValueSize: number,
  ) {
    this.id = info.id;
    this.name = info.name;
    this.type = info.type;
    this.keySize = info.keySize;
    this.valueSize = info.valueSize;
    this.maxEntries = info.maxEntries;
    this.flags = info.flags;
    if (keyCodec.size !== info.keySize) throw new MapError('EINVAL', `map ${info.name}: key codec is ${keyCodec.size} bytes, the map's key is ${info.keySize}`);
    if (valueCodec.size !== sysValueSize)
      throw new MapError('EINVAL', `map ${info.name}: value codec is ${valueCodec.size} bytes, the map exchanges ${sysValueSize}`);
  }

  /** The kernel map, or EBADF when this handle is closed, ENOENT when the map was freed. */
  private live(t: Txn): KernelMap {
    if (this.fd.closed) throw new MapError('EBADF', `map ${this.name} (id ${this.id}): the handle is closed`);
    const m = t.kernel.map(this.id);
    if (!m) throw new MapError('ENOENT', `map ${this.name} (id ${this.id}) no longer exists in the emulated kernel (state ${this.host.stateDir})`);
    return m;
  }

  private encodeKey(key: K): Uint8Array {
    const b = this.keyCodec.encode(key);
    if (b.length !== this.keySize) throw new MapError('EINVAL', `map ${this.name}: key encodes to ${b.length} bytes, expected ${this.keySize}`);
    return b;
  }

  private encodeValue(value: V): Uint8Array {
    const b = this.valueCodec.encode(value);
    if (b.length !== this.sysValueSize) throw new MapError('EINVAL', `map ${this.name}: value encodes to ${b.length} bytes, expected ${this.sysValueSize}`);
    return b;
  }

  /**
   * Opens a reader of this PERF_EVENT_ARRAY (cilium/ebpf's perf.NewReader): every CPU's slot
   * gets a ring of `perCPUBuffer` bytes; see {@link PerfReader}.
   */
  perfReader(opts: { perCPUBuffer?: number } = {}): PerfReader {
    return new PerfReader(this.name, (fn) => this.host.write((t) => fn(this.live(t))), opts);
  }

  lookup(key: K): V | undefined {
    const k = this.encodeKey(key);
    const v = this.host.read((t) => {
      try {
        return this.live(t).lookup(k);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return undefined;
        throw e;
      }
    });
    return v === undefined ? undefined : this.valueCodec.decode(v);
  }

  update(key: K, value: V, flags?: UpdateFlag): void {
    const k = this.encodeKey(key);
    const v = this.encodeValue(value);
    const f = updateFlagNumber(flags);
    this.host.write((t) => this.live(t).update(k, v, f));
  }

  delete(key: K): void {
    const k = this.encodeKey(key);
    this.host.write((t) => this.live(t).delete(k));
  }

  lookupAndDelete(key: K): V | undefined {
    const k = this.encodeKey(key);
    // A missing key changes nothing; the write-back is then harmless (the same snapshot).
    const v = this.host.write((t) => {
      try {
        return this.live(t).lookupAndDelete(k);
      } catch (e) {
        if (isErrno(e, 'ENOENT')) return undefined;
        throw e;
      }
    });
    return v === undefined ? undefined : this.valueCodec.decode(v);
  }

  nextKey(key?: K): K | undefined {
    const k = key === undefined ? undefined : this.encodeKey(key);
    const r = this.host.read((t) => nextKeyOrUndefined(this.live(t), k));
    return r === undefined ? undefined : this.keyCodec.decode(r);
  }

  /**
   * Keys in BPF_MAP_GET_NEXT_KEY order, fetched a page per transaction: a key deleted between
   * pages is skipped (the kernel restarts from the first key when the previous one is gone, as
   * cilium's MapIterator notes; a bound of max_entries steps stops a walk that never ends).
   */
  *keys(): IterableIterator<K> {
    for (const [k] of this.walk(false)) yield this.keyCodec.decode(k);
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.walk(true)) yield this.valueCodec.decode(v!);
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [k, v] of this.walk(true)) yield [this.keyCodec.decode(k), this.valueCodec.decode(v!)];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** The NextKey walk in pages; with values, each key's value is read in the same transaction. */
  private *walk(withValues: boolean): Generator<[Uint8Array, Uint8Array | undefined]> {
    let last: Uint8Array | undefined;
    let steps = 0;
    const seen = new Set<string>();
    for (;;) {
      const page = this.host.read((t) => {
        const m = this.live(t);
        const out: [Uint8Array, Uint8Array | undefined][] = [];
        let k = last;
        while (out.length < PAGE) {
          const n = nextKeyOrUndefined(m, k);
          if (n === undefined) break;
          k = n;
          if (!withValues) out.push([n, undefined]);
          else {
            try {
              out.push([n, m.lookup(n)]);
            } catch (e) {
              if (!isErrno(e, 'ENOENT')) throw e;
            }
          }
        }
        return { out, done: out.length < PAGE };
      });
      for (const e of page.out) {
        // A restart after a concurrent delete revisits keys: skip what was already yielded.
        const h = toHex(e[0]);
        if (seen.has(h)) continue;
        seen.add(h);
        if (++steps > this.maxEntries) throw new MapError('E2BIG', `iteration of map ${this.name} did not end after max_entries (${this.maxEntries}) keys`);
        yield e;
      }
      if (page.done || page.out.length === 0) return;
      last = page.out[page.out.length - 1]![0];
    }
  }

  /**
   * BPF_MAP_LOOKUP_BATCH / LOOKUP_AND_DELETE_BATCH (generic_map_lookup_batch semantics): up to
   * `count` entries after the cursor; the end of the map is `done`, not an error (the kernel's
   * ENOENT with a partial result). Map types without batch ops give ENOTSUPP as the kernel does.
   */
  batchLookup(opts: { cursor?: BatchCursor; count?: number; andDelete?: boolean } = {}): BatchResult<K, V> {
    const andDelete = opts.andDelete === true;
    const count = opts.count ?? this.maxEntries;
    if (!Number.isInteger(count) || count < 0) throw new MapError('EINVAL', `batch count ${String(opts.count)} is not a non-negative integer`);
    if (!(andDelete ? BATCH_DELETE_TYPES : BATCH_LOOKUP_TYPES).has(this.type))
      throw mapErrno(ENOTSUPP, `${andDelete ? 'lookup and delete' : 'lookup'} batch of map ${this.name} (id ${this.id})`);
    const from = cursorKey(opts.cursor);
    const r = this.host.run(
      (t) => {
        const m = this.live(t);
        const keys: Uint8Array[] = [];
        const values: Uint8Array[] = [];
        let k = from;
        let done = false;
        while (keys.length < count) {
          const n = nextKeyOrUndefined(m, k);
          if (n === undefined) {
            done = true;
            break;
          }
          k = n;
          try {
            values.push(m.lookup(n));
            keys.push(n);
          } catch (e) {
            if (!isErrno(e, 'ENOENT')) throw e;
          }
        }
        if (!done && nextKeyOrUndefined(m, k) === undefined) done = true;
        if (andDelete) for (const key of keys) m.delete(key);
        return { keys, values, done, last: k };
      },
      { write: andDelete },
    );
    // After deleting, the walk resumes from the first key again (the deleted ones are gone).
    const position = andDelete ? null : r.last === undefined ? null : toHex(r.last);
    return {
      keys: r.keys.map((k) => this.keyCodec.decode(k)),
      values: r.values.map((v) => this.valueCodec.decode(v)),
      cursor: { position },
      done: r.done,
    };
  }

  /**
   * BPF_MAP_UPDATE_BATCH (generic_map_update_batch): entries are written in order until one
   * fails; the ones before stay written, and the error carries how many were (`count`).
   */
  batchUpdate(entries: Iterable<readonly [K, V]>, flags?: UpdateFlag): number {
    if (!BATCH_LOOKUP_TYPES.has(this.type)) throw mapErrno(ENOTSUPP, `update batch of map ${this.name} (id ${this.id})`);
    const f = updateFlagNumber(flags);
    const items = [...entries].map(([k, v]) => [this.encodeKey(k), this.encodeValue(v)] as const);
    return this.partial('update batch', (m, i) => m.update(items[i]![0], items[i]![1], f), items.length);
  }

  /** BPF_MAP_DELETE_BATCH (htab_map_delete_batch): keys are deleted in order until one fails. */
  batchDelete(keys: Iterable<K>): number {
    if (!BATCH_DELETE_TYPES.has(this.type)) throw mapErrno(ENOTSUPP, `delete batch of map ${this.name} (id ${this.id})`);
    const items = [...keys].map((k) => this.encodeKey(k));
    return this.partial('delete batch', (m, i) => m.delete(items[i]!), items.length);
  }

  /** Runs `n` operations in one transaction, keeping the effects of those before a failure. */
  private partial(what: string, op: (m: KernelMap, i: number) => void, n: number): number {
    const r = this.host.write((t) => {
      const m = this.live(t);
      for (let i = 0; i < n; i++) {
        try {
          op(m, i);
        } catch (e) {
          return { done: i, error: e };
        }
      }
      return { done: n, error: undefined };
    });
    if (r.error !== undefined) {
      if (r.error instanceof XdptsError) throw new BatchError(r.error, r.done, what);
      throw r.error;
    }
    return r.done;
  }

  pin(path: string): void {
    if (this.fd.closed) throw new MapError('EBADF', `map ${this.name} (id ${this.id}): the handle is closed`);
    this.pins.pin('map', this.id, path);
  }

  unpin(): void {
    const p = this.pinned;
    if (p !== undefined) this.pins.unpin('map', this.id, p);
  }

  get pinned(): string | undefined {
    return this.pins.pinnedPath('map', this.id);
  }

  get raw(): BpfMap<Uint8Array, Uint8Array> {
    return new MapHandle(this.host, this.fd, this.pins, this, bytesCodec(this.keySize), bytesCodec(this.sysValueSize), this.sysValueSize);
  }

  close(): void {
    this.fd.close();
  }
}

export interface MapHandle<K, V> extends MaybeDisposable {}
disposeByClose(MapHandle);

/** A batch operation stopped at an entry: the kernel's error, and how many entries were done. */
export class BatchError extends MapError {
  /** Entries processed before the failure (the kernel's `attr->batch.count`). */
  readonly count: number;
  constructor(cause: XdptsError, count: number, what: string) {
    super(cause.code, `${what}: stopped after ${count} entries: ${cause.message}`);
    this.name = 'BatchError';
    this.count = count;
  }
}

/** BPF_MAP_GET_NEXT_KEY with ENOENT (the end) as undefined. */
function nextKeyOrUndefined(m: KernelMap, key: Uint8Array | undefined): Uint8Array | undefined {
  try {
    return m.nextKey(key);
  } catch (e) {
    if (isErrno(e, 'ENOENT')) return undefined;
    throw e;
  }
}

/**
 * Opens a reader of a PERF_EVENT_ARRAY map, like cilium/ebpf's `perf.NewReader(map,
 * perCPUBuffer)`: see {@link PerfReader}. The map is any map handle of a loaded collection.
 */
export function newPerfReader(map: BpfMap<unknown, unknown>, perCPUBuffer?: number): PerfReader {
  if (!(map instanceof MapHandle)) throw new MapError('EINVAL', 'newPerfReader takes a map handle of a loaded collection');
  return map.perfReader(perCPUBuffer === undefined ? {} : { perCPUBuffer });
}
