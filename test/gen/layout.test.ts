/**
 * The generated codecs against clang's layout: fixtures/gen/rich_sample.{o,eb.o} hold a
 * `struct record` in .data whose bytes clang laid out (padding, nested structs, unions,
 * bitfields, 64/128-bit members, both byte orders). Decoding those bytes must give the values of
 * the C initialiser, and encoding those values must give the same bytes; every codec's size
 * must equal the BTF size.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeBtf } from '../../src/btf';
import { readElf } from '../../src/elf';
import { ROOT, generateCase, importGenerated, readCase, writeTemp } from './harness';

interface Codec<T> {
  size: number;
  align: number;
  encode(x: T): Uint8Array;
  decode(b: Uint8Array): T;
}
type RichModule = Record<string, unknown> & { RichRecord: Codec<Record<string, unknown>> };

function section(path: string, name: string): Uint8Array {
  const elf = readElf(new Uint8Array(readFileSync(join(ROOT, path))), path);
  const s = elf.sections.find((x) => x.name === name);
  if (!s) throw new Error(`${path}: no ${name}`);
  return s.data;
}

/** The C initialiser of rich_sample.c as the generated types decode it. */
function expectedRecord(le: boolean): Record<string, unknown> {
  const name = new Uint8Array(10);
  name.set([0x65, 0x74, 0x68, 0x30]);
  return {
    kind: 0xab,
    packets: 0x0102030405060708n,
    addrs: { src: 0xc0a80001, dst: 0x0a000002 },
    ep: { port: 8080, proto: 17, ifindex: 3 },
    val: {
      u64: 0x1122334455667788n,
      s32: le ? [0x55667788, 0x11223344] : [0x11223344, 0x55667788],
      raw: Uint8Array.from(le ? [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11] : [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88]),
    },
    anon0: { asU32: 0xdeadbeef, asU16: le ? [0xbeef, 0xdead] : [0xdead, 0xbeef] },
    range: { lo: 10, hi: 65535 },
    bf: { a: 5, b: -7, c: 0xabc, wide: 0xfedcba9876n, flag: true, col: -3 },
    ports: [1, 2, 3, 65535],
    hist: [...Array.from({ length: 19 }, (_, i) => i + 1), 0xffffffff],
    pairs: [{ src: 1, dst: 2 }, { src: 3, dst: 4 }],
    matrix: [Uint8Array.from([1, 2, 3]), Uint8Array.from([4, 5, 6])],
    name,
    color: 2,
    big: 0x100000000n,
    ok: true,
    ratio: 0.5,
    mean: -2.25,
    ptr: 0n,
    delta: -123456789012345n,
    huge: 0x0123456789abcdeffedcba9876543210n,
  };
}

describe('generated codecs match clang layout', () => {
  const mods: Record<string, RichModule> = {};
  beforeAll(async () => {
    const files = await generateCase(readCase('rich'));
    const dir = writeTemp(files);
    try {
      for (const f of files) mods[f.target] = await importGenerated<RichModule>(dir, f.path);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [target, obj, le] of [['bpfel', 'fixtures/gen/rich_sample.o', true], ['bpfeb', 'fixtures/gen/rich_sample.eb.o', false]] as const) {
    it(`${target}: decodes clang's bytes of struct record into the C initialiser's values`, () => {
      const bytes = section(obj, '.data');
      expect(bytes.length).toBe(256);
      expect(mods[target]!.RichRecord.decode(bytes)).toEqual(expectedRecord(le));
    });

    it(`${target}: encodes the values into exactly clang's bytes (padding zeroed, one union arm)`, () => {
      const v = expectedRecord(le);
      v['val'] = { u64: 0x1122334455667788n };
      v['anon0'] = { asU32: 0xdeadbeef };
      const enc = mods[target]!.RichRecord.encode(v);
      expect(Buffer.from(enc).toString('hex')).toBe(Buffer.from(section(obj, '.data')).toString('hex'));
    });

    it(`${target}: decode(encode(x)) round-trips, including a decoded union with every arm set`, () => {
      const m = mods[target]!;
      const bytes = section(obj, '.data');
      const decoded = m.RichRecord.decode(bytes);
      expect(Buffer.from(m.RichRecord.encode(decoded))).toEqual(Buffer.from(bytes));
    });

    it(`${target}: every declared struct/union codec has its BTF size`, () => {
      const btf = decodeBtf(section(obj.replace('rich_sample', 'rich'), '.BTF'));
      const sizes: Record<string, number> = { RichAddrPair: 0, RichBits: 0, RichEndpointT: 0, RichRecord: 0, RichValueU: 0 };
      for (const t of btf.types) {
        if (t.kind === 'struct' || t.kind === 'union') {
          const n = { addr_pair: 'RichAddrPair', bits: 'RichBits', record: 'RichRecord', value_u: 'RichValueU' }[t.name];
          if (n) sizes[n] = t.size;
        }
      }
      sizes['RichEndpointT'] = 8;
      for (const [n, size] of Object.entries(sizes)) expect((m(target)[n] as Codec<unknown>).size, n).toBe(size);
    });
  }

  function m(target: string): RichModule {
    return mods[target]!;
  }

  it('bitfields: signed fields sign-extend, values truncate to their width like C', () => {
    const Bits = mods['bpfel']!['RichBits'] as Codec<Record<string, unknown>>;
    const x = { a: 9, b: -16, c: 0x1fff, wide: (1n << 41n) + 5n, flag: true, col: 7 };
    const back = Bits.decode(Bits.encode(x));
    expect(back).toEqual({ a: 1, b: -16, c: 0xfff, wide: 5n, flag: true, col: 7 });
  });

  it('refuses arrays of the wrong length and buffers of the wrong size', () => {
    const Rec = mods['bpfel']!.RichRecord;
    const v = expectedRecord(true);
    v['ports'] = [1, 2, 3];
    expect(() => Rec.encode(v)).toThrow(/ports: expected 4 elements, got 3/);
    expect(() => Rec.decode(new Uint8Array(10))).toThrow(RangeError);
  });
});
