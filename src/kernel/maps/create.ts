/**
 * BPF_MAP_CREATE of the emulated kernel: the per-type attribute checks of each map's
 * `map_alloc_check` / `map_alloc` (kernel/bpf/arraymap.c, hashtab.c, lpm_trie.c, devmap.c,
 * cpumap.c, net/xdp/xskmap.c, ringbuf.c, queue_stack_maps.c) with their errnos, checked against
 * the 6.18 oracle kernel, and restoring a map from its snapshot.
 */
import { BPF_MAP_TYPE, mapTypeName } from '../../object';
import { XdptsError } from '../../util';
import { E2BIG, EBADF, EINVAL, ENOMEM, ENOTSUPP, EOPNOTSUPP, mapErrno } from '../errno';
import { ArrayMap, PercpuArrayMap } from './array';
import { BloomFilterMap } from './bloom-filter';
import { CpuMap } from './cpumap';
import { DevMap, DevMapHash } from './devmap';
import {
  BPF_F_ACCESS_MASK,
  BPF_F_INNER_MAP,
  BPF_F_MMAPABLE,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BPF_F_WRONLY,
  BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED,
  KMALLOC_MAX_SIZE,
  NR_CPUS,
  PAGE_SIZE,
  PCPU_MIN_UNIT_SIZE,
  mapFlagsAccessOk,
} from './flags';
import { HashMap } from './hash';
import { LpmTrieMap } from './lpm-trie';
import { roundUp8, type BpfMap, type InnerMapMeta, type MapAttr, type MapEnv, type MapSnapshot } from './map';
import { ArrayOfMaps, HashOfMaps, innerMetaOf, isMapInMapType } from './map-of-maps';
import { PerfEventArrayMap } from './perf-event-array';
import { ProgArrayMap } from './prog-array';
import { QueueStackMap } from './queue-stack';
import { RingBufMap } from './ringbuf';
import { XskMap } from './xskmap';

const T = BPF_MAP_TYPE;
/** `sizeof(struct htab_elem)` on x86_64, part of the hash map's E2BIG bound. */
const HTAB_ELEM_SIZE = 48;
/** `sizeof(struct lpm_trie_node)` on x86_64, part of LPM_VAL_SIZE_MAX. */
const LPM_TRIE_NODE_SIZE = 40;
/**
 * The emulator's own bound on a ring buffer's memory (it holds the data twice): larger rings are
 * refused with ENOMEM, as a kernel short of memory would.
 */
export const EMU_MAX_RINGBUF = 64 * 1024 * 1024;

const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
const LPM_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;
const DEV_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
const BLOOM_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ZERO_SEED | BPF_F_ACCESS_MASK;
const QUEUE_STACK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK;

/** Map types whose values may hold a bpf_spin_lock (map_check_btf), among those emulated. */
const SPIN_LOCK_TYPES: ReadonlySet<number> = new Set([T.HASH, T.ARRAY]);

