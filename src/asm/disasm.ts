/**
 * The llvm-objdump-style disassembler: reproduces `llvm-objdump -d [-r] --mcpu=v4 file.o`
 * (LLVM 19) byte for byte from an `ElfFile`.
 *
 * The layout mirrors llvm-objdump's `disassembleObject` (llvm/tools/llvm-objdump/llvm-objdump.cpp):
 *  - every SHF_EXECINSTR, non-NOBITS, non-empty section in header order gets
 *    `\nDisassembly of section NAME:\n`;
 *  - its symbols (named, not STT_SECTION/STT_FILE) sorted by (address, name) cut it into
 *    blocks, each headed `\n%016x <name>:\n`; a section without a symbol at 0 gets a dummy
 *    symbol named after the section; a block whose symbols are all STT_OBJECT is dumped as data;
 *  - instruction lines are `%8d:` (address / 8, BPFPrettyPrinter), tab, the raw bytes, tab,
 *    the text; branches get ` <sym+0xoff>` from the last symbol at or below the target;
 *  - runs of 8+ zero bytes are elided as `\t\t...` (in multiples of 4 bytes, stopping at the
 *    next relocation when relocations are shown);
 *  - with `relocs`, each relocation follows its instruction as
 *    `\t\t%016x:  R_BPF_64_64\tsymbol`, preceded by the instruction's CO-RE relocation from
 *    `.BTF.ext`, if any (see core-relo.ts).
 */
