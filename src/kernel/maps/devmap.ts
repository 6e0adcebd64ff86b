/**
 * BPF_MAP_TYPE_DEVMAP and BPF_MAP_TYPE_DEVMAP_HASH (kernel/bpf/devmap.c): network devices for
 * bpf_redirect_map. The value is `struct bpf_devmap_val { __u32 ifindex; union { int fd; __u32
 * id; } bpf_prog; }` — 4 bytes (ifindex only) or 8. User space writes a program "fd" (here the
 * program id) of an XDP program with expected attach type BPF_XDP_DEVMAP and reads back its id.
 * The kernel adds BPF_F_RDONLY_PROG to the map flags: programs only read these values.
 */
import { E2BIG, EEXIST, EINVAL, ENOENT } from '../errno';
import { BPF_EXIST, BPF_NOEXIST, BPF_F_RDONLY_PROG } from './flags';
import { BucketOrder } from './buckets';
import { roundupPow2 } from './jhash';
import {
  BpfMap,
  hex,
  keyString,
  readU32,
  snapArray,
  snapInt,
  u32Bytes,
  unhex,
  type BytesOrErrno,
  type MapAttr,
  type MapElem,
  type MapEnv,
} from './map';
import { BPF_XDP_DEVMAP, RedirectSlotMap, progIdOf, progValue } from './redirect-slots';

export { BPF_XDP_CPUMAP, BPF_XDP_DEVMAP } from './redirect-slots';

/** A redirect target a devmap entry designates. */
export interface DevTarget {
  readonly ifindex: number;
  /** Id of the program to run on the frame before transmit (0 = none). */
  readonly progId: number;
}

/** Parses and checks a devmap value: the stored value bytes, or -errno. */
function devValue(env: MapEnv, value: Uint8Array, valueSize: number): Uint8Array | number {
  const ifindex = readU32(value);
  if (env.ifindexExists ? !env.ifindexExists(ifindex) : ifindex === 0) return -EINVAL;
  return progValue(env, value, valueSize, ifindex, BPF_XDP_DEVMAP);
}

function target(v: Uint8Array | undefined, valueSize: number): DevTarget | undefined {
  return v ? { ifindex: readU32(v), progId: progIdOf(v, valueSize) } : undefined;
}

/** BPF_MAP_TYPE_DEVMAP: an array of devices. */
export class DevMap extends RedirectSlotMap {
  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env, 'devmap', 'devmap index');
  }

  /** The device in slot `key`, for bpf_redirect_map. */
  target(key: number): DevTarget | undefined {
    return target(this.slots.get(key), this.valueSize);
  }

  /** Every device present, in key order (for BPF_F_BROADCAST). */
  targets(): DevTarget[] {
    return [...this.slots.keys()].sort((a, b) => a - b).map((k) => this.target(k)!);
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    const index = this.updateIndex(key, flags);
    if (index < 0) return index;
    if (readU32(value) === 0) {
      // ifindex 0 clears the slot; a program fd may not come with it.
      if (this.valueSize >= 8 && (readU32(value, 4) | 0) > 0) return -EINVAL;
      this.slots.delete(index);
      return 0;
    }
    const v = devValue(this.env, value, this.valueSize);
    if (typeof v === 'number') return v;
    this.slots.set(index, v);
    return 0;
  }
}

/**
 * BPF_MAP_TYPE_DEVMAP_HASH: devices under arbitrary u32 keys. Iteration follows the kernel's
 * buckets: roundup_pow_of_two(max_entries) lists indexed by `key & (n - 1)`, newest first.
 */
export class DevMapHash extends BpfMap {
  private readonly table = new Map<string, { key: Uint8Array; value: Uint8Array }>();
  private readonly order: BucketOrder;

  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env, BPF_F_RDONLY_PROG);
    this.order = new BucketOrder(roundupPow2(this.maxEntries));
  }

  private toHead(k: string, key: number): void {
    this.order.addHead(k, key & (this.order.nBuckets - 1));
  }

  get size(): number {
    return this.table.size;
  }

  /** The device under `key`, for bpf_redirect_map. */
  target(key: number): DevTarget | undefined {
    return target(this.table.get(keyString(u32Bytes(key), 4))?.value, this.valueSize);
  }

  /** Every device present, in iteration order (for BPF_F_BROADCAST). */
  targets(): DevTarget[] {
    return [...this.elems()].map((e) => target(e.value, this.valueSize)!);
  }

  override lookupElem(key: Uint8Array): Uint8Array | null {
    return this.table.get(keyString(key, 4))?.value ?? null;
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST || readU32(value) === 0) return -EINVAL;
    const k = keyString(key, 4);
    const old = this.table.get(k);
    if (old && flags & BPF_NOEXIST) return -EEXIST;
    const v = devValue(this.env, value, this.valueSize);
    if (typeof v === 'number') return v;
    if (old) old.value.set(v);
    else {
      if (this.table.size >= this.maxEntries) return -E2BIG;
      this.table.set(k, { key: key.slice(0, 4), value: v });
    }
    this.toHead(k, readU32(key)); // hlist_add_head, also for a replaced device
    return 0;
  }

  override deleteElem(key: Uint8Array): number {
    const k = keyString(key, 4);
    if (!this.table.delete(k)) return -ENOENT;
    this.order.remove(k);
    return 0;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    const next = this.order.next(key ? keyString(key, 4) : undefined);
    return next === undefined ? -ENOENT : this.table.get(next)!.key.slice();
  }

  override *elems(): Iterable<MapElem> {
    for (const k of [...this.order.keys()]) {
      const e = this.table.get(k);
      if (e) yield e;
    }
  }

  protected snapshotData(): unknown {
    return { entries: [...this.order.keys()].map((k) => this.table.get(k)!).map((e) => [readU32(e.key), hex(e.value)]) };
  }

  restoreData(data: unknown): void {
    this.table.clear();
    this.order.clear();
    const entries = snapArray((data as { entries?: unknown })?.entries, 'devmap_hash entries');
    for (const e of [...entries].reverse()) {
      const [k, v] = snapArray(e, 'devmap_hash entry');
      const n = snapInt(k, 'devmap_hash key');
      const key = u32Bytes(n);
      this.table.set(keyString(key, 4), { key, value: unhex(v, this.valueSize, 'devmap_hash value') });
      this.toHead(keyString(key, 4), n);
    }
  }
}
