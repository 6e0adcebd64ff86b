// Inlined map lookups (SpecializedHelperFn.inline): both engines compute the helper's own result
// on the fast path, and call the helper for everything the description does not cover.
import { describe, expect, test } from 'vitest';
import { insn, lddw } from '../../src/isa';
import { compile, createSpace, type HelperCall, type HelperTable, type InlineLookup, type SpecializedHelperFn } from '../../src/vm';

const EXIT = insn(0x95);

/** *(uK *)(r10 - 4) = key; r2 = r10 - 4 (or NULL); r1 = 7; call 1; r0 = r0 ? *(u8 *)r0 : 255. */
function program(key: number, keySize: 2 | 4, nullKey = false) {
  return [
    insn(keySize === 4 ? 0x62 : 0x6a, 10, 0, -4, key),
    nullKey ? insn(0xb7, 2, 0, 0, 0) : insn(0xbf, 2, 10),
    insn(0x07, 2, 0, 0, nullKey ? 0 : -4),
    lddw(1, 7n),
    insn(0x85, 0, 0, 0, 1),
    insn(0x15, 0, 0, 2, 0),
    insn(0x71, 0, 0, 0, 0),
    EXIT,
    insn(0xb7, 0, 0, 0, 255),
    EXIT,
  ];
}

/** A lookup helper over `find`, and a table offering it specialised with `inline`. */
function table(keySize: 2 | 4, find: (key: number) => Uint8Array | undefined, inline: InlineLookup | undefined, calls: { n: number }): HelperTable {
  const fn = (c: HelperCall): void => {
    calls.n++;
    const lo = c.args[2]!;
    const u8 = c.mem.check(lo, c.args[3]!, keySize, false);
    const o = lo >>> 0;
    const key = keySize === 4 ? (u8[o]! | (u8[o + 1]! << 8) | (u8[o + 2]! << 16) | (u8[o + 3]! << 24)) >>> 0 : u8[o]! | (u8[o + 1]! << 8);
    const v = find(key);
    if (v === undefined) c.ret(0);
    else c.retPtr(0, c.mem.expose(v, true));
  };
  const special: SpecializedHelperFn = inline === undefined ? fn : Object.assign(fn, { inline });
  return { helpers: Object.assign([], { 1: fn }), specialize: (id, lo) => (id === 1 && lo === 7 ? special : undefined) };
}

describe.each(['interp', 'jit'] as const)('inlined lookups (%s)', (engine) => {
  test('array: allocated values inline, the rest through the helper, same results', () => {
    const values: (Uint8Array | undefined)[] = [new Uint8Array([10]), undefined, new Uint8Array([12])];
    const find = (k: number) => (k < 3 ? (values[k] ??= new Uint8Array([10 + k])) : undefined);
    const calls = { n: 0 };
    const t = table(4, find, { kind: 'array', maxEntries: 3, values, writable: true }, calls);
    const run = (key: number) => compile(program(key, 4), { engine, helpers: t, space: createSpace() }).runRaw().r0lo;
    expect(run(0)).toBe(10);
    expect(run(2)).toBe(12);
    expect(calls.n).toBe(0);
    expect(run(1)).toBe(11); // not allocated yet: the helper allocates it
    expect(calls.n).toBe(1);
    expect(run(1)).toBe(11);
    expect(calls.n).toBe(1);
    expect(run(3)).toBe(255); // past max_entries: the helper says NULL
    expect(run(-1)).toBe(255);
  });

  test('hash: hits and misses inline for 2- and 4-byte keys', () => {
    for (const keySize of [2, 4] as const) {
      const entries = new Map([[0x1234, { values: [new Uint8Array([42])] }], [0xbeef, { values: [new Uint8Array([43])] }]]);
      const calls = { n: 0 };
      const t = table(keySize, (k) => entries.get(k)?.values[0], { kind: 'hash', keySize, entries, writable: true }, calls);
      const run = (key: number) => compile(program(key, keySize), { engine, helpers: t, space: createSpace() }).runRaw().r0lo;
      expect(run(0x1234)).toBe(42);
      expect(run(0xbeef)).toBe(43);
      expect(run(0x4321)).toBe(255);
      expect(calls.n).toBe(0);
    }
  });

  test('a key pointer the helper cannot read faults exactly as the helper does', () => {
    const calls = { n: 0 };
    const entries = new Map<number, { values: Uint8Array[] }>();
    const inlined = table(4, () => undefined, { kind: 'hash', keySize: 4, entries, writable: true }, calls);
    const plain = table(4, () => undefined, undefined, calls);
    const f1 = compile(program(0, 4, true), { engine, helpers: inlined, space: createSpace() }).runRaw().fault;
    const f2 = compile(program(0, 4, true), { engine, helpers: plain, space: createSpace() }).runRaw().fault;
    expect(f1?.reason).toBeDefined();
    expect(f1?.reason).toBe(f2?.reason);
    expect(f1?.pc).toBe(f2?.pc);
  });
});
