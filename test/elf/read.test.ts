import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readElf, EM_BPF, SHT_REL, SHT_SYMTAB, STT_FUNC, R_BPF_64_64 } from '../../src/elf/index';
import { ElfError } from '../../src/util/index';
import { tools, needs } from '../helpers/tools';
import { FIXTURE_OBJECTS, fixture } from './fixture-files';

describe('readElf on the clang fixtures', () => {
  it('reads the counter object: header, sections, symbols and its map relocation', () => {
    const f = readElf(fixture('counter.o'), 'counter.o');
    expect(f.endian).toBe('le');
    expect(f.machine).toBe(EM_BPF);
    expect(f.type).toBe(1);
    const xdp = f.sections.find((s) => s.name === 'xdp')!;
    expect(xdp.data.length).toBe(96);
    expect(xdp.addralign).toBe(8); // elfy alone would report garbage here (ELF64 offsets 46/54)
    const symtab = f.sections.find((s) => s.type === SHT_SYMTAB)!;
    expect(symtab.entsize).toBe(24);
    const fn = f.symbols.find((s) => s.name === 'count_packets')!;
    expect(fn).toMatchObject({ type: STT_FUNC, section: xdp.index, value: 0, size: 96 });
    const rel = f.relocSections.find((r) => r.target === xdp.index)!;
    expect(f.sections[rel.section]!.name).toBe('.relxdp');
    expect(rel.relocations).toEqual([{ offset: 0x20, type: R_BPF_64_64, symbol: f.symbols.findIndex((s) => s.name === 'pkt_count') }]);
  });

  it('reads the big-endian build with the same structure', () => {
    const le = readElf(fixture('counter.o'));
    const be = readElf(fixture('counter.eb.o'));
    expect(be.endian).toBe('be');
    expect(be.sections.map((s) => s.name)).toEqual(le.sections.map((s) => s.name));
    expect(be.symbols.map((s) => [s.name, s.value, s.size])).toEqual(le.symbols.map((s) => [s.name, s.value, s.size]));
    expect(be.relocSections.map((r) => r.relocations.length)).toEqual(le.relocSections.map((r) => r.relocations.length));
  });

  it('reads every fixture', () => {
    expect(FIXTURE_OBJECTS.length, 'fixtures/c objects (3 builds of each source)').toBeGreaterThanOrEqual(27);
    for (const o of FIXTURE_OBJECTS) {
      const f = readElf(o.bytes, o.file);
      expect(f.sections.length, o.file).toBeGreaterThan(5);
      expect(f.symbols[0]!.name).toBe('');
      expect(f.relocSections.length).toBe(f.sections.filter((s) => s.type === SHT_REL).length);
    }
  });

  it('names the file in errors', () => {
    expect(() => readElf(new Uint8Array(10), 'x.o')).toThrowError(/^x\.o: truncated/);
  });
});

interface ReadobjJson {
  Sections: { Section: { Index: number; Name: { Name: string }; Type: { Value: number }; Flags: { Value: number }; Offset: number; Size: number; Link: number; Info: number; AddressAlignment: number; EntrySize: number } }[];
  Symbols: { Symbol: { Name: { Name: string }; Value: number; Size: number; Binding: { Value: number }; Type: { Value: number }; Section: { Value: number } } }[];
  Relocations: { SectionIndex: number; Relocs: { Relocation: { Offset: number; Type: { Value: number }; Symbol: { Name: string } } }[] }[];
}

describe(`readElf against llvm-readobj${needs('llvmReadelf')}`, () => {
  const readobj = tools.llvmReadelf?.replace(/llvm-readelf/, 'llvm-readobj');
  it.skipIf(!tools.llvmReadelf)('matches sections, symbols and relocations of every fixture', () => {
    for (const o of FIXTURE_OBJECTS) {
      const out = execFileSync(readobj!, ['--elf-output-style=JSON', '-S', '-s', '-r', o.path], { encoding: 'utf8' });
      const j = (JSON.parse(out) as ReadobjJson[])[0]!;
      const f = readElf(o.bytes, o.file);
      expect(f.sections.map((s) => [s.index, s.name, s.type, s.flags, s.offset, s.size, s.link, s.info, s.addralign, s.entsize]), o.file).toEqual(
        j.Sections.map(({ Section: s }) => [s.Index, s.Name.Name, s.Type.Value, s.Flags.Value, s.Offset, s.Size, s.Link, s.Info, s.AddressAlignment, s.EntrySize]),
      );
      // llvm-readobj names a section symbol after its section.
      const symName = (s: { name: string; type: number; section: number }): string =>
        s.type === 3 && s.name === '' ? f.sections[s.section]!.name : s.name;
      expect(f.symbols.map((s) => [symName(s), s.value, s.size, s.bind, s.type, s.section]), o.file).toEqual(
        j.Symbols.map(({ Symbol: s }) => [s.Name.Name, s.Value, s.Size, s.Binding.Value, s.Type.Value, s.Section.Value]),
      );
      const mine = f.relocSections.map((r) => ({
        SectionIndex: r.section,
        Relocs: r.relocations.map((x) => [x.offset, x.type, symName(f.symbols[x.symbol]!)]),
      }));
      const theirs = (j.Relocations ?? []).map((r) => ({
        SectionIndex: r.SectionIndex,
        Relocs: r.Relocs.map(({ Relocation: x }) => [x.Offset, x.Type.Value, x.Symbol.Name]),
      }));
      expect(mine, o.file).toEqual(theirs);
    }
  });
});

