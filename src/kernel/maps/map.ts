/**
 * The base of every emulated BPF map: identity (id, name, type, sizes, flags), the kernel-side
 * operations a program reaches through helpers (they return `-errno` or null and never throw),
 * and the bpf(2)-side operations user space calls (they throw {@link MapError} with the errno the
 * real syscall gives, as measured against Linux 6.18).
 *
 * The emulated machine is x86_64: little-endian, so u32 keys (array index, ifindex, cpu) and the
 * LPM prefix length are read little-endian.
 */
import { XdptsError, type MapError } from '../../util';
import { toHex } from '../../util';
import { mapTypeName } from '../../object';
import { EINVAL, ENOENT, ENOTSUPP, EPERM, mapErrno } from '../errno';
import { BPF_ANY, BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY } from './flags';

/** The attributes of BPF_MAP_CREATE that the emulated kernel honours. */
export interface MapAttr {
  /** `enum bpf_map_type` value (BPF_MAP_TYPE.HASH...). */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** `map_flags` (BPF_F_NO_PREALLOC...); 0 when absent. */
  readonly flags?: number;
  /** Map name, at most 15 characters of `[A-Za-z0-9_.]` (BPF_OBJ_NAME_LEN - 1). */
  readonly name?: string;
  /**
   * Byte offset of a `struct bpf_spin_lock` in the value (found in the value's BTF by the
   * loader); undefined when the value has none. BPF_F_LOCK updates need it.
   */
  readonly spinLockOff?: number;
  /** `map_extra` (bloom filter: the number of hash functions in its low 4 bits). */
  readonly mapExtra?: number;
  /** BTF ids of key and value, informational (bpftool shows them). */
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  /**
   * ARRAY_OF_MAPS / HASH_OF_MAPS: the id of the map whose shape every inner map must have
   * (`inner_map_fd`; in the emulation a map "fd" is its id).
   */
  readonly innerMapId?: number;
  /** The inner map template itself (a snapshot restores it; creation derives it from innerMapId). */
  readonly innerMeta?: InnerMapMeta;
}

/** A map-in-map's inner map template (`inner_map_meta`, bpf_map_meta_alloc). */
export interface InnerMapMeta {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly spinLockOff?: number;
}

/** Facts about a program the fd-holding maps (prog array, devmap, cpumap) check at update. */
export interface ProgInfo {
  readonly type: number;
  readonly expectedAttachType: number;
}

/**
 * What a map may ask of the rest of the emulated kernel. In the emulation a "file descriptor"
 * stored into a PROG_ARRAY / DEVMAP / CPUMAP value is the program's id (there are no fds).
 */
export interface MapEnv {
  /** Number of possible CPUs: per-CPU maps hold this many values. */
  readonly ncpus: number;
  /** Whether a network device with this ifindex exists; absent means every ifindex > 0 exists. */
  ifindexExists?(ifindex: number): boolean;
  /** The program with this id, or undefined (the syscall then fails with EBADF). */
  progInfo?(id: number): ProgInfo | undefined;
  /** Whether an AF_XDP socket with this fd exists; absent means none does (EBADF). */
  xskExists?(fd: number): boolean;
  /** The live map with this id (map-in-map updates); absent means none exists (EBADF). */
  map?(id: number): BpfMap | undefined;
}

/** The plain-data form of a map, JSON-compatible: bytes as lower-case hex. */
export interface MapSnapshot {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly ncpus: number;
  readonly frozen: boolean;
  readonly spinLockOff?: number;
  readonly mapExtra?: number;
  readonly btfKeyTypeId?: number;
  readonly btfValueTypeId?: number;
  readonly innerMeta?: InnerMapMeta;
  /** Type-specific contents (entries, ring positions...). */
  readonly data: unknown;
}

