/**
 * The identifier rules and the BTF → TypeScript mapping on hand-built BTF: shapes clang does not
 * emit for our fixtures (kind_flag=0 bitfields, packed structs, signed 64-bit enums), type-name
 * clashes, `--type` resolution, maps without BTF, and hidden global-data maps.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BtfBuilder, BTF_INT_SIGNED, type Btf } from '../../src/btf';
import { assignMemberNames, camelName, generateModule, pascalName, validateIdent } from '../../src/gen';
import { alignOf } from '../../src/gen/btf-walk';
import { loadObject, type MapSpec, type ObjectSpec } from '../../src/object';
import { UsageError } from '../../src/util/errors';
import { ROOT } from './harness';

describe('names', () => {
  it('follows bpf2go’s walk, camelCase for members and PascalCase for types', () => {
    expect(camelName('pkt_count')).toBe('pktCount');
    expect(camelName('count_packets')).toBe('countPackets');
    expect(camelName('__len')).toBe('len');
    expect(camelName('XDP_PASS')).toBe('XDP_PASS');
    expect(camelName('foo__bar')).toBe('fooBar');
    expect(camelName('var_1')).toBe('var1');
    expect(pascalName('flow_stats')).toBe('FlowStats');
    expect(pascalName('xdp_md')).toBe('XdpMd');
  });

  it('keeps C spelling for colliding, invalid or reserved results, and stays unique', () => {
    const { names, warnings } = assignMemberNames(['foo_bar', 'fooBar', 'foo__bar', '_1x', 'new', '__proto__', 'x']);
    expect([...names].sort()).toEqual([
      ['_1x', '_1x'], ['__proto__', 'proto'], ['fooBar', 'fooBar'], ['foo__bar', 'foo__bar'], ['foo_bar', 'foo_bar'], ['new', 'new_'], ['x', 'x'],
    ]);
    expect(warnings).toHaveLength(1);
    expect(new Set(names.values()).size).toBe(names.size);
  });

  it('validates IDENT', () => {
    expect(() => validateIdent('counter')).not.toThrow();
    expect(() => validateIdent('my-prog')).toThrow(UsageError);
    expect(() => validateIdent('delete')).toThrow(/reserved/);
  });
});

/** A one-map object spec over hand-built BTF. */
function specWith(btf: Btf, map: Partial<MapSpec>): ObjectSpec {
  return {
    endian: 'le',
    license: 'GPL',
    btf,
    programs: [],
    maps: [{ name: 'm', type: 1, keySize: 4, valueSize: 4, maxEntries: 1, flags: 0, pinning: 0, keyTypeId: 0, valueTypeId: 0, section: '.maps', ...map }],
  };
}

const OBJ = new Uint8Array(64);

