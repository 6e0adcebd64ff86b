/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c). Every index in
 * [0, max_entries) always exists (zero-filled), so BPF_NOEXIST fails with EEXIST, delete with
 * EINVAL, and an index past the end with E2BIG on update / ENOENT on lookup.
 *
 * Values are allocated lazily the first time an index is touched and then never move, so a
 * pointer a program got from a lookup stays valid and sees later updates (the kernel returns a
 * pointer into the array's memory).
 */
import { E2BIG, EEXIST, EINVAL, ENOENT } from '../errno';
import { BPF_EXIST, BPF_F_LOCK } from './flags';
import {
  BpfMap,
  hex,
  readU32,
  roundUp8,
  snapArray,
  snapError,
  snapInt,
  u32Bytes,
  unhex,
  type BytesOrErrno,
  type MapElem,
} from './map';

/** get_next_key of every array-like map (array_map_get_next_key): indexes in order. */
export function arrayNextKey(key: Uint8Array | null, maxEntries: number): BytesOrErrno {
  const index = key ? readU32(key) : 0xffffffff;
  if (index >= maxEntries) return u32Bytes(0);
  if (index === maxEntries - 1) return -ENOENT;
  return u32Bytes(index + 1);
}

/** Indexes below this have their value buffer in an array for fast lookups. */
const DENSE_ENTRIES = 1024;

/** BPF_MAP_TYPE_ARRAY: `max_entries` values of `value_size` bytes indexed by a u32 key. */
export class ArrayMap extends BpfMap {
  private readonly values = new Map<number, Uint8Array>();
  /**
   * The values of the first DENSE_ENTRIES indexes once allocated, in a plain array: the hot
   * path of program lookups (the same buffers as in `values`, which stays the full record).
   */
  private readonly dense: (Uint8Array | undefined)[] = [];

  get size(): number {
    return this.maxEntries;
  }

  /**
   * The values of the first indexes once allocated (holes before), by index: what a program's
   * inlined lookup reads (InlineArrayLookup). The same array for the map's whole life.
   */
  get denseValues(): ReadonlyArray<Uint8Array | undefined> {
    return this.dense;
  }

  /** The live value at `index` (allocated on first use); for global data and mmap-like access. */
  valueBuffer(index: number): Uint8Array {
    if (index < DENSE_ENTRIES) {
      const d = this.dense[index];
      if (d !== undefined) return d;
    }
    let v = this.values.get(index);
    if (!v) {
      v = new Uint8Array(this.valueSize);
      this.values.set(index, v);
    }
    if (index < DENSE_ENTRIES) {
      while (this.dense.length <= index) this.dense.push(undefined);
      this.dense[index] = v;
    }
    return v;
  }

  override lookupElem(key: Uint8Array): Uint8Array | null {
    const index = readU32(key);
    return index < this.maxEntries ? this.valueBuffer(index) : null;
  }

  override lookupElemAt(buf: Uint8Array, off: number): Uint8Array | null {
    const index = readU32(buf, off);
    return index < this.maxEntries ? this.valueBuffer(index) : null;
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number): number {
    const index = readU32(key);
    if ((flags & ~BPF_F_LOCK) >>> 0 > BPF_EXIST) return -EINVAL;
    if (index >= this.maxEntries) return -E2BIG;
    if (flags & 1) return -EEXIST; // BPF_NOEXIST: every element exists
    if (!this.lockFlagOk(flags)) return -EINVAL;
    this.copyIn(this.valueBuffer(index), value);
    return 0;
  }

  override deleteElem(): number {
    return -EINVAL;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    return arrayNextKey(key, this.maxEntries);
  }

  override *elems(): Iterable<MapElem> {
    for (let i = 0; i < this.maxEntries; i++) yield { key: u32Bytes(i), value: this.valueBuffer(i) };
  }

  protected snapshotData(): unknown {
    const values: [number, string][] = [];
    for (const [i, v] of [...this.values].sort((a, b) => a[0] - b[0])) if (v.some((x) => x !== 0)) values.push([i, hex(v)]);
    return { values };
  }

  restoreData(data: unknown): void {
    this.values.clear();
    this.dense.length = 0;
    for (const e of snapArray((data as { values?: unknown })?.values, 'array values')) {
      const [i, v] = snapArray(e, 'array entry');
      const index = snapInt(i, 'array index');
      if (index >= this.maxEntries) throw snapError(`array index ${index} out of range`);
      this.valueBuffer(index).set(unhex(v, this.valueSize, `value ${index}`));
    }
  }
}

/**
 * BPF_MAP_TYPE_PERCPU_ARRAY: one value per CPU per index. A program reads and writes its own
 * CPU's value; user space reads and writes all of them at once, each padded to 8 bytes.
 */
export class PercpuArrayMap extends BpfMap {
  private readonly values = new Map<number, Uint8Array[]>();

  override get percpu(): boolean {
    return true;
  }

  get size(): number {
    return this.maxEntries;
  }

  private slot(index: number): Uint8Array[] {
    let v = this.values.get(index);
    if (!v) {
      v = Array.from({ length: this.ncpus }, () => new Uint8Array(this.valueSize));
      this.values.set(index, v);
    }
    return v;
  }

  override lookupElem(key: Uint8Array, cpu: number): Uint8Array | null {
    const index = readU32(key);
    return index < this.maxEntries ? this.slot(index)[cpu] ?? null : null;
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const index = readU32(key);
    if (flags > BPF_EXIST) return -EINVAL; // no BPF_F_LOCK on per-CPU maps
    if (index >= this.maxEntries) return -E2BIG;
    if (flags & 1) return -EEXIST;
    const v = this.slot(index)[cpu];
    if (!v) return -EINVAL;
    v.set(value.subarray(0, this.valueSize));
    return 0;
  }

  override deleteElem(): number {
    return -EINVAL;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    return arrayNextKey(key, this.maxEntries);
  }

  override *elems(cpu: number): Iterable<MapElem> {
    for (let i = 0; i < this.maxEntries; i++) yield { key: u32Bytes(i), value: this.slot(i)[cpu]! };
  }

  /** bpf_percpu_array_copy: every CPU's value at `cpu * round_up(value_size, 8)`. */
  protected override sysLookup(key: Uint8Array): BytesOrErrno {
    const index = readU32(key);
    if (index >= this.maxEntries) return -ENOENT;
    return packPercpu(this.slot(index), this.valueSize);
  }

  /** bpf_percpu_array_update: same checks as a program update, then every CPU's value. */
  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const index = readU32(key);
    if (flags > BPF_EXIST) return -EINVAL;
    if (index >= this.maxEntries) return -E2BIG;
    if (flags & 1) return -EEXIST;
    unpackPercpu(this.slot(index), value, this.valueSize);
    return 0;
  }

  protected snapshotData(): unknown {
    const values: [number, string[]][] = [];
    for (const [i, v] of [...this.values].sort((a, b) => a[0] - b[0]))
      if (v.some((c) => c.some((x) => x !== 0))) values.push([i, v.map(hex)]);
    return { values };
  }

  restoreData(data: unknown): void {
    this.values.clear();
    for (const e of snapArray((data as { values?: unknown })?.values, 'percpu array values')) {
      const [i, v] = snapArray(e, 'percpu array entry');
      const index = snapInt(i, 'array index');
      if (index >= this.maxEntries) throw snapError(`array index ${index} out of range`);
      const cpus = snapArray(v, 'per-CPU values');
      const slot = this.slot(index);
      cpus.forEach((c, n) => {
        if (n < this.ncpus) slot[n]!.set(unhex(c, this.valueSize, `value ${index} cpu ${n}`));
      });
    }
  }
}

/** Packs per-CPU values as the syscall returns them: each at a multiple of round_up(size, 8). */
export function packPercpu(values: readonly Uint8Array[], valueSize: number): Uint8Array {
  const stride = roundUp8(valueSize);
  const out = new Uint8Array(stride * values.length);
  values.forEach((v, cpu) => out.set(v.subarray(0, valueSize), cpu * stride));
  return out;
}

/** Unpacks a user-space per-CPU value blob into each CPU's live value. */
export function unpackPercpu(values: readonly Uint8Array[], blob: Uint8Array, valueSize: number): void {
  const stride = roundUp8(valueSize);
  values.forEach((v, cpu) => v.set(blob.subarray(cpu * stride, cpu * stride + valueSize)));
}
