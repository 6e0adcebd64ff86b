/**
 * BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): a bit array with no keys. Pushing a
 * value sets `nr_hash_funcs` bits, `jhash2` (or `jhash` for a value size not a multiple of 4)
 * of the value seeded with `hash_seed + i`, masked to the array size; peeking answers 0 when
 * every bit is set (maybe present) or -ENOENT (certainly absent). The array holds
 * `max_entries * nr_hash_funcs * 7 / 5` bits rounded up to a power of two (at least 64), or
 * 2^32 bits when that overflows. The kernel's seed is random unless BPF_F_ZERO_SEED; like the
 * hash maps, the emulation always uses 0 so runs are reproducible. nr_hash_funcs is
 * the low 4 bits of map_extra (5 when 0). From user space an update pushes and a lookup peeks
 * the value given; pop, delete and get_next_key are EOPNOTSUPP, push flags other than BPF_ANY
 * EINVAL.
 */
import { EINVAL, ENOENT, EOPNOTSUPP } from '../errno';
import { BPF_ANY } from './flags';
import { jhash, jhash2 } from './jhash';
import { BpfMap, snapError, snapInt, type BytesOrErrno, type MapAttr, type MapEnv } from './map';

/** The bit array of a bloom filter of these attributes: its mask (bits - 1). */
export function bloomBitsetMask(maxEntries: number, nrHashFuncs: number): number {
  const product = maxEntries * nrHashFuncs;
  const bits = Math.floor(product / 5) * 7;
  if (product > 0xffffffff || bits > 0xffffffff || bits > 2 ** 31) return 0xffffffff;
  if (bits <= 64) return 63;
  let p = 1;
  while (p < bits) p *= 2;
  return p - 1;
}

/** A bloom filter map. */
export class BloomFilterMap extends BpfMap {
  readonly nrHashFuncs: number;
  readonly hashSeed = 0;
  private readonly mask: number;
  /** The set bits (a Set: a 2^32-bit array is not allocated). */
  private bits = new Set<number>();
  private pushed = 0;

  constructor(id: number, attr: MapAttr, env: MapEnv) {
    super(id, attr, env);
    this.nrHashFuncs = (attr.mapExtra ?? 0) & 0xf || 5;
    this.mask = bloomBitsetMask(attr.maxEntries, this.nrHashFuncs);
  }

  get size(): number {
    return this.pushed;
  }

  private hash(value: Uint8Array, i: number): number {
    const seed = (this.hashSeed + i) >>> 0;
    const h = this.valueSize % 4 === 0 ? jhash2(value, this.valueSize / 4, seed) : jhash(value, this.valueSize, seed);
    return (h & this.mask) >>> 0;
  }

  override pushElem(value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    for (let i = 0; i < this.nrHashFuncs; i++) this.bits.add(this.hash(value, i));
    this.pushed++;
    return 0;
  }

  /** bloom_map_peek_elem: 0 when `value` may be present, -ENOENT when it is not. */
  peekValue(value: Uint8Array): number {
    for (let i = 0; i < this.nrHashFuncs; i++) if (!this.bits.has(this.hash(value, i))) return -ENOENT;
    return 0;
  }

  override popElem(): BytesOrErrno {
    return -EOPNOTSUPP;
  }

  override updateElem(): number {
    return -EINVAL;
  }

  override deleteElem(): number {
    return -EOPNOTSUPP;
  }

  override getNextKey(): BytesOrErrno {
    return -EOPNOTSUPP;
  }

  /** A lookup carries the value to test; this API has none to give, so it is refused. */
  protected override sysLookup(): BytesOrErrno {
    return -EINVAL;
  }

  protected override sysUpdate(_key: Uint8Array, value: Uint8Array, flags: number): number {
    return this.pushElem(value, flags);
  }

  protected snapshotData(): unknown {
    return { pushed: this.pushed, bits: [...this.bits].sort((a, b) => a - b) };
  }

  restoreData(data: unknown): void {
    const d = data as { bits?: unknown; pushed?: unknown } | null;
    if (!d || !Array.isArray(d.bits)) throw snapError('bloom filter bits are missing');
    this.bits = new Set(d.bits.map((b, i) => snapInt(b, `bit ${i}`)));
    this.pushed = snapInt(d.pushed, 'pushed');
  }
}
