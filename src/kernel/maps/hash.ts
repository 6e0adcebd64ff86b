/**
 * BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c).
 *
 * Semantics mirrored from htab_map_update_elem / check_flags: BPF_NOEXIST on a present key is
 * EEXIST, BPF_EXIST on an absent key is ENOENT, flags above BPF_EXIST (other than BPF_F_LOCK on
 * a value with a spin lock) are EINVAL, inserting into a full map is E2BIG while replacing a
 * present key always works (the kernel keeps spare elements for that). LRU maps never fail for
 * lack of room: they evict.
 *
 * Documented differences from the kernel:
 * - Iteration order (get_next_key, for_each_map_elem) is the kernel's: buckets
 *   (roundup_pow_of_two(max_entries) of them, chosen by jhash of the key) in index order, each
 *   newest first, a replaced element moving to the head of its bucket. The kernel seeds the hash
 *   with a random number unless the map has BPF_F_ZERO_SEED; the emulation always uses seed 0,
 *   so its order is exactly the kernel's for BPF_F_ZERO_SEED maps and one of the possible
 *   orders otherwise.
 * - A replacing update writes the value in place (the kernel swaps in a new element); programs
 *   holding a pointer from an earlier lookup therefore see the new value.
 * - LRU maps use the kernel's own LRU lists (./lru.ts): every update takes a free node first,
 *   which may evict an element even when the update then replaces a present key or fails its
 *   flag check, exactly as htab_lru_map_update_elem does. User-space calls run on CPU 0.
 */
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM } from '../errno';
import { BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_NOEXIST } from './flags';
import { BpfLru, type LruNode, type LruSnapshot } from './lru';
import { BucketOrder } from './buckets';
import { htabMapHash, roundupPow2 } from './jhash';
import { packPercpu, unpackPercpu } from './array';
import {
  BpfMap,
  hex,
  keyString,
  smallKey,
  SMALL_KEY_MAX,
  snapArray,
  snapError,
  unhex,
  type BytesOrErrno,
  type MapAttr,
  type MapElem,
  type MapEnv,
} from './map';

interface Entry {
  readonly key: Uint8Array;
  /** One value, or one per CPU for per-CPU maps. Live buffers, never replaced. */
  readonly values: Uint8Array[];
  /** LRU maps: the element's LRU node. */
  node?: LruNode;
}

/** Options that select the hash map flavour. */
export interface HashKind {
  readonly percpu: boolean;
  readonly lru: boolean;
}

/** A hash map of any of the four flavours. */
export class HashMap extends BpfMap {
  private readonly table = new Map<string, Entry>();
  /**
   * Maps with keys of at most SMALL_KEY_MAX bytes: the same entries keyed by the key as a
   * number (smallKey), so program lookups need no string; kept in step with `table`.
   */
  private readonly small: Map<number, Entry> | undefined;
  /** LRU maps: the kernel's LRU lists over max_entries preallocated nodes. */
  private readonly lru: BpfLru | undefined;
  private readonly isPercpu: boolean;
  /** The kernel's bucket lists, for iteration order. */
  private readonly order: BucketOrder;

  /**
   * The entries by key number (smallKey) of a map that is neither LRU nor per-CPU, where a
   * program lookup is exactly `entries.get(key)?.values[0]`: what inlined lookups read
   * (InlineLookup). The same Map for the map's whole life; undefined for other maps.
   */
  get plainEntries(): ReadonlyMap<number, Entry> | undefined {
    return this.lru === undefined && !this.isPercpu ? this.small : undefined;
  }

  constructor(id: number, attr: MapAttr, env: MapEnv, kind: HashKind) {
    super(id, attr, env);
    this.isPercpu = kind.percpu;
    this.small = this.keySize <= SMALL_KEY_MAX ? new Map() : undefined;
    this.order = new BucketOrder(roundupPow2(this.maxEntries));
    this.lru = kind.lru
      ? new BpfLru(this.maxEntries, env.ncpus, (this.flags & BPF_F_NO_COMMON_LRU) !== 0, (n) => this.delFromHtab(n))
      : undefined;
  }

  /** htab_lru_map_delete_node: the LRU evicts the element using node `n`. */
  private delFromHtab(n: LruNode): boolean {
    const e = this.table.get(n.owner);
    if (!e || e.node !== n) return false;
    this.table.delete(n.owner);
    this.small?.delete(smallKey(e.key, 0, this.keySize));
    this.order.remove(n.owner);
    n.owner = '';
    return true;
  }

  override get percpu(): boolean {
    return this.isPercpu;
  }

  get size(): number {
    return this.table.size;
  }

  private find(key: Uint8Array): Entry | undefined {
    return this.table.get(keyString(key, this.keySize));
  }

  private insert(key: Uint8Array, values: Uint8Array[], node?: LruNode): void {
    const k = keyString(key, this.keySize);
    const e: Entry = { key: key.slice(0, this.keySize), values };
    if (node) {
      node.owner = k;
      e.node = node;
    }
    this.table.set(k, e);
    this.small?.set(smallKey(e.key, 0, this.keySize), e);
    this.toHead(k, e.key);
  }