/** bpf_obj_name_cpy: at most 15 characters, each alphanumeric, `_` or `.`. */
export function validMapName(name: string): boolean {
  return name.length < 16 && /^[A-Za-z0-9_.]*$/.test(name);
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/** The errno BPF_MAP_CREATE gives for these attributes (0 when they are accepted). */
export function checkMapAttr(attr: MapAttr): number {
  const { type, keySize: ks, valueSize: vs, maxEntries: me } = attr;
  const flags = attr.flags ?? 0;
  if (![ks, vs, me, flags].every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff)) return EINVAL;
  if (!validMapName(attr.name ?? '')) return EINVAL;
  if (attr.spinLockOff !== undefined) {
    if (!SPIN_LOCK_TYPES.has(type)) return EOPNOTSUPP;
    if (attr.spinLockOff < 0 || attr.spinLockOff % 4 !== 0 || attr.spinLockOff + 4 > vs) return EINVAL;
  }
  switch (type) {
    case T.PERF_EVENT_ARRAY:
      // fd_array_map_alloc_check, then array_map_alloc_check (BPF_F_PRESERVE_ELEMS is theirs).
      if (vs !== 4 || flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return EINVAL;
      if (me === 0 || ks !== 4 || flags & ~ARRAY_CREATE_FLAG_MASK || !mapFlagsAccessOk(flags)) return EINVAL;
      if (flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) return EINVAL;
      return 0;
    case T.ARRAY:
    case T.PERCPU_ARRAY:
    case T.PROG_ARRAY:
    case T.ARRAY_OF_MAPS: {
      // fd_array_map_alloc_check: a map "fd" or program "fd" of 4 bytes, no program access flags.
      if ((type === T.PROG_ARRAY || type === T.ARRAY_OF_MAPS) && (vs !== 4 || flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG))) return EINVAL;
      const percpu = type === T.PERCPU_ARRAY;
      if (me === 0 || ks !== 4 || vs === 0 || flags & ~ARRAY_CREATE_FLAG_MASK || !mapFlagsAccessOk(flags)) return EINVAL;
      if (percpu && flags & BPF_F_NUMA_NODE) return EINVAL;
      if (type !== T.ARRAY && flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) return EINVAL;
      if (flags & BPF_F_PRESERVE_ELEMS) return EINVAL; // only for perf event arrays
      if (percpu && roundUp8(vs) > PCPU_MIN_UNIT_SIZE) return E2BIG;
      if (vs > 0x7fffffff) return E2BIG;
      return 0;
    }
    case T.HASH:
    case T.PERCPU_HASH:
    case T.LRU_HASH:
    case T.LRU_PERCPU_HASH:
    case T.HASH_OF_MAPS: {
      // fd_htab_map_alloc_check: a 4-byte map "fd" as the value.
      if (type === T.HASH_OF_MAPS && vs !== 4) return EINVAL;
      const percpu = type === T.PERCPU_HASH || type === T.LRU_PERCPU_HASH;
      const lru = type === T.LRU_HASH || type === T.LRU_PERCPU_HASH;
      if (flags & ~HTAB_CREATE_FLAG_MASK || !mapFlagsAccessOk(flags)) return EINVAL;
      if (!lru && flags & BPF_F_NO_COMMON_LRU) return EINVAL;
      if (lru && flags & BPF_F_NO_PREALLOC) return ENOTSUPP;
      if (flags & BPF_F_NUMA_NODE && (percpu || flags & BPF_F_NO_COMMON_LRU)) return EINVAL;
      if (me === 0 || ks === 0 || vs === 0) return EINVAL;
      if (ks + vs >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return E2BIG;
      if (percpu && roundUp8(vs) > PCPU_MIN_UNIT_SIZE) return E2BIG;
      return 0;
    }
    case T.LPM_TRIE:
      if (
        me === 0 ||
        !(flags & BPF_F_NO_PREALLOC) ||
        flags & ~LPM_CREATE_FLAG_MASK ||
        !mapFlagsAccessOk(flags) ||
        ks < 4 + 1 ||
        ks > 4 + 256 ||
        vs < 1 ||
        vs > KMALLOC_MAX_SIZE - 256 - LPM_TRIE_NODE_SIZE
      )
        return EINVAL;
      return 0;
    case T.DEVMAP:
    case T.DEVMAP_HASH:
      if (me === 0 || ks !== 4 || (vs !== 4 && vs !== 8) || flags & ~DEV_CREATE_FLAG_MASK) return EINVAL;
      return 0;
    case T.CPUMAP:
      if (me === 0 || ks !== 4 || (vs !== 4 && vs !== 8) || flags & ~BPF_F_NUMA_NODE) return EINVAL;
      if (me > NR_CPUS) return E2BIG;
      return 0;
    case T.XSKMAP:
      if (me === 0 || ks !== 4 || vs !== 4 || flags & ~(BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY)) return EINVAL;
      return 0;
    case T.RINGBUF:
      if (flags & ~BPF_F_NUMA_NODE || ks !== 0 || vs !== 0 || !isPow2(me) || me % PAGE_SIZE !== 0) return EINVAL;
      if (me > EMU_MAX_RINGBUF) return ENOMEM;
      return 0;
    case T.BLOOM_FILTER:
      if (ks !== 0 || vs === 0 || me === 0 || flags & ~BLOOM_CREATE_FLAG_MASK || !mapFlagsAccessOk(flags) || (attr.mapExtra ?? 0) & ~0xf) return EINVAL;
      return 0;
    case T.QUEUE:
    case T.STACK:
      if (me === 0 || ks !== 0 || vs === 0 || flags & ~QUEUE_STACK_CREATE_FLAG_MASK || !mapFlagsAccessOk(flags)) return EINVAL;
      if (vs > KMALLOC_MAX_SIZE) return E2BIG;
      return 0;
    default:
      return EINVAL;
  }
}

/** Map types this kernel knows (the others are valid kernel types it does not emulate). */
export const EMULATED_MAP_TYPES: readonly number[] = [
  T.HASH, T.ARRAY, T.PROG_ARRAY, T.PERCPU_HASH, T.PERCPU_ARRAY, T.LRU_HASH, T.LRU_PERCPU_HASH,
  T.LPM_TRIE, T.DEVMAP, T.CPUMAP, T.XSKMAP, T.QUEUE, T.STACK, T.DEVMAP_HASH, T.RINGBUF, T.PERF_EVENT_ARRAY, T.BLOOM_FILTER,
  T.ARRAY_OF_MAPS, T.HASH_OF_MAPS,
];

/**
 * The inner map template of a map-in-map (bpf_map_meta_alloc after map_alloc_check): a
 * restored one, or the shape of the map `innerMapId` names; the errno when there is none.
 */
function innerMeta(attr: MapAttr, env: MapEnv): InnerMapMeta | number {
  if (attr.innerMeta) return attr.innerMeta;
  const inner = attr.innerMapId === undefined ? undefined : env.map?.(attr.innerMapId);
  return inner ? innerMetaOf(inner) : EBADF;
}

/**
 * Creates map `id` from `attr`, or throws the MapError BPF_MAP_CREATE would give (a kernel map
 * type that is not emulated, e.g. perf_event_array, is EOPNOTSUPP with a message saying so).
 */
export function createMap(id: number, attr: MapAttr, env: MapEnv): BpfMap {
  if (!Number.isInteger(env.ncpus) || env.ncpus < 1) throw new XdptsError(`invalid CPU count ${env.ncpus}`, 'EINVAL');
  const known = (Object.values(T) as number[]).includes(attr.type);
  if (known && attr.type !== T.UNSPEC && !EMULATED_MAP_TYPES.includes(attr.type))
    throw mapErrno(EOPNOTSUPP, `create map ${attr.name ?? ''}: map type ${mapTypeName(attr.type)} is not emulated`);
  const err = checkMapAttr(attr);
  if (err) throw mapErrno(err, `create ${mapTypeName(attr.type)} map ${attr.name ?? ''}`.trimEnd());
  if (isMapInMapType(attr.type)) {
    const meta = innerMeta(attr, env);
    if (typeof meta === 'number') throw mapErrno(meta, `create ${mapTypeName(attr.type)} map ${attr.name ?? ''}: inner map`);
    const a = { ...attr, innerMeta: meta };
    return attr.type === T.ARRAY_OF_MAPS ? new ArrayOfMaps(id, a, env) : new HashOfMaps(id, a, env);
  }
  switch (attr.type) {
    case T.ARRAY:
      return new ArrayMap(id, attr, env);
    case T.PERCPU_ARRAY:
      return new PercpuArrayMap(id, attr, env);
    case T.PROG_ARRAY:
      return new ProgArrayMap(id, attr, env);
    case T.PERF_EVENT_ARRAY:
      return new PerfEventArrayMap(id, attr, env);
    case T.HASH:
      return new HashMap(id, attr, env, { percpu: false, lru: false });
    case T.PERCPU_HASH:
      return new HashMap(id, attr, env, { percpu: true, lru: false });
    case T.LRU_HASH:
      return new HashMap(id, lruAttr(attr, env.ncpus), env, { percpu: false, lru: true });
    case T.LRU_PERCPU_HASH:
      return new HashMap(id, lruAttr(attr, env.ncpus), env, { percpu: true, lru: true });
    case T.LPM_TRIE:
      return new LpmTrieMap(id, attr, env);
    case T.DEVMAP:
      return new DevMap(id, attr, env);
    case T.DEVMAP_HASH:
      return new DevMapHash(id, attr, env);
    case T.CPUMAP:
      return new CpuMap(id, attr, env);
    case T.XSKMAP:
      return new XskMap(id, attr, env);
    case T.RINGBUF:
      return new RingBufMap(id, attr, env);
    case T.BLOOM_FILTER:
      return new BloomFilterMap(id, attr, env);
    case T.QUEUE:
      return new QueueStackMap(id, attr, env, false);
    case T.STACK:
      return new QueueStackMap(id, attr, env, true);
    default:
      throw mapErrno(EINVAL, `create map: unknown map type ${attr.type}`);
  }
}

/**
 * Rebuilds a map from {@link BpfMap.toSnapshot} output. The snapshot's CPU count must equal
 * `env.ncpus` (per-CPU values would not fit otherwise). Throws XdptsError on a corrupt snapshot.
 */
export function mapFromSnapshot(snap: MapSnapshot, env: MapEnv): BpfMap {
  if (typeof snap !== 'object' || snap === null) throw new XdptsError('corrupt map snapshot: not an object', 'snapshot');
  if (snap.ncpus !== env.ncpus)
    throw new XdptsError(`map snapshot ${snap.name} was taken with ${snap.ncpus} CPUs, the kernel has ${env.ncpus}`, 'snapshot');
  // The kernel-added flags (BPF_F_RDONLY_PROG of devmap/cpumap) are added again by the constructor.
  const map = createMap(snap.id, {
    type: snap.type,
    keySize: snap.keySize,
    valueSize: snap.valueSize,
    maxEntries: snap.maxEntries,
    flags: devFlags(snap.type, snap.flags),
    name: snap.name,
    ...(snap.spinLockOff !== undefined ? { spinLockOff: snap.spinLockOff } : {}),
    ...(snap.mapExtra ? { mapExtra: snap.mapExtra } : {}),
    ...(snap.btfKeyTypeId ? { btfKeyTypeId: snap.btfKeyTypeId } : {}),
    ...(snap.btfValueTypeId ? { btfValueTypeId: snap.btfValueTypeId } : {}),
    ...(snap.innerMeta ? { innerMeta: snap.innerMeta } : {}),
  }, env);
  map.restoreData(snap.data);
  map.frozen = snap.frozen === true;
  return map;
}

/**
 * htab_map_alloc: with BPF_F_NO_COMMON_LRU every CPU gets the same share of elements, so
 * max_entries is rounded up to a multiple of the CPU count (down if that overflows u32).
 */
function lruAttr(attr: MapAttr, ncpus: number): MapAttr {
  if (!((attr.flags ?? 0) & BPF_F_NO_COMMON_LRU)) return attr;
  let me = Math.ceil(attr.maxEntries / ncpus) * ncpus;
  if (me > 0xffffffff) me = Math.floor(attr.maxEntries / ncpus) * ncpus;
  return { ...attr, maxEntries: me };
}

function devFlags(type: number, flags: number): number {
  return type === T.DEVMAP || type === T.DEVMAP_HASH || type === T.CPUMAP ? flags & ~BPF_F_RDONLY_PROG : flags;
}
