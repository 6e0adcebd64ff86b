/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS (kernel/bpf/arraymap.c, hashtab.c,
 * map_in_map.c): maps whose values are other maps. At creation the kernel copies the inner
 * map's shape into a template (`inner_map_meta`, bpf_map_meta_alloc); every map stored later
 * must match it (`map_meta_equal`). User space stores a map "fd" — in the emulation the map's
 * id, as prog arrays take program ids — and reads back the inner map's id
 * (bpf_map_fd_sys_lookup_elem); a program's lookup yields a pointer to the inner map itself.
 *
 * Errnos as the oracle kernel gives them (Linux 6.18; fixtures/kernel/map-scenarios/map-in-map): an unknown map
 * EBADF, a map that does not match the template EINVAL, an ARRAY_OF_MAPS update with any flag
 * but BPF_ANY EINVAL, an index past the end E2BIG; a HASH_OF_MAPS honours BPF_NOEXIST/BPF_EXIST.
 */
import { BPF_MAP_TYPE } from '../../object';
import { EBADF, EINVAL, ENOTSUPP } from '../errno';
import { BPF_F_INNER_MAP } from './flags';
import { HashMap } from './hash';
import { type BpfMap, type InnerMapMeta, type MapAttr, type MapEnv, readU32, snapArray, snapInt, u32Bytes } from './map';
import { IdArrayMap } from './prog-array';

const T = BPF_MAP_TYPE;

/** True for the two map-in-map types. */
export function isMapInMapType(type: number): boolean {
  return type === T.ARRAY_OF_MAPS || type === T.HASH_OF_MAPS;
}

/**
 * bpf_map_meta_alloc: the template copied from the inner map given at creation, or the errno
 * (ENOTSUPP for a type without `map_meta_equal` — prog arrays —, EINVAL for a map-in-map: one
 * level only).
 */
export function innerMetaOf(inner: BpfMap): InnerMapMeta | number {
  if (inner.innerMeta !== undefined) return EINVAL;
  if (inner.type === T.PROG_ARRAY) return ENOTSUPP;
  return {
    type: inner.type,
    keySize: inner.keySize,
    valueSize: inner.valueSize,
    maxEntries: inner.maxEntries,
    flags: inner.flags,
    ...(inner.spinLockOff !== undefined ? { spinLockOff: inner.spinLockOff } : {}),
  };
}

/**
 * The type's `map_meta_equal`: bpf_map_meta_equal (type, key and value size, flags, special
 * fields) and, for arrays without BPF_F_INNER_MAP and for xskmaps, the same max_entries.
 */
export function metaEqual(meta: InnerMapMeta, m: BpfMap): boolean {
  if (meta.type !== m.type || meta.keySize !== m.keySize || meta.valueSize !== m.valueSize || meta.flags !== m.flags) return false;
  if (meta.spinLockOff !== m.spinLockOff) return false;
  const sizedArray = (meta.type === T.ARRAY || meta.type === T.PERCPU_ARRAY) && !(meta.flags & BPF_F_INNER_MAP);
  if ((sizedArray || meta.type === T.XSKMAP) && meta.maxEntries !== m.maxEntries) return false;
  return true;
}

/** bpf_map_fd_get_ptr: the errno of storing map `id` into an outer map with template `meta`. */
function checkInner(env: MapEnv, meta: InnerMapMeta, id: number): number {
  const inner = env.map?.(id);
  if (!inner) return EBADF;
  return metaEqual(meta, inner) ? 0 : EINVAL;
}

/** An ARRAY_OF_MAPS: u32-indexed slots, each empty or holding an inner map id. */
export class ArrayOfMaps extends IdArrayMap {
  readonly meta: InnerMapMeta;

  constructor(id: number, attr: MapAttr & { innerMeta: InnerMapMeta }, env: MapEnv) {
    super(id, attr, env);
    this.meta = attr.innerMeta;
  }

  /** The inner map id at `index`, for a program's lookup; undefined when the slot is empty. */
  innerAt(key: Uint8Array, off: number): number | undefined {
    return this.slots.get(readU32(key, off));
  }

  override lookupElem(key: Uint8Array): Uint8Array | null {
    const id = this.slots.get(readU32(key));
    return id === undefined ? null : u32Bytes(id);
  }

  /** Ids of the maps the slots hold (they stay alive while held). */
  innerIds(): number[] {
    return [...this.slots.values()];
  }

  protected checkId(id: number): number {
    return checkInner(this.env, this.meta, id);
  }

  protected snapshotData(): unknown {
    return { slots: [...this.slots].sort((a, b) => a[0] - b[0]) };
  }

  restoreData(data: unknown): void {
    this.slots.clear();
    const d = data as { slots?: unknown } | null;
    for (const e of snapArray(d?.slots, 'map-in-map slots')) {
      const [i, id] = snapArray(e, 'map-in-map slot');
      this.slots.set(snapInt(i, 'slot index'), snapInt(id, 'inner map id'));
    }
  }
}

/** A HASH_OF_MAPS: a hash map whose 4-byte values are inner map ids. */
export class HashOfMaps extends HashMap {
  readonly meta: InnerMapMeta;

  constructor(id: number, attr: MapAttr & { innerMeta: InnerMapMeta }, env: MapEnv) {
    super(id, attr, env, { percpu: false, lru: false });
    this.meta = attr.innerMeta;
  }

  /** The inner map id under the key at `off` of `buf`; undefined when absent. */
  innerAt(buf: Uint8Array, off: number): number | undefined {
    const v = this.lookupElemAt(buf, off, 0);
    return v === null ? undefined : readU32(v);
  }

  /** Ids of the maps the entries hold. */
  innerIds(): number[] {
    return [...this.entries()].map(([, v]) => readU32(v));
  }

  protected override sysUpdate(key: Uint8Array, value: Uint8Array, flags: number): number {
    const err = checkInner(this.env, this.meta, readU32(value));
    if (err) return -err;
    return super.sysUpdate(key, value, flags);
  }
}

/** Either map-in-map type. */
export type MapOfMaps = ArrayOfMaps | HashOfMaps;

/** The map as a map-in-map, or undefined. */
export function asMapOfMaps(m: BpfMap): MapOfMaps | undefined {
  return m instanceof ArrayOfMaps || m instanceof HashOfMaps ? m : undefined;
}
