/**
 * What BPF_MAP_TYPE_DEVMAP and BPF_MAP_TYPE_CPUMAP share (kernel/bpf/devmap.c, cpumap.c): a
 * value `{ __u32 first; union { int fd; __u32 id; } bpf_prog; }` (4 or 8 bytes) whose program fd
 * must name an XDP program of the map's expected attach type, and an array of optional slots
 * indexed by a u32 key that user space fills and programs only read (BPF_F_RDONLY_PROG).
 */
import { BPF_PROG_TYPE_XDP } from '../../object/types';
import { E2BIG, EEXIST, EINVAL } from '../errno';
import { BPF_EXIST, BPF_NOEXIST, BPF_F_RDONLY_PROG } from './flags';
import { arrayNextKey } from './array';
import {
  BpfMap,
  hex,
  readU32,
  snapArray,
  snapInt,
  u32Bytes,
  unhex,
  writeU32,
  type BytesOrErrno,
  type MapAttr,
  type MapElem,
  type MapEnv,
} from './map';

/** `enum bpf_attach_type` values of programs run from a devmap / cpumap entry. */
export const BPF_XDP_DEVMAP = 33;
/** `BPF_XDP_CPUMAP` (include/uapi/linux/bpf.h). */
export const BPF_XDP_CPUMAP = 35;

/**
 * Validates a devmap / cpumap value's program fd and returns the id to store, or -EINVAL
 * (bpf_prog_get_type_dev + the expected-attach-type check of __dev_map_alloc_node).
 */
export function attachedProgId(env: MapEnv, value: Uint8Array, valueSize: number, attachType: number): number {
  if (valueSize < 8) return 0;
  const fd = readU32(value, 4) | 0;
  if (fd <= 0) return 0;
  const info = env.progInfo?.(fd);
  if (!info || info.type !== BPF_PROG_TYPE_XDP || info.expectedAttachType !== attachType) return -EINVAL;
  return fd;
}

/**
 * The stored form of a devmap / cpumap value whose first field (ifindex, qsize) is `first`:
 * the program fd checked by {@link attachedProgId} and replaced by the program id, or -errno.
 */
export function progValue(
  env: MapEnv, value: Uint8Array, valueSize: number, first: number, attachType: number,
): Uint8Array | number {
  const prog = attachedProgId(env, value, valueSize, attachType);
  if (prog < 0) return prog;
  const v = new Uint8Array(valueSize);
  writeU32(v, 0, first);
  if (valueSize >= 8) writeU32(v, 4, prog);
  return v;
}

/** The program id of a stored devmap / cpumap value (0 = none, also for 4-byte values). */
export function progIdOf(v: Uint8Array, valueSize: number): number {
  return valueSize >= 8 ? readU32(v, 4) : 0;
}

/**
 * An array map of optional byte values under u32 indexes (devmap, cpumap): absent slots are
 * ENOENT, deletes past the end EINVAL, get_next_key walks every index as an array's does.
 */
export abstract class RedirectSlotMap extends BpfMap {
  protected readonly slots = new Map<number, Uint8Array>();
  /** Map kind and index name in snapshot error messages (`cpumap`, `cpu`). */
  private readonly what: string;
  private readonly indexWhat: string;

  constructor(id: number, attr: MapAttr, env: MapEnv, what: string, indexWhat: string) {
    super(id, attr, env, BPF_F_RDONLY_PROG);
    this.what = what;
    this.indexWhat = indexWhat;
  }

  get size(): number {
    return this.slots.size;
  }

  override lookupElem(key: Uint8Array): Uint8Array | null {
    return this.slots.get(readU32(key)) ?? null;
  }

  /**
   * The checks every update starts with (dev_map_update_elem, cpu_map_update_elem): the slot
   * index, or -errno — flags above BPF_EXIST EINVAL, an index past the end E2BIG, BPF_NOEXIST
   * EEXIST (every slot of an array "exists").
   */
  protected updateIndex(key: Uint8Array, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const index = readU32(key);
    if (index >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    return index;
  }

  override deleteElem(key: Uint8Array): number {
    const index = readU32(key);
    if (index >= this.maxEntries) return -EINVAL;
    this.slots.delete(index);
    return 0;
  }

  override getNextKey(key: Uint8Array | null): BytesOrErrno {
    return arrayNextKey(key, this.maxEntries);
  }

  override *elems(): Iterable<MapElem> {
    for (const [k, v] of [...this.slots].sort((a, b) => a[0] - b[0])) yield { key: u32Bytes(k), value: v };
  }

  protected snapshotData(): unknown {
    return { slots: [...this.slots].sort((a, b) => a[0] - b[0]).map(([k, v]) => [k, hex(v)]) };
  }

  restoreData(data: unknown): void {
    this.slots.clear();
    for (const e of snapArray((data as { slots?: unknown })?.slots, `${this.what} slots`)) {
      const [k, v] = snapArray(e, `${this.what} slot`);
      this.slots.set(snapInt(k, this.indexWhat), unhex(v, this.valueSize, `${this.what} value`));
    }
  }
}
