/**
 * The iteration order of the kernel's hash tables: an array of buckets (a power of two), each a
 * list with the newest element first (hlist_add_head), walked bucket by bucket. Used by the
 * hash maps (bucket = jhash of the key) and DEVMAP_HASH (bucket = key & mask) so that
 * get_next_key and for_each_map_elem visit elements in the kernel's order.
 *
 * Updates are O(1) amortised (a program may fill a million-entry map): the sorted index of
 * non-empty buckets is brought up to date only when something walks it. New buckets wait in a
 * list that is sorted and merged in at the next walk; emptied buckets stay in the index as
 * tombstones until they are half of it.
 */

/** Bucket lists of string keys. */
export class BucketOrder {
  /** Non-empty buckets only; each list newest first. */
  private readonly buckets = new Map<number, string[]>();
  /** Bucket of each present key. */
  private readonly where = new Map<string, number>();
  /** Sorted bucket indexes: every non-empty bucket once `pending` is merged, plus tombstones. */
  private sorted: number[] = [];
  /** Buckets that became non-empty and are not in `sorted` yet. */
  private pending: number[] = [];
  /** Buckets present in `sorted` or `pending` (non-empty ones and tombstones). */
  private readonly indexed = new Set<number>();
  /** Emptied buckets still in `sorted`. */
  private dead = 0;
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
      if (this.indexed.has(bucket)) this.dead--;
      else {
        this.indexed.add(bucket);
        this.pending.push(bucket);
      }
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
      this.dead++;
    }
  }

  clear(): void {
    this.buckets.clear();
    this.where.clear();
    this.sorted = [];
    this.pending = [];
    this.indexed.clear();
    this.dead = 0;
  }

  /** Merges the pending buckets into the sorted index and drops tombstones when they pile up. */
  private settle(): void {
    if (this.pending.length > 0) {
      const p = this.pending.sort((a, b) => a - b);
      const s = this.sorted;
      const out: number[] = new Array<number>(s.length + p.length);
      let i = 0;
      let j = 0;
      let k = 0;
      while (i < s.length && j < p.length) out[k++] = s[i]! < p[j]! ? s[i++]! : p[j++]!;
      while (i < s.length) out[k++] = s[i++]!;
      while (j < p.length) out[k++] = p[j++]!;
      this.sorted = out;
      this.pending = [];
    }
    if (this.dead > 0 && this.dead * 2 >= this.sorted.length) {
      this.sorted = this.sorted.filter((b) => {
        if (this.buckets.has(b)) return true;
        this.indexed.delete(b);
        return false;
      });
      this.dead = 0;
    }
  }

  /** Position in `sorted` of the first bucket index ≥ `b`. */
  private lowerBound(b: number): number {
    const s = this.sorted;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]! < b) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The first key of the first non-empty bucket at index ≥ `from`. */
  private firstFrom(from: number): string | undefined {
    this.settle();
    const s = this.sorted;
    for (let i = this.lowerBound(from); i < s.length; i++) {
      const l = this.buckets.get(s[i]!);
      if (l !== undefined) return l[0];
    }
    return undefined;
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
    this.settle();
    for (const b of [...this.sorted]) {
      const l = this.buckets.get(b);
      if (l !== undefined) yield* [...l];
    }
  }
}