  /** hlist_add_head into the key's bucket (jhash with seed 0). */
  private toHead(k: string, key: Uint8Array): void {
    this.order.addHead(k, htabMapHash(key, this.keySize, 0) & (this.order.nBuckets - 1));
  }

  /** check_flags of hashtab.c. */
  private static checkFlags(old: Entry | undefined, flags: number): number {
    const f = flags & ~BPF_F_LOCK;
    if (old && f === BPF_NOEXIST) return -EEXIST;
    if (!old && f === BPF_EXIST) return -ENOENT;
    return 0;
  }

  override lookupElem(key: Uint8Array, cpu: number): Uint8Array | null {
    const k = keyString(key, this.keySize);
    const e = this.table.get(k);
    if (!e) return null;
    if (e.node) BpfLru.setRef(e.node); // program lookups mark the element referenced
    return e.values[this.isPercpu ? cpu : 0] ?? null;
  }

  /** The entry of the key at `off` of `buf`, without allocating for small keys. */
  private findAt(buf: Uint8Array, off: number): Entry | undefined {
    if (this.small !== undefined) return this.small.get(smallKey(buf, off, this.keySize));
    return this.table.get(keyString(off === 0 ? buf : buf.subarray(off), this.keySize));
  }

  override lookupElemAt(buf: Uint8Array, off: number, cpu: number): Uint8Array | null {
    const e = this.findAt(buf, off);
    if (e === undefined) return null;
    if (e.node) BpfLru.setRef(e.node);
    return e.values[this.isPercpu ? cpu : 0] ?? null;
  }

  /**
   * The program update path: plain hash maps answer the failures decided before any change
   * (bad flags, BPF_NOEXIST on a present key, BPF_EXIST on an absent one) without allocating;
   * everything else is {@link updateElem}. LRU maps always take their own path (an update
   * takes a free node before looking at the key).
   */
  override updateElemAt(kbuf: Uint8Array, koff: number, vbuf: Uint8Array, voff: number, flags: number, cpu: number): number {
    if (this.lru === undefined && this.small !== undefined) {
      const lockable = !this.isPercpu;
      if ((lockable ? flags & ~BPF_F_LOCK : flags) >>> 0 > BPF_EXIST) return -EINVAL;
      if (!this.lockFlagOk(flags)) return -EINVAL;
      const r = HashMap.checkFlags(this.findAt(kbuf, koff), flags);
      if (r) return r;
    }
    return this.updateElem(kbuf.subarray(koff, koff + this.keySize), vbuf.subarray(voff, voff + this.valueSize), flags, cpu);
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    return this.update1(key, flags, cpu, (e) => {
      if (this.isPercpu) e.values[cpu]?.set(value.subarray(0, this.valueSize));
      else this.copyIn(e.values[0]!, value);
    }, () => {
      if (!this.isPercpu) {
        const v = new Uint8Array(this.valueSize);
        this.copyIn(v, value);
        return [v];
      }
      // pcpu_init_value: the caller's CPU gets the value, the others zeroes.
      return Array.from({ length: this.ncpus }, (_, c) => {
        const v = new Uint8Array(this.valueSize);
        if (c === cpu) v.set(value.subarray(0, this.valueSize));
        return v;
      });
    });
  }

  private update1(key: Uint8Array, flags: number, cpu: number, replace: (e: Entry) => void, fresh: () => Uint8Array[]): number {
    // Per-CPU and LRU maps reject BPF_F_LOCK outright (their values cannot hold a spin lock).
    const lockable = !this.isPercpu && !this.lru;
    if ((lockable ? flags & ~BPF_F_LOCK : flags) >>> 0 > BPF_EXIST) return -EINVAL;
    if (!this.lockFlagOk(flags)) return -EINVAL;
    if (this.lru) return this.lruUpdate(key, flags, cpu, replace, fresh);
    const k = keyString(key, this.keySize);
    const old = this.table.get(k);
    const r = HashMap.checkFlags(old, flags);
    if (r) return r;
    if (old) {
      replace(old);
      // A replacing update links a new element at the bucket head; per-CPU maps and
      // BPF_F_LOCK updates write in place.
      if (!this.isPercpu && !(flags & BPF_F_LOCK)) this.toHead(k, old.key);
      return 0;
    }
    if (this.table.size >= this.maxEntries) return -E2BIG;
    this.insert(key, fresh());
    return 0;
  }

