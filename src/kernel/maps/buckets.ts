/**
 * The iteration order of the kernel's hash tables: an array of buckets (a power of two), each a
 * list with the newest element first (hlist_add_head), walked bucket by bucket. Used by the
 * hash maps (bucket = jhash of the key) and DEVMAP_HASH (bucket = key & mask) so that
 * get_next_key and for_each_map_elem visit elements in the kernel's order.
 */

/** Bucket lists of string keys. */
export class BucketOrder {
  /** Non-empty buckets only; each list newest first. */
  private readonly buckets = new Map<number, string[]>();
  /** Bucket of each present key. */
  private readonly where = new Map<string, number>();
  /** Indexes of the non-empty buckets, sorted. */
  private readonly used: number[] = [];
  readonly nBuckets: number;

  constructor(nBuckets: number) {
    this.nBuckets = nBuckets;
  }

  /** Adds `key` at the head of `bucket` (moving it there if present). */
  addHead(key: string, bucket: number): void {
    this.remove(key);
    let l = this.buckets.get(bucket);
    if (!l) {
      this.buckets.set(bucket, (l = []));
      this.used.splice(this.lowerBound(bucket), 0, bucket);
    }
    l.unshift(key);
    this.where.set(key, bucket);
  }

  /** Removes `key` if present. */
  remove(key: string): void {
    const b = this.where.get(key);
    if (b === undefined) return;
    this.where.delete(key);
    const l = this.buckets.get(b)!;
    l.splice(l.indexOf(key), 1);
    if (l.length === 0) {
      this.buckets.delete(b);
      this.used.splice(this.lowerBound(b), 1);
    }
  }

  clear(): void {
    this.buckets.clear();
    this.where.clear();
    this.used.length = 0;
  }

  /** Position of the first used bucket index ≥ `b`. */
  private lowerBound(b: number): number {
    let lo = 0;
    let hi = this.used.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.used[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first key of the first non-empty bucket at index ≥ `from`. */
  private firstFrom(from: number): string | undefined {
    const b = this.used[this.lowerBound(from)];
    return b === undefined ? undefined : this.buckets.get(b)![0];
  }

  /**
   * The key after `key` in table order (htab_map_get_next_key): the next one in its bucket, else
   * the first of a later bucket; the very first key when `key` is undefined or absent.
   */
  next(key: string | undefined): string | undefined {
    const b = key === undefined ? undefined : this.where.get(key);
    if (b === undefined) return this.firstFrom(0);
    const l = this.buckets.get(b)!;
    const i = l.indexOf(key!);
    return i + 1 < l.length ? l[i + 1] : this.firstFrom(b + 1);
  }

  /** Every key in table order. */
  *keys(): Generator<string> {
    for (const b of [...this.used]) yield* [...(this.buckets.get(b) ?? [])];
  }
}
