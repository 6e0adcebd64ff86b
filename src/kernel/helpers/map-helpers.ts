/**
 * The map helpers (kernel/bpf/helpers.c): bpf_map_lookup_elem / update / delete, push / pop /
 * peek, and bpf_for_each_map_elem (kernel/bpf/bpf_iter.c with each map's
 * map_for_each_callback). They call the map's kernel-side operations, which return the kernel's
 * -errno values; lookups hand the program a pointer into the map's own value buffer.
 */
import type { HelperCall, InlineLookup, SpecializedHelperFn } from '../../vm';
import { BPF_MAP_TYPE } from '../../object';
import { EINVAL, ENOTSUPP } from '../errno';
import { BPF_F_RDONLY_PROG } from '../maps/flags';
import { ArrayMap } from '../maps/array';
import { BloomFilterMap } from '../maps/bloom-filter';
import { HashMap } from '../maps/hash';
import { asMapOfMaps } from '../maps/map-of-maps';
import type { BpfMap } from '../maps/map';
import { flagsArg, mapArg, memArg, ptrArg, MAP_PTR_TAG, type HelperContext } from './context';

/**
 * bpf_map_lookup_elem(map, key): a pointer to the value, or NULL. The hot path of most
 * programs: the key is checked in place and handed to the map as (bytes, offset), no view and
 * no array is allocated.
 */
export function mapLookupElem(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    const a = c.args;
    const lo = a[2]!;
    const u8 = c.mem.check(lo, a[3]!, map.keySize, false);
    if (map.innerMeta !== undefined) return lookupInner(c, map, u8, lo >>> 0);
    const v = map.lookupElemAt(u8, lo >>> 0, k.cpu);
    if (v === null) {
      c.ret(0);
      return;
    }
    c.retPtr(0, c.mem.expose(v, (map.flags & BPF_F_RDONLY_PROG) === 0));
  };
}

/**
 * A lookup in a map-in-map: the inner map itself, as the pointer a map lddw gives (the
 * verifier typed it map_ptr_or_null), or NULL for an empty slot.
 */
function lookupInner(c: HelperCall, map: BpfMap, buf: Uint8Array, off: number): void {
  const id = asMapOfMaps(map)!.innerAt(buf, off);
  if (id === undefined) c.ret(0);
  else c.retPtr(id, MAP_PTR_TAG);
}

/**
 * bpf_map_lookup_elem for call sites whose r1 is always `map` (a map lddw just before the
 * call, see HelperTable.specialize): the same as {@link mapLookupElem} without resolving r1.
 */
export function mapLookupElemOn(k: HelperContext, map: BpfMap): SpecializedHelperFn {
  const keySize = map.keySize;
  if (map.innerMeta !== undefined) {
    return (c: HelperCall): void => {
      const lo = c.args[2]!;
      lookupInner(c, map, c.mem.check(lo, c.args[3]!, keySize, false), lo >>> 0);
    };
  }
  const writable = (map.flags & BPF_F_RDONLY_PROG) === 0;
  const fn = (c: HelperCall): void => {
    const a = c.args;
    const lo = a[2]!;
    const u8 = c.mem.check(lo, a[3]!, keySize, false);
    const v = map.lookupElemAt(u8, lo >>> 0, k.cpu);
    if (v === null) {
      c.ret(0);
      return;
    }
    c.retPtr(0, c.mem.expose(v, writable));
  };
  // A plain BPF_MAP_TYPE_ARRAY (u32 key, index < max_entries → its value) or a plain HASH with
  // a small key: engines may do the lookup inline, on the map's own live buffers.
  if (map instanceof ArrayMap && map.type === BPF_MAP_TYPE.ARRAY && keySize === 4 && map.lookupElemAt === ArrayMap.prototype.lookupElemAt) {
    const inline: InlineLookup = { kind: 'array', maxEntries: map.maxEntries, values: map.denseValues, writable };
    return Object.assign(fn, { inline });
  }
  if (map instanceof HashMap && map.type === BPF_MAP_TYPE.HASH && (keySize === 2 || keySize === 4) && map.lookupElemAt === HashMap.prototype.lookupElemAt) {
    const entries = map.plainEntries;
    if (entries !== undefined) {
      const inline: InlineLookup = { kind: 'hash', keySize, entries, writable };
      return Object.assign(fn, { inline });
    }
  }
  return fn;
}