  /**
   * htab_lru_map_update_elem / htab_lru_percpu_map_update_elem: a node is taken before the key
   * is looked at (per-CPU: unless BPF_EXIST), possibly evicting, and given back on failure.
   */
  private lruUpdate(key: Uint8Array, flags: number, cpu: number, replace: (e: Entry) => void, fresh: () => Uint8Array[]): number {
    const lru = this.lru!;
    let node: LruNode | null = null;
    if (!this.isPercpu || flags !== BPF_EXIST) {
      node = lru.popFree(cpu);
      if (!node) return -ENOMEM;
    }
    const k = keyString(key, this.keySize);
    const old = this.table.get(k);
    const r = HashMap.checkFlags(old, flags);
    if (r) {
      if (node) lru.pushFree(node);
      return r;
    }
    if (old) {
      replace(old);
      if (this.isPercpu) {
        BpfLru.setRef(old.node!);
        if (node) lru.pushFree(node);
      } else {
        // The new element (referenced) takes the key; the old one's node goes back.
        const prev = old.node!;
        node!.owner = k;
        BpfLru.setRef(node!);
        old.node = node!;
        lru.pushFree(prev);
        this.toHead(k, old.key);
      }
      return 0;
    }
    this.insert(key, fresh(), node!);
    return 0;
  }

  override deleteElem(key: Uint8Array): number {
    const k = keyString(key, this.keySize);
    const e = this.table.get(k);
    if (!e) return -ENOENT;
    this.table.delete(k);
    this.small?.delete(smallKey(e.key, 0, this.keySize));
    this.order.remove(k);
    if (e.node) this.lru!.pushFree(e.node);
    return 0;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    const next = this.order.next(key ? keyString(key, this.keySize) : undefined);
    return next === undefined ? -ENOENT : this.table.get(next)!.key.slice();
  }

  override *elems(cpu: number): Iterable<MapElem> {
    for (const k of [...this.order.keys()]) {
      const e = this.table.get(k);
      if (e) yield { key: e.key, value: e.values[this.isPercpu ? cpu : 0]! };
    }
  }

  protected override sysLookup(key: Uint8Array, flags: number): BytesOrErrno {
    const e = this.find(key); // user-space lookups do not count as LRU uses
    if (!e) return -ENOENT;
    return this.isPercpu ? packPercpu(e.values, this.valueSize) : this.copyOut(e.values[0]!, flags);
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (!this.isPercpu) return this.updateElem(key, value, flags, 0);
    return this.update1(key, flags, 0, (e) => unpackPercpu(e.values, value, this.valueSize), () => {
      const vs = Array.from({ length: this.ncpus }, () => new Uint8Array(this.valueSize));
      unpackPercpu(vs, value, this.valueSize);
      return vs;
    });
  }

  protected override sysLookupAndDelete(key: Uint8Array, flags: number): BytesOrErrno {
    if (flags & ~BPF_F_LOCK || !this.lockFlagOk(flags)) return -EINVAL;
    const v = this.sysLookup(key, flags);
    if (typeof v === 'number') return v;
    this.deleteElem(key);
    return v;
  }

  protected snapshotData(): unknown {
    // Entries in iteration order; LRU maps also keep their lists.
    const entries = [...this.order.keys()].map((k) => this.table.get(k)!).map((e) => [hex(e.key), this.isPercpu ? e.values.map(hex) : hex(e.values[0]!)]);
    return this.lru ? { entries, lru: this.lru.toSnapshot() } : { entries };
  }

  restoreData(data: unknown): void {
    this.table.clear();
    this.small?.clear();
    this.order.clear();
    const d = data as { entries?: unknown; lru?: unknown } | null;
    const entries = snapArray(d?.entries, 'hash entries');
    if (entries.length > this.maxEntries) throw snapError(`${entries.length} entries in a map of ${this.maxEntries}`);
    // Entries are in table order: re-adding them last to first rebuilds each bucket's order.
    for (const e of [...entries].reverse()) {
      const [k, v] = snapArray(e, 'hash entry');
      const key = unhex(k, this.keySize, 'hash key');
      const values = this.isPercpu
        ? snapArray(v, 'per-CPU values').slice(0, this.ncpus).map((x, c) => unhex(x, this.valueSize, `value cpu ${c}`))
        : [unhex(v, this.valueSize, 'hash value')];
      while (values.length < (this.isPercpu ? this.ncpus : 1)) values.push(new Uint8Array(this.valueSize));
      this.insert(key, values);
    }
    if (!this.lru) return;
    // The LRU lists come back as they were; a snapshot without them re-takes a node per entry.
    if (d?.lru !== undefined && this.lru.restore(d.lru as LruSnapshot)) {
      for (const n of this.lru.nodes) {
        if (!n.owner) continue;
        const e = this.table.get(n.owner);
        if (!e) throw snapError('LRU node of a missing entry');
        e.node = n;
      }
      if ([...this.table.values()].some((e) => !e.node)) throw snapError('hash entry without an LRU node');
      return;
    }
    if (d?.lru !== undefined) throw snapError('LRU lists do not fit the map');
    for (const [k, e] of this.table) {
      const n = this.lru.popFree(0);
      if (!n) throw snapError('more entries than LRU nodes');
      n.owner = k;
      e.node = n;
    }
  }
}
