/**
 * `bytes_memlock` as Linux 6.18 reports it (`bpf_map_memory_usage` → each map type's
 * `map_mem_usage`, `bpf_prog` pages). Struct sizes were measured on this x86_64 6.18 kernel with
 * bpftool (array key 4 value 8: 320 B for 1 entry, 392 B for 10 → sizeof(struct bpf_array) 312;
 * hash 1 entry 1120 B, 16 entries 2320 B → sizeof(struct bpf_htab) 896, htab_elem 48, bucket 16).
 */
import { BPF_MAP_TYPE } from '../../object/types';
import type { BpfMap } from '../maps/map';

const PAGE = 4096;
const SIZEOF_BPF_ARRAY = 312;
const SIZEOF_BPF_HTAB = 896;
const SIZEOF_HTAB_ELEM = 48;
const SIZEOF_BUCKET = 16;

const up8 = (n: number): number => (n + 7) & ~7;
const upPow2 = (n: number): number => (n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n)));

/** A program's memlock: whole pages of `struct bpf_prog` (header ~72 B) plus 8 B per instruction slot. */
export function progMemlock(xlatedBytes: number): number {
  return Math.ceil((72 + xlatedBytes) / PAGE) * PAGE;
}

/**
 * A map's memlock (array_map_mem_usage, htab_map_mem_usage). Types whose formula is not
 * transcribed get `sizeof` header + entries × (key + value) rounded, marked as an estimate in
 * the docs of `xdpts map show`.
 */
export function mapMemlock(m: BpfMap, ncpus: number): number {
  const T = BPF_MAP_TYPE;
  switch (m.type) {
    case T.ARRAY:
    case T.PROG_ARRAY:
      return SIZEOF_BPF_ARRAY + up8(m.valueSize) * m.maxEntries;
    case T.PERCPU_ARRAY:
      return SIZEOF_BPF_ARRAY + 8 * m.maxEntries + up8(m.valueSize) * m.maxEntries * ncpus;
    case T.HASH:
    case T.LRU_HASH:
    case T.PERCPU_HASH:
    case T.LRU_PERCPU_HASH: {
      const percpu = m.type === T.PERCPU_HASH || m.type === T.LRU_PERCPU_HASH;
      const lru = m.type === T.LRU_HASH || m.type === T.LRU_PERCPU_HASH;
      const elem = SIZEOF_HTAB_ELEM + up8(m.keySize) + (percpu ? 8 : up8(m.valueSize));
      let usage = SIZEOF_BPF_HTAB + SIZEOF_BUCKET * upPow2(m.maxEntries);
      const entries = m.maxEntries + (percpu || lru ? 0 : ncpus);
      usage += elem * entries;
      if (percpu) usage += up8(m.valueSize) * ncpus * entries;
      else if (!lru) usage += 8 * ncpus;
      return usage;
    }
    default:
      return SIZEOF_BPF_ARRAY + (up8(m.keySize) + up8(m.valueSize)) * m.maxEntries;
  }
}
