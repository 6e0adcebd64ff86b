import { describe, expect, it, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildMapsSection,
  cIntTypeSize,
  loadObject,
  readElf,
  writeElf,
  BPF_MAP_TYPE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHT_PROGBITS,
  STB_GLOBAL,
  STB_LOCAL,
  STT_FUNC,
  STT_OBJECT,
  STT_SECTION,
  R_BPF_64_64,
  type ElfFile,
  type ElfSection,
  type MapDeclaration,
} from '../../src/object/index';
import { decodeBtf, formatBtf } from '../../src/btf/index';
import { encode, insn, lddw, OP_LDDW } from '../../src/isa/index';
import { ObjectError, encodeLatin1, type Endian } from '../../src/util/index';
import { tools, needs } from '../helpers/tools';
import { fixture } from '../elf/fixture-files';

const tmp = mkdtempSync(join(tmpdir(), 'xdpts-maps-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The C a user would write for these declarations (bpf_helpers.h macros). */
function cSource(decls: MapDeclaration[]): string {
  let src = '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n';
  // vmlinux.h spellings of the kernel integer types.
  src += 'typedef __u8 u8; typedef __s8 s8; typedef __u16 u16; typedef __s16 s16;\n';
  src += 'typedef __u32 u32; typedef __s32 s32; typedef __u64 u64; typedef __s64 s64;\n';
  for (const d of decls) {
    src += `struct {\n\t__uint(type, ${d.type});\n`;
    src += 'size' in d.key ? `\t__uint(key_size, ${d.key.size});\n` : `\t__type(key, ${d.key.type});\n`;
    src += 'size' in d.value ? `\t__uint(value_size, ${d.value.size});\n` : `\t__type(value, ${d.value.type});\n`;
    src += `\t__uint(max_entries, ${d.maxEntries});\n`;
    if (d.flags !== undefined) src += `\t__uint(map_flags, ${d.flags});\n`;
    if (d.pinning !== undefined) src += `\t__uint(pinning, ${d.pinning});\n`;
    src += `} ${d.name} SEC(".maps");\n`;
  }
  return src;
}

const CASES: [string, MapDeclaration[]][] = [
  ['the counter map', [{ name: 'pkt_count', type: BPF_MAP_TYPE.ARRAY, key: { type: '__u32' }, value: { type: '__u64' }, maxEntries: 1 }]],
  [
    'sizes, flags, pinning and shared types across maps',
    [
      { name: 'a', type: BPF_MAP_TYPE.HASH, key: { type: '__u32' }, value: { type: '__u32' }, maxEntries: 4, flags: 1, pinning: 1 },
      { name: 'b', type: BPF_MAP_TYPE.PERCPU_ARRAY, key: { size: 4 }, value: { size: 8 }, maxEntries: 6 },
      { name: 'c', type: BPF_MAP_TYPE.LRU_HASH, key: { type: 'u64' }, value: { type: 'long' }, maxEntries: 128, flags: 0 },
    ],
  ],
  [
    'every integer spelling',
    [
      { name: 'i1', type: 1, key: { type: 'char' }, value: { type: 'unsigned short' }, maxEntries: 1 },
      { name: 'i2', type: 1, key: { type: '__be32' }, value: { type: '_Bool' }, maxEntries: 2 },
      { name: 'i3', type: 1, key: { type: 'int' }, value: { type: '__s64' }, maxEntries: 3 },
      { name: 'i4', type: 1, key: { type: 'unsigned long long' }, value: { type: 'long long' }, maxEntries: 4 },
      { name: 'i5', type: 1, key: { type: '__u8' }, value: { type: 's16' }, maxEntries: 5 },
      { name: 'i6', type: 1, key: { type: 'unsigned int' }, value: { type: '__u16' }, maxEntries: 6 },
    ],
  ],
];

describe(`buildMapsSection is byte-identical to clang-19${needs('clang19')}`, () => {
  for (const [what, decls] of CASES) {
    for (const [endian, target] of [['le', 'bpfel'], ['be', 'bpfeb']] as [Endian, string][]) {
      it.skipIf(!tools.clang19)(`${what} (${target})`, () => {
        const c = join(tmp, 'm.c');
        const o = join(tmp, `m.${target}.o`);
        writeFileSync(c, cSource(decls));
        execFileSync(tools.clang19!, ['-O2', '-g', '-target', target, '-I/usr/include/x86_64-linux-gnu', '-c', c, '-o', o]);
        const elf = readElf(new Uint8Array(readFileSync(o)));
        const theirs = (n: string): Uint8Array => elf.sections.find((s) => s.name === n)!.data;
        const mine = buildMapsSection(decls, endian);
        expect(formatBtf(decodeBtf(mine.btf))).toBe(formatBtf(decodeBtf(theirs('.BTF'))));
        expect(Buffer.from(mine.btf).toString('hex')).toBe(Buffer.from(theirs('.BTF')).toString('hex'));
        expect(Buffer.from(mine.mapsData).toString('hex')).toBe(Buffer.from(theirs('.maps')).toString('hex'));
        expect(mine.symbols).toEqual(
          elf.symbols.filter((s) => s.type === STT_OBJECT).map((s) => ({ name: s.name, offset: s.value, size: s.size })),
        );
      });
    }
  }

  it('also equals the maps part of the committed counter.o BTF', () => {
    const mine = decodeBtf(buildMapsSection(CASES[0]![1], 'le').btf);
    const theirs = decodeBtf(readElf(fixture('counter.o')).sections.find((s) => s.name === '.BTF')!.data);
    expect(mine.types.slice(0, 15)).toEqual(theirs.types.slice(0, 15));
  });
});

describe('buildMapsSection input checks', () => {
  it('rejects an unknown type name and bad numbers with ObjectError', () => {
    expect(() => buildMapsSection([{ name: 'm', type: 1, key: { type: 'struct foo' }, value: { size: 4 }, maxEntries: 1 }], 'le')).toThrowError(/unknown key type 'struct foo'/);
    expect(() => buildMapsSection([{ name: 'm', type: 1, key: { size: -1 }, value: { size: 4 }, maxEntries: 1 }], 'le')).toThrowError(ObjectError);
    const d: MapDeclaration = { name: 'm', type: 1, key: { size: 4 }, value: { size: 4 }, maxEntries: 1 };
    expect(() => buildMapsSection([d, d], 'le')).toThrowError(/declared twice/);
  });
  it('knows the sizes of the integer types', () => {
    expect(['__u8', 'u16', 'int', '__be32', 'long', 'unsigned long long', 'char', '_Bool'].map(cIntTypeSize)).toEqual([1, 2, 4, 4, 8, 8, 1, 1]);
    expect(cIntTypeSize('float')).toBeUndefined();
  });
});

/**
 * The counter program built from nothing, the way the assembler does: instructions from the
 * isa table, .maps and .BTF from buildMapsSection, symbols and one R_BPF_64_64 relocation.
 */
function synthCounter(endian: Endian): ElfFile {
  const code = encode(
    [
      insn(0xb7, 1, 0, 0, 0), // r1 = 0
      insn(0x63, 10, 1, -4, 0), // *(u32 *)(r10 - 4) = r1
      insn(0xbf, 2, 10, 0, 0), // r2 = r10
      insn(0x07, 2, 0, 0, -4), // r2 += -4
      lddw(1, 0n), // r1 = pkt_count ll
      insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
      insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
      insn(0xb7, 1, 0, 0, 1), // r1 = 1
      insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
      insn(0xb7, 0, 0, 0, 2), // r0 = XDP_PASS
      insn(0x95), // exit
    ],
    endian,
  );
  const maps = buildMapsSection([{ name: 'pkt_count', type: BPF_MAP_TYPE.ARRAY, key: { type: '__u32' }, value: { type: '__u64' }, maxEntries: 1 }], endian);
  const lic = encodeLatin1('GPL\0');
  const sec = (index: number, name: string, type: number, flags: number, data: Uint8Array, addralign: number): ElfSection => ({
    index, name, type, flags, data, size: data.length, link: 0, info: 0, addralign, entsize: 0, offset: 0,
  });
  return {
    endian,
    machine: 247,
    type: 1,
    flags: 0,
    sections: [
      sec(10, 'xdp', SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, code, 8),
      sec(11, '.maps', SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, maps.mapsData, 8),
      sec(12, 'license', SHT_PROGBITS, SHF_ALLOC | SHF_WRITE, lic, 1),
      sec(13, '.BTF', SHT_PROGBITS, 0, maps.btf, 4),
    ],
    symbols: [
      { name: '', value: 0, size: 0, bind: 0, type: 0, other: 0, section: 0 },
      { name: 'count_packets', value: 0, size: code.length, bind: STB_GLOBAL, type: STT_FUNC, other: 0, section: 10 },
      { name: 'pkt_count', value: maps.symbols[0]!.offset, size: maps.symbols[0]!.size, bind: STB_GLOBAL, type: STT_OBJECT, other: 0, section: 11 },
      { name: 'LICENSE', value: 0, size: lic.length, bind: STB_GLOBAL, type: STT_OBJECT, other: 0, section: 12 },
      { name: '', value: 0, size: 0, bind: STB_LOCAL, type: STT_SECTION, other: 0, section: 10 },
    ],
    relocSections: [{ section: 0, target: 10, relocations: [{ offset: 32, type: R_BPF_64_64, symbol: 2 }] }],
  };
}

describe('an object synthesised with writeElf + buildMapsSection', () => {
  for (const endian of ['le', 'be'] as Endian[]) {
    it(`loads back into the same ObjectSpec as clang's counter (${endian})`, () => {
      const o = loadObject(writeElf(synthCounter(endian)), 'counter.o');
      const ref = loadObject(fixture(endian === 'le' ? 'counter.o' : 'counter.eb.o'), 'counter.o');
      expect(o.maps).toEqual(ref.maps);
      expect(o.programs[0]!.insns).toEqual(ref.programs[0]!.insns);
      expect([...o.programs[0]!.references]).toEqual([...ref.programs[0]!.references]);
      expect(o.programs[0]!.insns[4]!.opcode).toBe(OP_LDDW);
    });
  }
  it.skipIf(!tools.kernel)(`is accepted by the real kernel (bpftool prog load)${needs('kernel')}`, () => {
    const path = join(tmp, 'synth.o');
    writeFileSync(path, writeElf(synthCounter('le')));
    const pin = '/sys/fs/bpf/xdptsA_synth';
    try {
      const r = spawnSync(tools.bpftool!, ['prog', 'load', path, pin, 'type', 'xdp'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const show = JSON.parse(execFileSync(tools.bpftool!, ['prog', 'show', 'pinned', pin, '--json'], { encoding: 'utf8' })) as { name: string; map_ids: number[] };
      expect(show.name).toBe('count_packets');
      expect(show.map_ids.length).toBe(1);
    } finally {
      rmSync(pin, { force: true });
    }
  });
});

describe('objects from hand-written assembly (no FUNC symbols)', () => {
  it('a global NOTYPE label names the program', () => {
    const f = synthCounter('le');
    f.symbols[1] = { ...f.symbols[1]!, type: 0, size: 0 };
    const o = loadObject(writeElf(f));
    expect(o.programs.map((p) => [p.name, p.insns.length])).toEqual([['count_packets', 11]]);
  });
  it('without any symbol the program is named after its section; an in-section call stays internal', () => {
    const code = encode([insn(0x85, 0, 1, 0, 1), insn(0x95), insn(0xb7, 0, 0, 0, 1), insn(0x95)], 'le');
    const f: ElfFile = {
      endian: 'le',
      machine: 247,
      type: 1,
      flags: 0,
      sections: [{ index: 1, name: 'xdp', type: SHT_PROGBITS, flags: SHF_ALLOC | SHF_EXECINSTR, data: code, size: code.length, link: 0, info: 0, addralign: 8, entsize: 0, offset: 0 }],
      symbols: [{ name: '', value: 0, size: 0, bind: 0, type: 0, other: 0, section: 0 }],
      relocSections: [],
    };
    const p = loadObject(writeElf(f)).programs[0]!;
    expect(p.name).toBe('xdp');
    expect([...p.references]).toEqual([[0, { kind: 'func', target: 2 }]]);
    expect(p.insns[0]).toMatchObject({ opcode: 0x85, src: 1, imm: 1 });
  });
});