describe('readElf reports malformed files as ElfError with the offset', () => {
  const base = fixture('counter.o');
  const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const mutate = (f: (b: Uint8Array, v: DataView) => void): Uint8Array => {
    const b = base.slice();
    f(b, view(b));
    return b;
  };
  const shoff = Number(view(base).getBigUint64(40, true));
  const sh = (i: number): number => shoff + i * 64;
  const parsed = readElf(base);
  const symtabIdx = parsed.sections.findIndex((s) => s.type === SHT_SYMTAB);
  const relIdx = parsed.relocSections[0]!.section;
  const relOff = parsed.sections[relIdx]!.offset;

  const cases: [string, Uint8Array, RegExp, number][] = [
    ['empty file', new Uint8Array(0), /truncated ELF identification/, 0],
    ['truncated header', base.slice(0, 40), /truncated ELF header/, 40],
    ['bad magic', mutate((b) => (b[1] = 0x46)), /bad ELF magic/, 0],
    ['32-bit class', mutate((b) => (b[4] = 1)), /bad ELF class/, 4],
    ['bad data encoding', mutate((b) => (b[5] = 3)), /bad ELF data encoding/, 5],
    ['zero e_shentsize', mutate((_, v) => v.setUint16(58, 0, true)), /bad e_shentsize/, 58],
    ['section headers past the end', base.slice(0, shoff + 100), /section header table .* past the end/, shoff],
    ['e_shstrndx out of range', mutate((_, v) => v.setUint16(62, 200, true)), /e_shstrndx 200 out of range/, 62],
    ['section data past the end', mutate((_, v) => v.setBigUint64(sh(3) + 32, 0x100000n, true)), /section 3 data .* past the end/, sh(3) + 24],
    ['section name past the string table', mutate((_, v) => v.setUint32(sh(3), 0xffff, true)), /section 3 name: string index 65535 past the end/, sh(3)],
    ['symbol name past the string table', mutate((_, v) => v.setUint32(parsed.sections[symtabIdx]!.offset + 24 * 11, 0xfffff, true)), /symbol 11 name: string index/, parsed.sections[symtabIdx]!.offset + 24 * 11],
    ['symbol section out of range', mutate((_, v) => v.setUint16(parsed.sections[symtabIdx]!.offset + 24 * 11 + 6, 300, true)), /symbol 11: section index 300 out of range/, parsed.sections[symtabIdx]!.offset + 24 * 11 + 6],
    ['relocation symbol out of range', mutate((_, v) => v.setUint32(relOff + 12, 99, true)), /names symbol 99/, relOff + 8],
    ['relocation offset outside its section', mutate((_, v) => v.setBigUint64(relOff, 0x58n, true)), /outside xdp/, relOff],
    ['relocation section with a bad target', mutate((_, v) => v.setUint32(sh(relIdx) + 44, 999, true)), /sh_info 999/, sh(relIdx) + 44],
    ['symtab size not a multiple of 24', mutate((_, v) => v.setBigUint64(sh(symtabIdx) + 32, 25n, true)), /not a multiple of 24/, sh(symtabIdx) + 32],
    ['huge section size', mutate((_, v) => v.setBigUint64(sh(3) + 32, 0xffffffffffffff00n, true)), /too large/, sh(3) + 32],
  ];
  for (const [what, bytes, msg, offset] of cases) {
    it(what, () => {
      let err: unknown;
      try {
        readElf(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ElfError);
      expect((err as ElfError).message).toMatch(msg);
      expect((err as ElfError).offset).toBe(offset);
    });
  }
});