import {
  EM_BPF,
  R_BPF_64_32,
  R_BPF_64_64,
  R_BPF_64_ABS32,
  R_BPF_64_ABS64,
  R_BPF_64_NODYLD32,
  R_BPF_NONE,
  SHF_EXECINSTR,
  SHN_LORESERVE,
  SHT_NOBITS,
  STT_COMMON,
  STT_FILE,
  STT_OBJECT,
  STT_SECTION,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from '../object';
import { ObjectError } from '../util';
import { decodeAt, insn, OP_LDDW, type Instruction } from '../isa';
import { coreRelocLines } from './core-relo';
import { branchDisplacement, formatOrUndefined, UNKNOWN_TEXT } from './printer';

/** Options of {@link disassemble}. */
export interface DisassembleOptions {
  /** Show relocations inline, as `llvm-objdump -r` does. */
  readonly relocs?: boolean;
  /** The file name printed in the header, exactly as it would be given to llvm-objdump. */
  readonly file: string;
}

/** BPF relocation type names as llvm-objdump prints them (llvm/BinaryFormat/ELFRelocs/BPF.def). */
const RELOC_NAMES: Record<number, string> = {
  [R_BPF_NONE]: 'R_BPF_NONE',
  [R_BPF_64_64]: 'R_BPF_64_64',
  [R_BPF_64_ABS64]: 'R_BPF_64_ABS64',
  [R_BPF_64_ABS32]: 'R_BPF_64_ABS32',
  [R_BPF_64_NODYLD32]: 'R_BPF_64_NODYLD32',
  [R_BPF_64_32]: 'R_BPF_64_32',
};

/** A symbol as llvm-objdump's SymbolInfoTy holds it. */
interface SymInfo {
  readonly addr: number;
  readonly name: string;
  readonly type: number;
}

/** One relocation of the section being dumped, with its printable value. */
interface RelInfo {
  readonly offset: number;
  readonly type: number;
  readonly value: string;
}

/** Byte-wise string order (StringRef::compare), not locale order. */
function byteCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hex16(v: number): string {
  return v.toString(16).padStart(16, '0');
}

/** The symbols llvm-objdump considers in a section: named, not section or file symbols. */
function sectionSymbols(elf: ElfFile, sec: ElfSection): SymInfo[] {
  const out: SymInfo[] = [];
  for (const s of elf.symbols) {
    if (s.section !== sec.index || s.section === 0 || s.section >= SHN_LORESERVE) continue;
    if (s.type === STT_SECTION || s.type === STT_FILE || s.name === '') continue;
    out.push({ addr: s.value, name: s.name, type: s.type });
  }
  // SymbolInfoTy's order: address, then name (observed: of `a`/`b` at one address, the
  // header and branch targets use `b`, whatever their types and symbol-table order).
  out.sort((a, b) => a.addr - b.addr || byteCompare(a.name, b.name) || a.type - b.type);
  if (!out.some((s) => s.addr === 0)) out.unshift({ addr: 0, name: sec.name, type: STT_SECTION });
  return out;
}

/** llvm-objdump's relocation value: symbol (section name for section symbols), ±addend (RELA). */
function relocValue(elf: ElfFile, symIndex: number, addend: number | undefined): string {
  let v: string;
  const sym: ElfSymbol | undefined = symIndex === 0 ? undefined : elf.symbols[symIndex];
  if (!sym) v = '*ABS*';
  else if (sym.type === STT_SECTION) v = elf.sections[sym.section]?.name ?? '';
  else v = sym.name;
  if (addend !== undefined && addend !== 0) v += addend < 0 ? `-0x${(-addend).toString(16)}` : `+0x${addend.toString(16)}`;
  return v;
}

function sectionRelocs(elf: ElfFile, sec: ElfSection): RelInfo[] {
  const out: RelInfo[] = [];
  for (const rs of elf.relocSections) {
    if (rs.target !== sec.index) continue;
    for (const r of rs.relocations) {
      out.push({ offset: r.offset, type: r.type, value: relocValue(elf, r.symbol, r.addend) });
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** Leading zero bytes worth eliding: none below 8, else rounded down to a multiple of 4. */
function skippableZeros(bytes: Uint8Array, from: number, to: number): number {
  let n = 0;
  while (from + n < to && bytes[from + n] === 0) n++;
  return n < 8 ? 0 : n & ~3;
}

function hexBytes(bytes: Uint8Array, from: number, size: number): string {
  const parts: string[] = [];
  for (let k = 0; k < size; k++) parts.push(bytes[from + k]!.toString(16).padStart(2, '0'));
  return parts.join(' ');
}

/**
 * Decodes at `index` as LLVM's BPFDisassembler::getInstruction does: 8 bytes needed (else a
 * 1-byte `<unknown>`), a rejected encoding is an 8-byte `<unknown>`, and an accepted lddw
 * without its second slot is a 1-byte `<unknown>`.
 */
function decodeForDump(bytes: Uint8Array, index: number, endian: ElfFile['endian']): { size: number; insn?: Instruction; text?: string } {
  if (bytes.length - index < 8) return { size: 1 };
  const first = decodeAt(bytes.subarray(0, index + 8), index, endian);
  let i: Instruction;
  if ('message' in first) {
    // Only a lddw lacks its second slot here: check its first slot alone.
    const view = new DataView(bytes.buffer, bytes.byteOffset + index, 8);
    const le = endian === 'le';
    const regs = view.getUint8(1);
    i = insn(OP_LDDW, le ? regs & 0xf : regs >> 4, le ? regs >> 4 : regs & 0xf, view.getInt16(2, le), view.getInt32(4, le), 0);
  } else {
    i = first;
  }
  const text = formatOrUndefined(i);
  if (text === undefined) return { size: 8 };
  if (i.opcode !== OP_LDDW) return { size: 8, insn: i, text };
  if (bytes.length - index < 16) return { size: 1 };
  const full = decodeAt(bytes, index, endian) as Instruction;
  return { size: 16, insn: full, text: formatOrUndefined(full)! };
}

/** objdump's branch decoration: the last symbol at or below the (64-bit wrapped) target. */
function targetDecoration(syms: readonly SymInfo[], addr: number, i: Instruction, size: number): string | undefined {
  const disp = branchDisplacement(i);
  if (disp === undefined) return undefined;
  const target = BigInt.asUintN(64, BigInt(addr) + BigInt(size) + BigInt(disp) * BigInt(size));
  let best: SymInfo | undefined;
  for (const s of syms) {
    if (BigInt(s.addr) <= target) best = s;
    else break;
  }
  if (!best) return undefined;
  const off = BigInt.asUintN(64, target - BigInt(best.addr));
  return off === 0n ? best.name : `${best.name}+0x${off.toString(16)}`;
}

/** dumpELFData: 8 bytes per line, hex then printable ASCII, for STT_OBJECT blocks. */
function dumpData(out: string[], bytes: Uint8Array, start: number, end: number): void {
  for (let at = start; at < end; at += 8) {
    const n = Math.min(8, end - at);
    let hex = '';
    let ascii = '';
    for (let k = 0; k < n; k++) {
      const b = bytes[at + k]!;
      hex += ' ' + b.toString(16).padStart(2, '0');
      ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
    }
    out.push(`${at.toString(16).padStart(8, ' ')}:${hex}${' '.repeat(3 * (8 - n))}         ${ascii}\n`);
  }
}

function disassembleSection(out: string[], elf: ElfFile, sec: ElfSection, relocs: boolean, core: ReadonlyMap<number, string> | undefined): void {
  out.push(`\nDisassembly of section ${sec.name}:\n`);
  const bytes = sec.data;
  const size = sec.size;
  const syms = sectionSymbols(elf, sec);
  const rels = relocs ? sectionRelocs(elf, sec) : [];
  let relCur = 0;
  for (let si = 0; si < syms.length; ) {
    const start = syms[si]!.addr;
    const first = si;
    while (si < syms.length && syms[si]!.addr === start) si++;
    const here = syms.slice(first, si);
    const end = Math.min(size, si < syms.length ? syms[si]!.addr : size);
    if (start >= end) continue;
    // A block is data when every symbol at its address is STT_OBJECT/STT_COMMON; the name shown
    // is the last code symbol there (else the last one).
    let display = here.length - 1;
    let asData = true;
    here.forEach((s, k) => {
      if (s.type !== STT_OBJECT && s.type !== STT_COMMON) {
        asData = false;
        display = k;
      }
    });
    out.push(`\n${hex16(start)} <${here[display]!.name}>:\n`);
    while (relCur < rels.length && rels[relCur]!.offset < start) relCur++;
    if (asData) {
      dumpData(out, bytes, start, end);
      continue;
    }
    let index = start;
    while (index < end) {
      let max = end;
      // --reloc: zero blocks patched by a relocation are shown (an offset already behind us
      // wraps to a huge unsigned distance in objdump, i.e. no limit).
      if (relCur < rels.length && rels[relCur]!.offset >= index) max = Math.min(max, rels[relCur]!.offset);
      const zeros = skippableZeros(bytes, index, max);
      if (zeros > 0) {
        out.push('\t\t...\n');
        index += zeros;
        continue;
      }
      const d = decodeForDump(bytes.subarray(0, size), index, elf.endian);
      let line = `${String(Math.floor(index / 8)).padStart(8, ' ')}:\t${hexBytes(bytes, index, d.size)}\t`;
      if (d.insn && d.text !== undefined) {
        line += d.text;
        const deco = targetDecoration(syms, index, d.insn, 8);
        if (deco !== undefined) line += ` <${deco}>`;
      } else {
        line += UNKNOWN_TEXT;
      }
      out.push(line + '\n');
      // printBTFRelocation runs before the ELF relocations, for every decoded address.
      const co = core?.get(index);
      if (co !== undefined) out.push(`\t\t${hex16(index)}:  CO-RE ${co}\n`);
      while (relCur < rels.length && rels[relCur]!.offset < index + d.size) {
        const r = rels[relCur]!;
        out.push(`\t\t${hex16(r.offset)}:  ${RELOC_NAMES[r.type] ?? 'Unknown'}\t${r.value}\n`);
        relCur++;
      }
      index += d.size;
    }
  }
}

/**
 * The text `llvm-objdump -d [-r] --mcpu=v4 FILE` (LLVM 19) prints for a BPF relocatable object,
 * byte for byte. Throws ObjectError for an object that is not BPF.
 */
export function disassemble(elf: ElfFile, opts: DisassembleOptions): string {
  if (elf.machine !== EM_BPF) throw new ObjectError(`${opts.file}: not a BPF object (e_machine ${elf.machine})`);
  const out: string[] = [`\n${opts.file}:\tfile format elf64-bpf\n`];
  const sections = [...elf.sections].sort((a, b) => a.index - b.index);
  // llvm-objdump reads .BTF/.BTF.ext for CO-RE lines only with --reloc.
  const core = opts.relocs === true ? coreRelocLines(elf) : undefined;
  for (const sec of sections) {
    if ((sec.flags & SHF_EXECINSTR) === 0 || sec.type === SHT_NOBITS || sec.size === 0) continue;
    disassembleSection(out, elf, sec, opts.relocs === true, core?.get(sec.index));
  }
  return out.join('');
}
