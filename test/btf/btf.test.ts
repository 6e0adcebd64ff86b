import { describe, expect, it, onTestFinished } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BtfBuilder,
  decodeBtf,
  decodeBtfExt,
  encodeBtfExt,
  encodeBtf,
  formatBtf,
  readBtfHeader,
  btfSizeof,
  btfAlignof,
  skipModifiers,
  findType,
  cTypeName,
  BTF_INT_SIGNED,
  BTF_INT_BOOL,
  type Btf,
  type BtfType,
} from '../../src/btf/index';
import { readElf, writeElf, SHT_PROGBITS, SHT_STRTAB, type ElfFile } from '../../src/elf/index';
import { BtfError, type Endian } from '../../src/util/index';
import { tools, needs } from '../helpers/tools';
import { FIXTURE_OBJECTS, fixture } from '../elf/fixture-files';

const sectionOf = (bytes: Uint8Array, name: string): Uint8Array | undefined => readElf(bytes).sections.find((s) => s.name === name)?.data;

/** One type of every kind, with edge values (bitfields, signed enums, enum64 beyond 2^53). */
function everyKind(): BtfType[] {
  return [
    { kind: 'int', name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32 }, // 1
    { kind: 'ptr', type: 1 }, // 2
    { kind: 'array', type: 1, indexType: 1, nelems: 7 }, // 3
    { kind: 'struct', name: 'pair', size: 8, kflag: true, members: [{ name: 'a', type: 1, bitOffset: 0, bitSize: 3 }, { name: '', type: 1, bitOffset: 32, bitSize: 0 }] }, // 4
    { kind: 'union', name: '', size: 4, kflag: false, members: [{ name: 'x', type: 1, bitOffset: 0, bitSize: 0 }] }, // 5
    { kind: 'enum', name: 'e', size: 4, signed: true, values: [{ name: 'NEG', value: -5 }, { name: 'POS', value: 9 }] }, // 6
    { kind: 'enum64', name: 'big', size: 8, signed: false, values: [{ name: 'HUGE', value: 0xfedcba9876543210n }, { name: 'ONE', value: 1 }] }, // 7
    { kind: 'fwd', name: 'later', union: true }, // 8
    { kind: 'typedef', name: 'int_t', type: 1 }, // 9
    { kind: 'volatile', type: 9 }, // 10
    { kind: 'const', type: 10 }, // 11
    { kind: 'restrict', type: 2 }, // 12
    { kind: 'func_proto', returnType: 1, params: [{ name: 'ctx', type: 2 }, { name: '', type: 0 }] }, // 13
    { kind: 'func', name: 'f', type: 13, linkage: 1 }, // 14
    { kind: 'var', name: 'v', type: 1, linkage: 1 }, // 15
    { kind: 'datasec', name: '.data', size: 4, vars: [{ type: 15, offset: 0, size: 4 }] }, // 16
    { kind: 'float', name: 'double', size: 8 }, // 17
    { kind: 'decl_tag', name: 'tag', type: 4, componentIdx: -1 }, // 18
    { kind: 'type_tag', name: 'user', type: 1 }, // 19
    { kind: 'int', name: '_Bool', size: 1, encoding: BTF_INT_BOOL, bitOffset: 0, bits: 8 }, // 20
    { kind: 'decl_tag', name: 'member_tag', type: 4, componentIdx: 1 }, // 21
  ];
}
const btfOf = (types: BtfType[]): Btf => ({ types: [{ kind: 'void' }, ...types] });

describe('BTF decode / format against bpftool', () => {
  it('formats the counter BTF as bpftool prints it', () => {
    const btf = decodeBtf(sectionOf(fixture('counter.o'), '.BTF')!);
    const text = formatBtf(btf);
    expect(text).toContain(`[1] PTR '(anon)' type_id=3\n[2] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED\n`);
    expect(text).toContain(`[13] STRUCT '(anon)' size=32 vlen=4\n\t'type' type_id=1 bits_offset=0\n`);
    expect(text).toContain(`[14] VAR 'pkt_count' type_id=13, linkage=global\n`);
    expect(text).toContain(`[22] DATASEC '.maps' size=0 vlen=1\n\ttype_id=14 offset=0 size=32 (VAR 'pkt_count')\n`);
  });

  it.skipIf(!tools.bpftool)(`is identical to bpftool btf dump file for every fixture${needs('bpftool')}`, () => {
    for (const o of FIXTURE_OBJECTS) {
      const btf = decodeBtf(sectionOf(o.bytes, '.BTF')!);
      expect(formatBtf(btf), o.file).toBe(execFileSync(tools.bpftool!, ['btf', 'dump', 'file', o.path], { encoding: 'utf8' }));
    }
  });

  it('decodes both byte orders to the same types', () => {
    for (const name of ['counter', 'struct_value', 'multi', 'globals']) {
      expect(decodeBtf(sectionOf(fixture(`${name}.eb.o`), '.BTF')!)).toEqual(decodeBtf(sectionOf(fixture(`${name}.o`), '.BTF')!));
    }
  });
});

