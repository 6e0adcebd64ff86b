// The kernel's hash-table order (BucketOrder) against a plain model of it: buckets in index
// order, each newest first. Inserts, moves to the head, removals and walks interleave at random,
// so the lazily merged index and its tombstones are checked in every state.
import { describe, expect, test } from 'vitest';
import { BucketOrder } from '../../src/kernel/maps/buckets';
import { prng } from '../vm/helpers/random-program';

class Model {
  readonly lists = new Map<number, string[]>();
  readonly where = new Map<string, number>();
  addHead(k: string, b: number): void {
    this.remove(k);
    const l = this.lists.get(b) ?? [];
    l.unshift(k);
    this.lists.set(b, l);
    this.where.set(k, b);
  }
  remove(k: string): void {
    const b = this.where.get(k);
    if (b === undefined) return;
    this.where.delete(k);
    const l = this.lists.get(b)!;
    l.splice(l.indexOf(k), 1);
    if (l.length === 0) this.lists.delete(b);
  }
  keys(): string[] {
    return [...this.lists].sort((a, b) => a[0] - b[0]).flatMap(([, l]) => l);
  }
}

describe('BucketOrder', () => {
  test('matches the model under random adds, moves, removes and walks (seeded)', () => {
    const rnd = prng(4242);
    const o = new BucketOrder(64);
    const m = new Model();
    let walks = 0;
    for (let step = 0; step < 4000; step++) {
      const r = rnd();
      const k = `k${Math.floor(rnd() * 120)}`;
      if (r < 0.5) {
        const b = Math.floor(rnd() * 64);
        o.addHead(k, b);
        m.addHead(k, b);
      } else if (r < 0.8) {
        o.remove(k);
        m.remove(k);
      } else if (r < 0.9) {
        expect([...o.keys()]).toEqual(m.keys());
        walks++;
      } else {
        // get_next_key from a present or absent key
        const keys = m.keys();
        const i = keys.indexOf(k);
        expect(o.next(k)).toBe(i < 0 ? keys[0] : keys[i + 1]);
      }
    }
    expect(walks).toBeGreaterThan(100);
    o.clear();
    expect([...o.keys()]).toEqual([]);
  });

  test('deleting every key while walking with next() visits each once', () => {
    const o = new BucketOrder(1024);
    for (let i = 0; i < 3000; i++) o.addHead(`k${i}`, (i * 2654435761) >>> 22);
    const seen = new Set<string>();
    for (let k = o.next(undefined); k !== undefined; k = o.next(undefined)) {
      expect(seen.has(k)).toBe(false);
      seen.add(k);
      o.remove(k);
    }
    expect(seen.size).toBe(3000);
  });
});
