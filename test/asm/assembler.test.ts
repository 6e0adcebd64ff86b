/**
 * The assembler driver: both syntaxes, directives, symbols and relocations as clang/llvm-mc make
 * them, raw output, and (where the real kernel is usable) loading what it builds with bpftool.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/asm';
import { writeElf, type ElfFile } from '../../src/object';
import { decode, encode } from '../../src/isa';
import { decodeBtf, decodeBtfExt } from '../../src/btf';
import { AsmError } from '../../src/util';
import { tools, needs } from '../helpers/tools';
import { scratch } from './oracle';

const ROOT = join(__dirname, '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function elf(src: string, opts: { endian?: 'le' | 'be'; dialect?: 'llvm' | 'ubpf' } = {}): ElfFile {
  const r = assemble(src, { file: 't.s', ...opts });
  if (r.kind !== 'elf') throw new Error('expected ELF');
  return r.elf;
}
function raw(src: string, dialect?: 'llvm' | 'ubpf'): Uint8Array {
  const r = assemble(src, { file: 't.s', raw: true, ...(dialect ? { dialect } : {}) });
  if (r.kind !== 'raw') throw new Error('expected raw');
  return r.bytes;
}
const section = (f: ElfFile, name: string) => f.sections.find((s) => s.name === name)!;
const symbol = (f: ElfFile, name: string) => f.symbols.find((s) => s.name === name)!;
const relocs = (f: ElfFile, name: string) =>
  (f.relocSections.find((r) => r.target === section(f, name).index)?.relocations ?? []).map((r) => ({
    offset: r.offset,
    type: r.type,
    symbol: f.symbols[r.symbol]!.name,
  }));

describe('golden encodings', () => {
  it('encodes a small LLVM-syntax program byte for byte (values checked against llvm-mc 19)', () => {
    const bytes = raw('r0 = 1\nw1 = w2\nr2 += -4\nr1 = *(u32 *)(r1 + 4)\n*(u64 *)(r10 - 8) = r1\nif r0 == 0 goto +2\nr1 = 0x1122334455667788 ll\nlock *(u64 *)(r0 + 0) += r1\nexit');
    expect(hex(bytes)).toBe(
      'b700000001000000' + 'bc21000000000000' + '07020000fcffffff' + '6111040000000000' + '7b1af8ff00000000' +
        '1500020000000000' + '1801000088776655' + '0000000044332211' + 'db10000000000000' + '9500000000000000',
    );
  });

  it('encodes big-endian objects with swapped register nibbles and big-endian fields', () => {
    const f = elf('.section xdp,"ax"\nf:\nr1 = *(u32 *)(r2 + 4)\n.short 0x1234\n', { endian: 'be' });
    expect(hex(section(f, 'xdp').data)).toBe('6112000400000000' + '1234');
  });

  it('resolves jumps to labels forwards and backwards, and gotol into imm', () => {
    const bytes = raw('top:\nr0 = 0\nif r0 > 3 goto done\ngoto top\ngotol done\ndone:\nexit');
    const { insns } = decode(bytes);
    expect(insns.map((i) => [i.off, i.imm])).toEqual([[0, 0], [2, 3], [-3, 0], [0, 0], [0, 0]]);
  });

  it('puts far gotol targets in imm and refuses them for goto', () => {
    const body = '.rept 40000\nr0 = 0\n.endr\n';
    const { insns } = decode(raw(`gotol far\n${body}far:\nexit`));
    expect(insns[0]!.imm).toBe(40000);
    expect(() => raw(`goto far\n${body}far:\nexit`)).toThrow(/jump offset 40000 to 'far' is out of range/);
  });

  it('assembles the uBPF fixtures to the same bytes as their LLVM-syntax twins', () => {
    for (const name of ['count_down', 'alu_mix']) {
      const u = assemble(read(`fixtures/asm/${name}.asm`), { file: `${name}.asm`, raw: true });
      const l = assemble(read(`fixtures/asm/${name}.llvm.s`), { file: `${name}.llvm.s`, raw: true });
      expect(u.dialect).toBe('ubpf');
      expect(l.dialect).toBe('llvm');
      expect(u.kind === 'raw' && hex(u.bytes)).toBe(l.kind === 'raw' && hex(l.bytes));
    }
  });
});

describe('objects as clang makes them', () => {
  it('builds programs/counter.asm: program, BTF map, license, relocation', () => {
    const f = elf(read('programs/counter.asm'));
    expect(f.sections.map((s) => s.name)).toEqual(['', '.text', 'xdp', 'license', '.maps', '.BTF', '.BTF.ext']);
    expect(symbol(f, 'count_packets')).toMatchObject({ bind: 1, type: 2, value: 0, size: 96 });
    expect(symbol(f, 'pkt_count')).toMatchObject({ bind: 1, type: 1, value: 0, size: 32 });
    expect(symbol(f, 'LICENSE')).toMatchObject({ bind: 1, type: 1, size: 4 });
    expect(Buffer.from(section(f, 'license').data).toString('latin1')).toBe('GPL\0');
    expect(relocs(f, 'xdp')).toEqual([{ offset: 0x20, type: 1, symbol: 'pkt_count' }]);
    // call bpf_map_lookup_elem is helper 1, as clang emits it.
    expect(decode(section(f, 'xdp').data).insns[5]).toMatchObject({ opcode: 0x85, src: 0, imm: 1 });
  });

  it('builds the same object from the uBPF twin of the counter', () => {
    const a = elf(read('programs/counter.asm'));
    const b = elf(read('fixtures/asm/counter_ubpf.asm'));
    for (const name of ['xdp', 'license', '.maps']) expect(hex(section(b, name).data)).toBe(hex(section(a, name).data));
    // The same types and function info; the line info names each file's own lines.
    expect(decodeBtf(section(b, '.BTF').data)).toEqual(decodeBtf(section(a, '.BTF').data));
    const ext = (f: ElfFile) => decodeBtfExt(section(f, '.BTF.ext').data, section(f, '.BTF').data);
    expect([...ext(b).funcInfo]).toEqual([...ext(a).funcInfo]);
    expect(ext(b).lineInfo.get('xdp')!.map((l) => l.insnOff)).toEqual(ext(a).lineInfo.get('xdp')!.map((l) => l.insnOff));
    expect(b.symbols).toEqual(a.symbols);
  });

  it('makes label-started and .globl code labels functions sized to the next function', () => {
    const f = elf('.section xdp,"ax"\nmain:\ncall helper\nr0 = 2\nexit\nhelper:\nr0 = 0\nexit\n.text\n.globl g\ng:\nexit\n');
    expect(symbol(f, 'main')).toMatchObject({ bind: 1, type: 2, size: 24 });
    expect(symbol(f, 'helper')).toMatchObject({ bind: 0, type: 2, value: 24, size: 16 });
    expect(symbol(f, 'g')).toMatchObject({ bind: 1, type: 2, size: 8 });
    // A call inside its section is resolved (BPF_PSEUDO_CALL, imm = slots to skip), no relocation.
    expect(decode(section(f, 'xdp').data).insns[0]).toMatchObject({ src: 1, imm: 2 });
    expect(f.relocSections).toEqual([]);
  });

  it('relocates calls across sections like llvm-mc (section symbol + imm for locals, symbol + -1 for globals)', () => {
    const f = elf('.text\nsub:\nexit\nsub2:\nexit\n.globl gsub\ngsub:\nexit\n.section xdp,"ax"\nf:\ncall sub2\ncall gsub\nexit\n');
    expect(relocs(f, 'xdp')).toEqual([
      { offset: 0, type: 10, symbol: '' },
      { offset: 8, type: 10, symbol: 'gsub' },
    ]);
    const { insns } = decode(section(f, 'xdp').data);
    expect(insns.slice(0, 2).map((i) => [i.src, i.imm])).toEqual([[1, 0], [1, -1]]);
    expect(f.symbols.find((s) => s.type === 3)).toMatchObject({ section: section(f, '.text').index });
  });

  it('handles data directives, label differences and symbol relocations', () => {
    const src = [
      '.data', 'v:', '.byte 1, -1, 0xff', '.short 0x1234', '.long .Lb-.La', '.La:', '.quad 0x1122334455667788', '.Lb:',
      '.ascii "ab"', '.asciz "c\\n"', '.zero 3', '.p2align 3', '.rept 2', '.byte 7', '.endr', '.quad v+1', '.long w',
      '.globl w', '.section .rodata', 'w:', '.8byte 0x0000000100000095', '.set K, 3', '.long K*2',
    ].join('\n');
    const f = elf(src);
    expect(hex(section(f, '.data').data)).toBe(
      '01ffff' + '3412' + '08000000' + '8877665544332211' + '6162' + '630a00' + '000000' + '00000000000000' + '0707' + '0100000000000000' + '00000000',
    );
    expect(hex(section(f, '.rodata').data)).toBe('9500000001000000' + '06000000');
    expect(relocs(f, '.data')).toEqual([
      { offset: 0x22, type: 2, symbol: '' },
      { offset: 0x2a, type: 3, symbol: 'w' },
    ]);
  });

  it('honours .type/.size (with `.` as the current location), .weak and .local', () => {
    const f = elf('.section xdp,"ax"\n.weak f\n.type f,@function\nf:\nr0 = 0\nexit\n.size f, .-f\n.local g\ng:\nexit\n.data\n.type o,@object\no:\n.quad .\n');
    expect(symbol(f, 'f')).toMatchObject({ bind: 2, type: 2, size: 16 });
    expect(symbol(f, 'g')).toMatchObject({ bind: 0, type: 0 });
    expect(symbol(f, 'o')).toMatchObject({ bind: 0, type: 1 });
    expect(f.symbols.some((s) => s.name.startsWith('.L'))).toBe(false);
  });

  it('passes .section flags and types through, and .bss as NOBITS', () => {
    const f = elf('.section .maps,"aw",@progbits\n.zero 8\n.bss\n.zero 16\n.section .rodata.str1.1,"aMS",@progbits,1\n.asciz "x"\n');
    expect(section(f, '.maps')).toMatchObject({ flags: 3, type: 1, size: 8 });
    expect(section(f, '.bss')).toMatchObject({ flags: 3, type: 8, size: 16 });
    expect(section(f, '.rodata.str1.1')).toMatchObject({ flags: 0x32, entsize: 1 });
  });

  it('detects the dialect per file, and can be forced', () => {
    expect(assemble('mov r0, 1\nexit', { file: 'a', raw: true }).dialect).toBe('ubpf');
    expect(assemble('r0 = 1\nexit', { file: 'a', raw: true }).dialect).toBe('llvm');
    expect(assemble('exit', { file: 'a', raw: true }).dialect).toBe('llvm');
    expect(() => assemble('r0 = 1\nexit', { file: 'a', raw: true, dialect: 'ubpf' })).toThrow(AsmError);
  });

  it('refuses raw output that would need relocations', () => {
    expect(() => raw('.map m, type=hash, key_size=4, value_size=8, max_entries=4\nr1 = m ll\nexit')).toThrow(/raw output cannot hold relocations/);
    expect(hex(raw('exit'))).toBe(hex(encode([{ opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }])));
  });
});

describe(`objects load in the real kernel${needs('kernel')}`, () => {
  for (const prog of ['programs/counter.asm', 'programs/xdp_drop.asm', 'fixtures/asm/counter_ubpf.asm']) {
    it.skipIf(!tools.kernel)(`bpftool prog load ${prog}`, () => {
      const s = scratch();
      const pin = `/sys/fs/bpf/xdptsB_${process.pid}_${prog.replace(/\W/g, '_')}`;
      try {
        const obj = join(s.dir, 'x.o');
        writeFileSync(obj, writeElf(elf(read(prog))));
        execFileSync(tools.bpftool!, ['prog', 'load', obj, pin, 'type', 'xdp'], { stdio: 'pipe' });
        const show = execFileSync(tools.bpftool!, ['prog', 'show', 'pinned', pin], { encoding: 'utf8' });
        expect(show).toMatch(/xdp\s+name (count_packets|xdp_drop_prog)/);
      } finally {
        if (existsSync(pin)) rmSync(pin);
        s.done();
      }
    });
  }
});