/** A live map entry handed to `for_each_map_elem` callbacks: live key and value buffers. */
export interface MapElem {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** Rounds up to a multiple of 8, as `round_up(value_size, 8)` does for per-CPU values. */
export function roundUp8(n: number): number {
  return (n + 7) & ~7;
}

/** Reads a little-endian u32 at `off` of `b`. */
export function readU32(b: Uint8Array, off = 0): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}

/** Writes a little-endian u32 at `off` of `b`. */
export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** A little-endian u32 as 4 bytes. */
export function u32Bytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  writeU32(b, 0, v);
  return b;
}

/**
 * A key of at most {@link SMALL_KEY_MAX} bytes as a number: its bytes little-endian (exact,
 * below 2^48), so maps with small keys index a numeric Map instead of building a string.
 */
export function smallKey(b: Uint8Array, off: number, len: number): number {
  // The common key sizes without a loop (same value: the little-endian number of the bytes).
  if (len === 4) return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
  if (len === 2) return b[off]! | (b[off + 1]! << 8);
  let v = 0;
  for (let i = len - 1; i >= 0; i--) v = v * 256 + b[off + i]!;
  return v;
}

/** Largest key size {@link smallKey} handles exactly. */
export const SMALL_KEY_MAX = 6;

/** A key as a Map key: one char per byte (cheaper than hex on the hot path). */
export function keyString(key: Uint8Array, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(key[i]!);
  return s;
}

/** Result of a kernel-side op that yields bytes: the bytes, or a negative errno. */
export type BytesOrErrno = Uint8Array | number;

/**
 * An emulated BPF map. Subclasses implement the kernel-side operations (`lookupElem`,
 * `updateElem`, ... — the `map_ops` of the kernel) and the per-type parts of the syscall side.
 */
export abstract class BpfMap {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** `map_flags` as the kernel stores them (devmap/cpumap add BPF_F_RDONLY_PROG themselves). */
  readonly flags: number;
  readonly ncpus: number;
  readonly spinLockOff: number | undefined;
  readonly mapExtra: number;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  /** Map-in-map types: the inner map template; undefined for every other map. */
  readonly innerMeta: InnerMapMeta | undefined;
  protected readonly env: MapEnv;
  /** Set by BPF_MAP_FREEZE: user space may no longer write (programs still may). */
  frozen = false;

  constructor(id: number, attr: MapAttr, env: MapEnv, extraFlags = 0) {
    this.id = id;
    this.name = attr.name ?? '';
    this.type = attr.type;
    this.keySize = attr.keySize;
    this.valueSize = attr.valueSize;
    this.maxEntries = attr.maxEntries;
    this.flags = ((attr.flags ?? 0) | extraFlags) >>> 0;
    this.ncpus = env.ncpus;
    this.spinLockOff = attr.spinLockOff;
    this.mapExtra = attr.mapExtra ?? 0;
    this.btfKeyTypeId = attr.btfKeyTypeId ?? 0;
    this.btfValueTypeId = attr.btfValueTypeId ?? 0;
    this.innerMeta = attr.innerMeta;
    this.env = env;
  }

  /** The bpftool name of the type (`hash`, `lru_percpu_hash`...). */
  get typeName(): string {
    return mapTypeName(this.type);
  }

  /** True for per-CPU maps: user space sees `round_up(value_size, 8) * ncpus` bytes. */
  get percpu(): boolean {
    return false;
  }

  /** Size of a value as bpf(2) lookups and updates carry it (per-CPU maps: all CPUs). */
  get sysValueSize(): number {
    return this.percpu ? roundUp8(this.valueSize) * this.ncpus : this.valueSize;
  }

  /** Number of entries present (for `bpftool map show`-like summaries and tests). */
  abstract get size(): number;

  // ---- kernel side (helpers). Never throws; -errno or null on failure. ----

  /**
   * `map_lookup_elem` as a program sees it: the live value buffer (for per-CPU maps, CPU
   * `cpu`'s), so the program's writes land in the map; null when absent.
   */
  lookupElem(_key: Uint8Array, _cpu: number): Uint8Array | null {
    return null;
  }