describe('BTF encode', () => {
  it('re-encodes every fixture byte-for-byte (seeded with its string table)', () => {
    for (const o of FIXTURE_OBJECTS) {
      const raw = sectionOf(o.bytes, '.BTF')!;
      const again = encodeBtf(decodeBtf(raw), o.variant === 'eb.o' ? 'be' : 'le', readBtfHeader(raw).strings);
      expect(Buffer.compare(Buffer.from(again), Buffer.from(raw)), o.file).toBe(0);
    }
  });

  for (const endian of ['le', 'be'] as Endian[]) {
    it(`round-trips one type of every kind (${endian})`, () => {
      const btf = btfOf(everyKind());
      const bytes = encodeBtf(btf, endian);
      expect(decodeBtf(bytes)).toEqual(btf);
      expect(readBtfHeader(bytes).endian).toBe(endian);
    });
  }

  it('BtfBuilder interns each string once and counts ids from 1', () => {
    const b = new BtfBuilder();
    const i = b.add({ kind: 'int', name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32 });
    const t = b.add({ kind: 'typedef', name: 'int', type: i });
    expect([i, t, b.count]).toEqual([1, 2, 2]);
    expect(b.addString('int')).toBe(1);
    expect(readBtfHeader(b.encode()).strings.length).toBe(5); // "\0int\0"
  });

  it.skipIf(!tools.bpftool)(`an object carrying every kind dumps in bpftool exactly as formatBtf prints it${needs('bpftool')}`, () => {
    const btf = btfOf(everyKind());
    const dir = mkdtempSync(join(tmpdir(), 'xdpts-btf-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const endian of ['le', 'be'] as Endian[]) {
      const data = encodeBtf(btf, endian);
      const f: ElfFile = {
        endian,
        machine: 247,
        type: 1,
        flags: 0,
        sections: [
          { index: 0, name: '', type: 0, flags: 0, data: new Uint8Array(0), size: 0, link: 0, info: 0, addralign: 0, entsize: 0, offset: 0 },
          { index: 1, name: '.BTF', type: SHT_PROGBITS, flags: 0, data, size: data.length, link: 0, info: 0, addralign: 4, entsize: 0, offset: 0 },
          { index: 2, name: '.strtab', type: SHT_STRTAB, flags: 0, data: new Uint8Array(1), size: 1, link: 0, info: 0, addralign: 1, entsize: 0, offset: 0 },
        ],
        symbols: [{ name: '', value: 0, size: 0, bind: 0, type: 0, other: 0, section: 0 }],
        relocSections: [],
      };
      const path = join(dir, `kinds.${endian}.o`);
      writeFileSync(path, writeElf(f));
      expect(execFileSync(tools.bpftool!, ['btf', 'dump', 'file', path], { encoding: 'utf8' }), endian).toBe(formatBtf(btf));
    }
  });
});

describe('BTF errors are BtfError with the offset', () => {
  const good = encodeBtf(btfOf(everyKind()), 'le');
  const v = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const mutate = (f: (d: DataView) => void): Uint8Array => {
    const b = good.slice();
    f(v(b));
    return b;
  };
  const expectBtfError = (bytes: Uint8Array, msg: RegExp, offset: number): void => {
    let err: unknown;
    try {
      decodeBtf(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfError);
    expect((err as BtfError).message).toMatch(msg);
    expect((err as BtfError).offset).toBe(offset);
  };
  it('bad magic', () => expectBtfError(mutate((d) => d.setUint16(0, 0x1234, true)), /bad BTF magic/, 0));
  it('header longer than the section', () => expectBtfError(good.slice(0, 10), /hdr_len 24 past the end/, 4));
  it('truncated header', () => expectBtfError(good.slice(0, 5), /truncated BTF header/, 4));
  it('type section past the end', () => expectBtfError(good.slice(0, 100), /type section .* past the end/, 12));
  it('unknown kind', () => expectBtfError(mutate((d) => d.setUint32(24 + 4, 25 << 24, true)), /unknown BTF kind 25/, 28));
  it('name offset past the string table', () => expectBtfError(mutate((d) => d.setUint32(24, 0xffff, true)), /name offset 65535 past the end/, 24));
  it('type id out of range', () => expectBtfError(mutate((d) => d.setUint32(24 + 16 + 8, 999, true)), /refers to type id 999/, 24 + 16));
  it('truncated type record', () => {
    const b = good.slice();
    v(b).setUint32(12, 14, true); // type_len cuts the first INT's extra u32
    expectBtfError(b, /truncated BTF type/, 24 + 12);
  });
  it('decodeBtfExt rejects a bad record size', () => {
    const raw = sectionOf(fixture('counter.o'), '.BTF')!;
    const ext = sectionOf(fixture('counter.o'), '.BTF.ext')!.slice();
    const hdrLen = v(ext).getUint32(4, true);
    const lineOff = v(ext).getUint32(16, true);
    v(ext).setUint32(hdrLen + lineOff, 3, true);
    expect(() => decodeBtfExt(ext, raw)).toThrowError(BtfError);
  });
  it('mutated .BTF and .BTF.ext sections only raise BtfError (fuzz, 1,500 mutations)', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const srcs = FIXTURE_OBJECTS.filter((o) => o.variant !== 'c14.o').map((o) => ({ btf: sectionOf(o.bytes, '.BTF')!, ext: sectionOf(o.bytes, '.BTF.ext')! }));
    // A fixed number of mutations (not a time budget), so a loaded machine runs the same cases.
    let n = 0;
    while (n < 1500) {
      const s = srcs[n % srcs.length]!;
      const which = rand() < 0.5;
      const b = (which ? s.btf : s.ext).slice();
      for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.2 ? b.slice(0, Math.floor(rand() * b.length)) : b;
      try {
        if (which) {
          const btf = decodeBtf(cut);
          for (let id = 1; id < btf.types.length; id++) {
            try {
              btfSizeof(btf, id);
              btfAlignof(btf, id);
              cTypeName(btf, id);
            } catch (e) {
              if (!(e instanceof BtfError)) throw e;
            }
          }
        } else decodeBtfExt(cut, s.btf);
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
      }
      n++;
    }
    expect(n).toBe(1500);
  });
});

describe('.BTF.ext', () => {
  it('decodes func_info and line_info of the counter', () => {
    const o = fixture('counter.o');
    const ext = decodeBtfExt(sectionOf(o, '.BTF.ext')!, sectionOf(o, '.BTF')!);
    expect(ext.funcInfo.get('xdp')).toEqual([{ insnOff: 0, typeId: 18 }]);
    const lines = ext.lineInfo.get('xdp')!;
    expect(lines.length).toBe(6);
    expect(lines[0]).toMatchObject({ insnOff: 0, lineNum: 13, lineCol: 0, line: 'int count_packets(struct xdp_md *ctx)' });
    expect(lines[1]).toMatchObject({ insnOff: 8, lineNum: 15, lineCol: 8, line: '\t__u32 key = 0;' });
    expect(lines[0]!.fileName).toMatch(/counter\.c$/);
    expect(lines.map((l) => l.insnOff)).toEqual([...lines.map((l) => l.insnOff)].sort((a, b) => a - b));
  });
  it('decodes CO-RE relocation records (core.c: field exists + byte offset)', () => {
    for (const file of ['core.o', 'core.eb.o', 'core.c14.o']) {
      const o = fixture(file);
      const btfBytes = sectionOf(o, '.BTF')!;
      const ext = decodeBtfExt(sectionOf(o, '.BTF.ext')!, btfBytes);
      const relos = ext.coreRelos.get('xdp')!;
      // kind 2 = BPF_CORE_FIELD_EXISTS, 0 = BPF_CORE_FIELD_BYTE_OFFSET; "0:2" = third member.
      expect(relos.map((r) => [r.insnOff, r.accessStr, r.kind]), file).toEqual([[8, '0:2', 2], [24, '0:2', 0]]);
      expect(decodeBtf(btfBytes).types[relos[0]!.typeId], file).toMatchObject({ kind: 'struct', name: 'xdp_md___local' });
    }
  });
  it('decodes the same records from the big-endian build', () => {
    const le = fixture('subprog.o');
    const be = fixture('subprog.eb.o');
    const a = decodeBtfExt(sectionOf(le, '.BTF.ext')!, sectionOf(le, '.BTF')!);
    const b = decodeBtfExt(sectionOf(be, '.BTF.ext')!, sectionOf(be, '.BTF')!);
    expect([...b.funcInfo]).toEqual([...a.funcInfo]);
    expect([...b.lineInfo.keys()]).toEqual([...a.lineInfo.keys()]);
  });
  it('re-encodes every clang-made .BTF.ext (clang-19 and -14, both byte orders) to the same bytes', () => {
    let n = 0;
    for (const o of FIXTURE_OBJECTS) {
      const btfBytes = sectionOf(o.bytes, '.BTF')!;
      const extBytes = sectionOf(o.bytes, '.BTF.ext')!;
      const hdr = readBtfHeader(btfBytes);
      const strings = new BtfBuilder(hdr.strings);
      const ext = decodeBtfExt(extBytes, btfBytes);
      const again = encodeBtfExt(ext, (s) => strings.stringOffset(s), hdr.endian);
      // clang-14 writes the 24-byte header when there are no CO-RE relocations; clang-19 always 32.
      const hdrLen = new DataView(extBytes.buffer, extBytes.byteOffset).getUint32(4, hdr.endian === 'le');
      if (hdrLen === 32) {
        expect(Buffer.from(again).toString('hex'), o.file).toBe(Buffer.from(extBytes).toString('hex'));
        n++;
      }
      expect([...decodeBtfExt(again, btfBytes).lineInfo], o.file).toEqual([...ext.lineInfo]);
      expect([...decodeBtfExt(again, btfBytes).funcInfo], o.file).toEqual([...ext.funcInfo]);
      // Every string the records name was already in the table: nothing new was interned.
      expect(strings.encode(hdr.endian).length, o.file).toBe(24 + hdr.strings.length);
    }
    expect(n).toBeGreaterThanOrEqual(18);
  });
});

describe('C layout helpers', () => {
  const btf = decodeBtf(sectionOf(fixture('struct_value.o'), '.BTF')!);
  it('sizes and aligns through typedef, const and volatile', () => {
    const flowStats = findType(btf, 'flow_stats_t', 'typedef');
    expect(btfSizeof(btf, flowStats)).toBe(40);
    expect(btfAlignof(btf, flowStats)).toBe(8);
    const pair = findType(btf, 'addr_pair', 'struct');
    expect([btfSizeof(btf, pair), btfAlignof(btf, pair)]).toEqual([8, 4]);
    const constTs = btf.types.findIndex((t) => t.kind === 'const');
    expect(btf.types[skipModifiers(btf, constTs)]).toMatchObject({ kind: 'int', name: 'long long' });
    expect(btfSizeof(btf, constTs)).toBe(8);
    const tag = btf.types.findIndex((t) => t.kind === 'array' && t.nelems === 6);
    expect([btfSizeof(btf, tag), btfAlignof(btf, tag)]).toEqual([6, 1]);
    expect(cTypeName(btf, constTs)).toBe('const volatile __s64');
  });
  it('sizes a pointer as 8 bytes and detects packed structs', () => {
    const b = btfOf([
      { kind: 'int', name: 'int', size: 4, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 32 },
      { kind: 'ptr', type: 1 },
      { kind: 'struct', name: 'packed', size: 5, kflag: false, members: [{ name: 'c', type: 4, bitOffset: 0, bitSize: 0 }, { name: 'i', type: 1, bitOffset: 8, bitSize: 0 }] },
      { kind: 'int', name: 'char', size: 1, encoding: BTF_INT_SIGNED, bitOffset: 0, bits: 8 },
    ]);
    expect(btfSizeof(b, 2)).toBe(8);
    expect(btfAlignof(b, 3)).toBe(1);
  });
  it('refuses a typedef cycle instead of hanging', () => {
    const b = btfOf([{ kind: 'typedef', name: 'a', type: 2 }, { kind: 'typedef', name: 'b', type: 1 }]);
    expect(() => btfSizeof(b, 1)).toThrowError(BtfError);
    expect(() => skipModifiers(b, 1)).toThrowError(BtfError);
  });
});