/** bpf_map_update_elem(map, key, value, flags): 0 or -errno. */
export function mapUpdateElem(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    const a = c.args;
    const klo = a[2]!;
    const kbuf = c.mem.check(klo, a[3]!, map.keySize, false);
    const vlo = a[4]!;
    const vbuf = c.mem.check(vlo, a[5]!, map.valueSize, false);
    c.ret(map.updateElemAt(kbuf, klo >>> 0, vbuf, vlo >>> 0, flagsArg(c, 4), k.cpu));
  };
}

/**
 * bpf_map_update_elem for call sites whose r1 is always `map` (see {@link mapLookupElemOn}):
 * the same as {@link mapUpdateElem} without resolving r1.
 */
export function mapUpdateElemOn(k: HelperContext, map: BpfMap): SpecializedHelperFn {
  const keySize = map.keySize;
  const valueSize = map.valueSize;
  return (c: HelperCall): void => {
    const a = c.args;
    const klo = a[2]!;
    const kbuf = c.mem.check(klo, a[3]!, keySize, false);
    const vlo = a[4]!;
    const vbuf = c.mem.check(vlo, a[5]!, valueSize, false);
    c.ret(map.updateElemAt(kbuf, klo >>> 0, vbuf, vlo >>> 0, flagsArg(c, 4), k.cpu));
  };
}

/** bpf_map_delete_elem(map, key): 0 or -errno. */
export function mapDeleteElem(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    c.ret(map.deleteElem(memArg(c, 2, map.keySize)));
  };
}

/** bpf_map_push_elem(map, value, flags): 0 or -errno. */
export function mapPushElem(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    c.ret(map.pushElem(memArg(c, 2, map.valueSize), flagsArg(c, 3)));
  };
}

/** bpf_map_pop_elem / bpf_map_peek_elem(map, value): copies the value out; 0 or -errno. */
export function mapPopPeekElem(k: HelperContext, pop: boolean) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    // A bloom filter's peek tests the value given instead of returning one.
    if (!pop && map instanceof BloomFilterMap) return c.ret(map.peekValue(memArg(c, 2, map.valueSize)));
    const r = pop ? map.popElem() : map.peekElem();
    if (typeof r === 'number') return c.ret(r);
    const [lo, hi] = ptrArg(c, 2);
    c.mem.write(lo, hi, r);
    c.ret(0);
  };
}

/** Map types with a `map_for_each_callback` among the emulated ones. */
const FOR_EACH_TYPES: ReadonlySet<number> = new Set([
  BPF_MAP_TYPE.ARRAY, BPF_MAP_TYPE.PERCPU_ARRAY, BPF_MAP_TYPE.HASH, BPF_MAP_TYPE.PERCPU_HASH,
  BPF_MAP_TYPE.LRU_HASH, BPF_MAP_TYPE.LRU_PERCPU_HASH,
]);

/**
 * bpf_for_each_map_elem(map, callback, ctx, flags): calls `callback(map, &key, &value, ctx)`
 * for each element until it returns non-zero; returns the number of elements visited
 * (including the one that stopped the walk). Flags must be 0.
 */
export function forEachMapElem(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    const slot = c.funcArg(2);
    const [ctxLo, ctxHi] = ptrArg(c, 3);
    if (flagsArg(c, 4) !== 0) return c.ret(-EINVAL);
    if (!FOR_EACH_TYPES.has(map.type)) return c.ret(-ENOTSUPP);
    const writable = (map.flags & BPF_F_RDONLY_PROG) === 0;
    const args = [map.id, MAP_PTR_TAG, 0, 0, 0, 0, ctxLo, ctxHi];
    let n = 0;
    for (const e of map.elems(k.cpu)) {
      n++;
      args[3] = c.mem.expose(e.key, false);
      args[5] = c.mem.expose(e.value, writable);
      if (c.invoke(slot, args) !== 0) break;
    }
    c.ret(n);
  };
}

/**
 * bpf_map_lookup_percpu_elem(map, key, cpu): the value of another CPU's copy in a per-CPU
 * array or hash; NULL for a CPU past the last one.
 */
export function mapLookupPercpuElem(k: HelperContext) {
  return (c: HelperCall): void => {
    const map = mapArg(k, c, 1);
    const cpu = c.u32(3);
    if (cpu >= map.ncpus) return c.ret(0);
    const lo = c.args[2]!;
    const u8 = c.mem.check(lo, c.args[3]!, map.keySize, false);
    const v = map.lookupElemAt(u8, lo >>> 0, cpu);
    if (v === null) return c.ret(0);
    c.retPtr(0, c.mem.expose(v, (map.flags & BPF_F_RDONLY_PROG) === 0));
  };
}