  /**
   * {@link lookupElem} with the key given as `keySize` bytes at `off` of `buf` (the helpers'
   * allocation-free path: guest memory is passed without a view). Same result.
   */
  lookupElemAt(buf: Uint8Array, off: number, cpu: number): Uint8Array | null {
    return this.lookupElem(buf.subarray(off, off + this.keySize), cpu);
  }

  /**
   * {@link updateElem} with the key at `koff` of `kbuf` and the value at `voff` of `vbuf` (the
   * helpers' path; maps override it to avoid allocating when they can). Same result.
   */
  updateElemAt(kbuf: Uint8Array, koff: number, vbuf: Uint8Array, voff: number, flags: number, cpu: number): number {
    return this.updateElem(kbuf.subarray(koff, koff + this.keySize), vbuf.subarray(voff, voff + this.valueSize), flags, cpu);
  }

  /** `map_update_elem` from a program: 0 or -errno. Per-CPU maps write CPU `cpu`'s value only. */
  updateElem(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number {
    return -ENOTSUPP;
  }

  /** `map_delete_elem`: 0 or -errno. */
  deleteElem(_key: Uint8Array): number {
    return -ENOTSUPP;
  }

  /** `map_get_next_key`: the key after `key` (the first when null or absent), or -errno. */
  getNextKey(_key: Uint8Array | null): BytesOrErrno {
    return -ENOTSUPP;
  }

  /** `map_push_elem` (queue/stack): 0 or -errno. */
  pushElem(_value: Uint8Array, _flags: number): number {
    return -ENOTSUPP;
  }

  /** `map_pop_elem` (queue/stack): a copy of the value or -errno. */
  popElem(): BytesOrErrno {
    return -ENOTSUPP;
  }

  /** `map_peek_elem` (queue/stack): a copy of the value or -errno. */
  peekElem(): BytesOrErrno {
    return -ENOTSUPP;
  }

  /**
   * The elements `bpf_for_each_map_elem` visits, in the map's iteration order, with live
   * buffers (per-CPU maps: CPU `cpu`'s value). Empty for maps the helper does not support.
   */
  *elems(_cpu: number): Iterable<MapElem> {}

  // ---- syscall side, per type. -errno on failure. ----

  /** BPF_MAP_LOOKUP_ELEM's copy of the value (`sysValueSize` bytes) or -errno. */
  protected sysLookup(key: Uint8Array, flags: number): BytesOrErrno {
    const v = this.lookupElem(key, 0);
    return v ? this.copyOut(v, flags) : -ENOENT;
  }

  /** BPF_MAP_UPDATE_ELEM with a `sysValueSize` value: 0 or -errno. */
  protected sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.updateElem(key, value, flags, 0);
  }