describe('BTF → TypeScript', () => {
  it('reads kind_flag=0 bitfields from the int type’s own bit offset and width', () => {
    const b = new BtfBuilder();
    const u32 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
    const bf3 = b.add({ kind: 'int', name: 'unsigned int', size: 4, encoding: 0, bitOffset: 0, bits: 3 });
    const bf5 = b.add({ kind: 'int', name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 5 });
    const s = b.add({
      kind: 'struct', name: 'old_bits', size: 8, kflag: false,
      members: [
        { name: 'a', type: bf3, bitOffset: 0, bitSize: 0 },
        { name: 'b', type: bf5, bitOffset: 3, bitSize: 0 },
        { name: 'c', type: u32, bitOffset: 32, bitSize: 0 },
      ],
    });
    const r = generateModule(specWith(b.btf, { valueSize: 8, valueTypeId: s }), OBJ, { ident: 't' });
    expect(r.text).toContain('a: getBits(v, o, 1, 0, 3, false),');
    expect(r.text).toContain('b: getBits(v, o, 1, 3, 5, true),');
    expect(r.text).toContain('c: v.getUint32(o + 4, LE),');
    expect(alignOf(b.btf, s)).toBe(4);
  });

  it('treats a struct with a misaligned member as packed (align 1), like libbpf', () => {
    const b = new BtfBuilder();
    const u8 = b.add({ kind: 'int', name: 'u8', size: 1, encoding: 0, bitOffset: 0, bits: 8 });
    const u32 = b.add({ kind: 'int', name: 'u32', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
    const s = b.add({
      kind: 'struct', name: 'packed_s', size: 5, kflag: false,
      members: [{ name: 'x', type: u8, bitOffset: 0, bitSize: 0 }, { name: 'y', type: u32, bitOffset: 8, bitSize: 0 }],
    });
    expect(alignOf(b.btf, s)).toBe(1);
    const r = generateModule(specWith(b.btf, { valueSize: 5, valueTypeId: s }), OBJ, { ident: 't' });
    expect(r.text).toContain('y: v.getUint32(o + 1, LE),');
    expect(r.text).toContain('codec(5, 1, readTPackedS, writeTPackedS)');
  });

  it('prints signed 64-bit enums as bigint literals and unsigned 32-bit values as unsigned', () => {
    const b = new BtfBuilder();
    const e64 = b.add({ kind: 'enum64', name: 'wide', size: 8, signed: true, values: [{ name: 'MIN', value: -(1n << 63n) }, { name: 'ONE', value: 1 }] });
    const e32 = b.add({ kind: 'enum', name: 'narrow', size: 4, signed: false, values: [{ name: 'TOP', value: -1 }] });
    const r = generateModule(specWith(b.btf, { keySize: 8, keyTypeId: e64, valueTypeId: e32 }), OBJ, { ident: 't' });
    expect(r.text).toContain('  MIN: -9223372036854775808n,');
    expect(r.text).toContain('  TOP: 4294967295,');
    expect(r.maps[0]).toMatchObject({ key: 'TWide', value: 'TNarrow' });
  });

  it('falls back to Uint8Array where there is no BTF or its size disagrees', () => {
    const b = new BtfBuilder();
    const u64 = b.add({ kind: 'int', name: 'u64', size: 8, encoding: 0, bitOffset: 0, bits: 64 });
    const r = generateModule(specWith(b.btf, { keyTypeId: 0, valueTypeId: u64 }), OBJ, { ident: 't' });
    expect(r.maps[0]).toMatchObject({ key: 'Uint8Array', value: 'Uint8Array' });
    expect(r.warnings.join('\n')).toMatch(/BTF value type is 8 bytes but the map says 4/);
    expect(r.text).toContain('coll.detachMap("m", rawCodec(4), rawCodec(4))');
  });

  it('refuses type names that clash with each other or with the module’s own names', () => {
    const b = new BtfBuilder();
    const u32 = b.add({ kind: 'int', name: 'u32', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
    b.add({ kind: 'struct', name: 'objects', size: 4, kflag: false, members: [{ name: 'x', type: u32, bitOffset: 0, bitSize: 0 }] });
    b.add({ kind: 'struct', name: 'a_b', size: 4, kflag: false, members: [{ name: 'x', type: u32, bitOffset: 0, bitSize: 0 }] });
    b.add({ kind: 'struct', name: 'a__b', size: 4, kflag: false, members: [{ name: 'x', type: u32, bitOffset: 0, bitSize: 0 }] });
    b.add({ kind: 'typedef', name: 'a_b', type: u32 });
    const spec = specWith(b.btf, {});
    expect(() => generateModule(spec, OBJ, { ident: 't', types: ['objects'] })).toThrow(/TObjects is used by both struct objects and a name the module itself uses/);
    expect(() => generateModule(spec, OBJ, { ident: 't', types: ['struct:a_b', 'a__b'] })).toThrow(/TAB is used by both/);
    expect(() => generateModule(spec, OBJ, { ident: 't', types: ['a_b'] })).toThrow(/ambiguous \(struct:a_b, typedef:a_b\)/);
    expect(generateModule(spec, OBJ, { ident: 't', types: ['typedef:a_b'] }).types).toEqual(['TAB']);
  });

  it('names anonymous types after their place, deterministically', () => {
    const b = new BtfBuilder();
    const u16 = b.add({ kind: 'int', name: 'u16', size: 2, encoding: 0, bitOffset: 0, bits: 16 });
    const inner = b.add({ kind: 'struct', name: '', size: 2, kflag: false, members: [{ name: 'lo', type: u16, bitOffset: 0, bitSize: 0 }] });
    const outer = b.add({ kind: 'struct', name: '', size: 2, kflag: false, members: [{ name: 'the_range', type: inner, bitOffset: 0, bitSize: 0 }] });
    const r = generateModule(specWith(b.btf, { valueSize: 2, valueTypeId: outer }), OBJ, { ident: 'x' });
    expect(r.types).toEqual(['XM' + 'Value', 'XMValueTheRange']);
  });

  it('hides global-data maps (.rodata/.data/.bss), as bpf2go does', () => {
    const bytes = new Uint8Array(readFileSync(join(ROOT, 'fixtures/c/globals.o')));
    const spec = loadObject(bytes, 'globals.o');
    expect(spec.maps.some((m) => m.isGlobalData)).toBe(true);
    const r = generateModule(spec, bytes, { ident: 'globals' });
    expect(r.maps).toEqual([]);
    expect(r.programs.map((p) => p.tsName)).toEqual(['xdpGlobals']);
  });
});