  /** BPF_MAP_DELETE_ELEM: 0 or -errno. */
  protected sysDelete(key: Uint8Array): number {
    return this.deleteElem(key);
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM: the value or -errno (ENOTSUPP for most types). */
  protected sysLookupAndDelete(_key: Uint8Array, _flags: number): BytesOrErrno {
    return -ENOTSUPP;
  }

  /**
   * Copies a value out for user space. Special fields are not copied (`copy_map_value` skips
   * them and `check_and_init_map_value` zeroes them): a spin lock reads as zero.
   */
  protected copyOut(v: Uint8Array, _flags: number): Uint8Array {
    const out = v.slice(0, this.valueSize);
    if (this.spinLockOff !== undefined) out.fill(0, this.spinLockOff, this.spinLockOff + 4);
    return out;
  }

  /**
   * Copies `src` into the live value `dst` the way `copy_map_value` does: everything except the
   * spin lock (whose bytes belong to the kernel).
   */
  protected copyIn(dst: Uint8Array, src: Uint8Array, srcOff = 0): void {
    const n = this.valueSize;
    const lock = this.spinLockOff;
    if (lock === undefined) {
      dst.set(src.subarray(srcOff, srcOff + n));
      return;
    }
    dst.set(src.subarray(srcOff, srcOff + lock), 0);
    dst.set(src.subarray(srcOff + lock + 4, srcOff + n), lock + 4);
  }

  /** The BPF_F_LOCK rule shared by every update path: the value must hold a bpf_spin_lock. */
  protected lockFlagOk(flags: number): boolean {
    return (flags & BPF_F_LOCK) === 0 || this.spinLockOff !== undefined;
  }

  // ---- user-space API (bpf(2) semantics, throws MapError) ----

  private checkKey(key: Uint8Array | undefined, what: string): Uint8Array {
    const k = key ?? new Uint8Array(0);
    if (k.length !== this.keySize)
      throw mapErrno(EINVAL, `${what} ${this.label()}: key is ${k.length} bytes, map key_size is ${this.keySize}`);
    return k;
  }

  private fail(r: number, what: string): MapError {
    return mapErrno(r, `${what} ${this.label()}`);
  }

  /** `map <name> (id N)` for error messages. */
  label(): string {
    return `map ${this.name || '(unnamed)'} (id ${this.id})`;
  }

  /**
   * BPF_MAP_LOOKUP_ELEM: a copy of the value (per-CPU maps: every CPU's value, each padded to 8
   * bytes). Queue and stack maps take no key and peek. Throws MapError (ENOENT when absent).
   */
  lookup(key?: Uint8Array, flags = BPF_ANY): Uint8Array {
    if (this.flags & BPF_F_WRONLY) throw this.fail(EPERM, 'lookup in');
    const k = this.checkKey(key, 'lookup in');
    if (flags & ~BPF_F_LOCK || !this.lockFlagOk(flags)) throw this.fail(EINVAL, 'lookup in');
    const r = this.sysLookup(k, flags);
    if (typeof r === 'number') throw this.fail(r, 'lookup in');
    return r;
  }

  /**
   * BPF_MAP_UPDATE_ELEM with `flags` BPF_ANY / BPF_NOEXIST / BPF_EXIST (| BPF_F_LOCK). `value`
   * is `sysValueSize` bytes. Queue and stack maps take no key and push.
   */
  update(key: Uint8Array | undefined, value: Uint8Array, flags = BPF_ANY): void {
    if (this.flags & BPF_F_RDONLY || this.frozen) throw this.fail(EPERM, 'update of');
    const k = this.checkKey(key, 'update of');
    if (value.length !== this.sysValueSize)
      throw mapErrno(EINVAL, `update of ${this.label()}: value is ${value.length} bytes, expected ${this.sysValueSize}`);
    // Flags are a u64 in bpf_attr; anything outside u32 is an unknown flag bit.
    if (!Number.isInteger(flags) || flags < 0 || flags > 0xffffffff || !this.lockFlagOk(flags)) throw this.fail(EINVAL, 'update of');
    const r = this.sysUpdate(k, value, flags);
    if (r < 0) throw this.fail(r, 'update of');
  }

  /** BPF_MAP_DELETE_ELEM. */
  delete(key?: Uint8Array): void {
    if (this.flags & BPF_F_RDONLY || this.frozen) throw this.fail(EPERM, 'delete from');
    const k = this.checkKey(key, 'delete from');
    const r = this.sysDelete(k);
    if (r < 0) throw this.fail(r, 'delete from');
  }

  /** BPF_MAP_GET_NEXT_KEY: the key after `key`, the first key when `key` is undefined or absent. */
  nextKey(key?: Uint8Array): Uint8Array {
    if (this.flags & BPF_F_WRONLY) throw this.fail(EPERM, 'get next key of');
    if (key !== undefined) this.checkKey(key, 'get next key of');
    const r = this.getNextKey(key ?? null);
    if (typeof r === 'number') throw this.fail(r, 'get next key of');
    return r;
  }

  /** BPF_MAP_LOOKUP_AND_DELETE_ELEM (hash maps; queue/stack pop with no key). */
  lookupAndDelete(key?: Uint8Array, flags = BPF_ANY): Uint8Array {
    if (this.flags & (BPF_F_RDONLY | BPF_F_WRONLY) || this.frozen) throw this.fail(EPERM, 'lookup and delete in');
    const k = this.checkKey(key, 'lookup and delete in');
    const r = this.sysLookupAndDelete(k, flags);
    if (typeof r === 'number') throw this.fail(r, 'lookup and delete in');
    return r;
  }

  /** BPF_MAP_FREEZE: user space can no longer write; a second freeze fails with EPERM. */
  freeze(): void {
    // The oracle kernel answers EPERM to a second freeze of a map: freezing twice checks
    // write access (map_get_sys_perms) which the first freeze removed.
    if (this.frozen || this.flags & BPF_F_RDONLY) throw this.fail(EPERM, 'freeze of');
    this.frozen = true;
  }

  /** Every key in get_next_key order (convenience over {@link nextKey}). */
  *keys(): Generator<Uint8Array> {
    let r = this.getNextKey(null);
    let guard = 0;
    while (typeof r !== 'number') {
      yield r;
      // An iteration can only visit each element once; this bound stops a buggy order.
      if (++guard > this.maxEntries) return;
      r = this.getNextKey(r);
    }
  }

  /** Every (key, value) pair as user space sees them, in get_next_key order. */
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const k of this.keys()) {
      const v = this.sysLookup(k, 0);
      if (typeof v !== 'number') yield [k, v];
    }
  }

  // ---- snapshots ----

  /** The type-specific contents as plain data. */
  protected abstract snapshotData(): unknown;

  /** Restores contents written by {@link snapshotData}. */
  abstract restoreData(data: unknown): void;

  /** The map as plain JSON-compatible data (see {@link MapSnapshot}). */
  toSnapshot(): MapSnapshot {
    return {
      id: this.id,
      name: this.name,
      type: this.type,
      keySize: this.keySize,
      valueSize: this.valueSize,
      maxEntries: this.maxEntries,
      flags: this.flags,
      ncpus: this.ncpus,
      frozen: this.frozen,
      ...(this.spinLockOff !== undefined ? { spinLockOff: this.spinLockOff } : {}),
      ...(this.mapExtra ? { mapExtra: this.mapExtra } : {}),
      ...(this.btfKeyTypeId ? { btfKeyTypeId: this.btfKeyTypeId } : {}),
      ...(this.btfValueTypeId ? { btfValueTypeId: this.btfValueTypeId } : {}),
      ...(this.innerMeta ? { innerMeta: this.innerMeta } : {}),
      data: this.snapshotData(),
    };
  }
}

/** Hex of bytes, for snapshots. */
export function hex(b: Uint8Array): string {
  return toHex(b);
}

/**
 * Decodes a hex string of a snapshot, checking its length; a corrupt snapshot is an
 * XdptsError naming what is wrong, never a host exception.
 */
export function unhex(x: unknown, len: number, what: string): Uint8Array {
  if (typeof x !== 'string' || !/^([0-9a-f]{2})*$/i.test(x) || x.length !== len * 2)
    throw new XdptsError(`corrupt map snapshot: ${what} is not ${len} bytes of hex`, 'snapshot');
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(x.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** A corrupt-snapshot error. */
export function snapError(message: string): XdptsError {
  return new XdptsError(`corrupt map snapshot: ${message}`, 'snapshot');
}

/** Checks that a snapshot field is an array, else a snapshot error. */
export function snapArray(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x)) throw new XdptsError(`corrupt map snapshot: ${what} is not an array`, 'snapshot');
  return x;
}

/** Checks that a snapshot field is a non-negative safe integer, else a snapshot error. */
export function snapInt(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0)
    throw new XdptsError(`corrupt map snapshot: ${what} is not a non-negative integer`, 'snapshot');
  return x;
}
