/**
 * The ELF64 writer: `writeElf` serialises an `ElfFile` as a relocatable BPF object laid out the
 * way LLVM's ELFObjectWriter lays it out, so that llvm-readelf, llvm-objdump and libbpf open it.
 */
import { ByteWriter, ObjectError, encodeLatin1 } from '../util/index';
import {
  EM_BPF,
  SHF_INFO_LINK,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_LLVM_ADDRSIG,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_LOCAL,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from './types';
import { ELF64_EHDR_SIZE, ELF64_REL_SIZE, ELF64_SHDR_SIZE, ELF64_SYM_SIZE } from './read';

/**
 * A string table with LLVM's tail merging (StringTableBuilder::ELF): a string that is a suffix
 * of another (`xdp` of `.relxdp`) reuses its bytes. Index 0 is the empty string.
 */
class StringTable {
  private readonly offsets = new Map<string, number>();
  private readonly strings: string[] = [];
  add(s: string): void {
    if (s !== '' && !this.strings.includes(s)) this.strings.push(s);
  }
  /** Lays the table out; call once after every add. */
  finish(): Uint8Array {
    // Longest first in reversed-string order so that a suffix follows the string containing it.
    const rev = (s: string): string => [...s].reverse().join('');
    const sorted = [...this.strings].sort((a, b) => {
      const ra = rev(a);
      const rb = rev(b);
      return ra < rb ? 1 : ra > rb ? -1 : 0;
    });
    const out = new ByteWriter('le');
    out.u8(0);
    this.offsets.set('', 0);
    let prev: { s: string; off: number } | undefined;
    for (const s of sorted) {
      if (prev && prev.s.endsWith(s)) {
        this.offsets.set(s, prev.off + prev.s.length - s.length);
        continue;
      }
      const off = out.length;
      out.bytes(encodeLatin1(s)).u8(0);
      this.offsets.set(s, off);
      prev = { s, off };
    }
    return out.finish();
  }
  offset(s: string): number {
    const o = this.offsets.get(s);
    if (o === undefined) throw new ObjectError(`internal: string '${s}' not in the string table`);
    return o;
  }
}

/** True for sections the writer generates itself and therefore drops from the input. */
function isGenerated(s: ElfSection): boolean {
  return (
    s.type === SHT_NULL ||
    s.type === SHT_SYMTAB ||
    s.type === SHT_STRTAB ||
    s.type === SHT_REL ||
    s.type === SHT_RELA ||
    s.type === SHT_LLVM_ADDRSIG
  );
}

interface OutSection {
  name: string;
  type: number;
  flags: number;
  data: Uint8Array;
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  offset: number;
}

/**
 * Serialises a relocatable ELF64 object (ET_REL unless `f.type` says otherwise, e_machine from
 * `f.machine`, EM_BPF when 0) in `f.endian`.
 *
 * What is taken from the input and what is generated:
 * - `f.sections`: the content sections, in order. The null section, `.strtab`, `.symtab`,
 *   SHT_REL/SHT_RELA sections and `.llvm_addrsig` found there are ignored and regenerated.
 *   Each section's `index` is its identity: `ElfSymbol.section` and `ElfRelocSection.target`
 *   refer to these `index` values (as `readElf` produces them), and are renumbered on output.
 * - `f.symbols`: `.symtab`. `symbols[0]` is the null symbol and is always written as zeros; the
 *   others are reordered locals first (stable), and `.symtab`'s sh_info is the first global, as
 *   the gABI requires. Relocation symbol indices follow the reordering.
 * - `f.relocSections`: one `.rel<target name>` (SHT_REL, entsize 16, sh_link → .symtab, sh_info
 *   → target, SHF_INFO_LINK) placed right after its target in the header table, as LLVM does.
 *   RELA addends are dropped: BPF objects use REL with the addend in the patched field.
 * - `.strtab` is one table shared by section names and symbol names (LLVM's choice), placed at
 *   header index 1. The file is the ELF header, the section contents, `.symtab`, the relocation
 *   sections, `.strtab`, then the section header table.
 *
 * @throws ObjectError when a symbol or relocation refers to a section or symbol that is not there.
 */
export function writeElf(f: ElfFile): Uint8Array {
  const content = f.sections.filter((s) => !isGenerated(s));
  const relocFor = new Map<number, typeof f.relocSections>();
  for (const rs of f.relocSections) {
    if (rs.relocations.length === 0) continue;
    const list = relocFor.get(rs.target) ?? [];
    list.push(rs);
    relocFor.set(rs.target, list);
  }
  for (const target of relocFor.keys()) {
    if (!content.some((s) => s.index === target)) {
      throw new ObjectError(`relocation section targets section index ${target}, which is not a content section`);
    }
  }

  // Header table order: null, .strtab, then each content section followed by its .rel section,
  // then .symtab last (LLVM: ELFWriter::computeSymbolTable/writeObject ordering).
  const out: OutSection[] = [];
  const blank = (): OutSection => ({ name: '', type: SHT_NULL, flags: 0, data: new Uint8Array(0), size: 0, link: 0, info: 0, addralign: 0, entsize: 0, offset: 0 });
  out.push(blank());
  const strtabIdx = out.length;
  out.push({ ...blank(), name: '.strtab', type: SHT_STRTAB, addralign: 1 });
  const indexMap = new Map<number, number>();
  const relPlacement: { at: number; target: number }[] = [];
  for (const s of content) {
    indexMap.set(s.index, out.length);
    out.push({
      name: s.name,
      type: s.type,
      flags: s.flags,
      data: s.type === SHT_NOBITS ? new Uint8Array(0) : s.data,
      size: s.type === SHT_NOBITS ? s.size : s.data.length,
      link: s.link,
      info: s.info,
      addralign: s.addralign,
      entsize: s.entsize,
      offset: 0,
    });
    if (relocFor.has(s.index)) {
      relPlacement.push({ at: out.length, target: s.index });
      out.push({ ...blank(), name: `.rel${s.name}`, type: SHT_REL, flags: SHF_INFO_LINK, addralign: 8, entsize: ELF64_REL_SIZE });
    }
  }
  const symtabIdx = out.length;
  out.push({ ...blank(), name: '.symtab', type: SHT_SYMTAB, link: strtabIdx, addralign: 8, entsize: ELF64_SYM_SIZE });

  // Symbols: null first, then locals, then the rest (stable), with an old → new index map.
  const order: number[] = [];
  for (let i = 1; i < f.symbols.length; i++) if (f.symbols[i]!.bind === STB_LOCAL) order.push(i);
  const firstGlobal = order.length + 1;
  for (let i = 1; i < f.symbols.length; i++) if (f.symbols[i]!.bind !== STB_LOCAL) order.push(i);
  const symMap = new Map<number, number>([[0, 0]]);
  order.forEach((old, k) => symMap.set(old, k + 1));

  const strtab = new StringTable();
  for (const s of out) strtab.add(s.name);
  for (const i of order) strtab.add(f.symbols[i]!.name);
  const strData = strtab.finish();

  const le = f.endian;
  const mapShndx = (sym: ElfSymbol, i: number): number => {
    if (sym.section === SHN_UNDEF || sym.section >= SHN_LORESERVE) return sym.section;
    const n = indexMap.get(sym.section);
    if (n === undefined) throw new ObjectError(`symbol ${i} '${sym.name}' is in section index ${sym.section}, which is not a content section`);
    return n;
  };
  const symw = new ByteWriter(le);
  symw.zeros(ELF64_SYM_SIZE);
  for (const i of order) {
    const sym = f.symbols[i]!;
    symw.u32(strtab.offset(sym.name)).u8(((sym.bind & 0xf) << 4) | (sym.type & 0xf)).u8(sym.other);
    symw.u16(mapShndx(sym, i)).u64(sym.value).u64(sym.size);
  }
  const st = out[symtabIdx]!;
  st.data = symw.finish();
  st.size = st.data.length;
  st.info = firstGlobal;

  for (const { at, target } of relPlacement) {
    const w = new ByteWriter(le);
    for (const rs of relocFor.get(target)!) {
      for (const r of rs.relocations) {
        const sym = symMap.get(r.symbol);
        if (sym === undefined) throw new ObjectError(`relocation at ${r.offset} of .rel${out[indexMap.get(target)!]!.name} names missing symbol ${r.symbol}`);
        w.u64(r.offset).u64((BigInt(sym) << 32n) | BigInt(r.type >>> 0));
      }
    }
    const s = out[at]!;
    s.data = w.finish();
    s.size = s.data.length;
    s.link = symtabIdx;
    s.info = indexMap.get(target)!;
  }
  const strs = out[strtabIdx]!;
  strs.data = strData;
  strs.size = strData.length;

  // Content sections keep their sh_link/sh_info only when they point at a content section.
  for (const s of content) {
    const o = out[indexMap.get(s.index)!]!;
    o.link = s.link === 0 ? 0 : indexMap.get(s.link) ?? 0;
    if ((s.flags & SHF_INFO_LINK) !== 0) o.info = indexMap.get(s.info) ?? 0;
  }

  // File layout: header, contents (header-table order), .symtab, .rel*, .strtab, headers.
  const w = new ByteWriter(le, 4096);
  w.zeros(ELF64_EHDR_SIZE);
  const place = (s: OutSection): void => {
    w.align(Math.max(1, s.addralign));
    s.offset = w.length;
    if (s.type !== SHT_NOBITS) w.bytes(s.data);
  };
  for (let i = 1; i < out.length; i++) {
    const s = out[i]!;
    if (i === strtabIdx || i === symtabIdx || s.type === SHT_REL) continue;
    place(s);
  }
  place(out[symtabIdx]!);
  for (const { at } of relPlacement) place(out[at]!);
  place(out[strtabIdx]!);
  w.align(8);
  const shoff = w.length;
  for (const s of out) {
    w.u32(s.name === '' ? 0 : strtab.offset(s.name)).u32(s.type).u64(s.flags).u64(0);
    w.u64(s.offset).u64(s.size).u32(s.link).u32(s.info).u64(s.addralign).u64(s.entsize);
  }
  const bytes = w.finish();

  // The ELF header (gABI "ELF Header"), written last now that e_shoff is known.
  const h = new DataView(bytes.buffer);
  const isLe = le === 'le';
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, isLe ? 1 : 2, 1, 0], 0);
  h.setUint16(16, f.type || 1, isLe);
  h.setUint16(18, f.machine || EM_BPF, isLe);
  h.setUint32(20, 1, isLe);
  h.setBigUint64(40, BigInt(shoff), isLe);
  h.setUint32(48, f.flags >>> 0, isLe);
  h.setUint16(52, ELF64_EHDR_SIZE, isLe);
  h.setUint16(58, ELF64_SHDR_SIZE, isLe);
  h.setUint16(60, out.length, isLe);
  h.setUint16(62, strtabIdx, isLe);
  return bytes;
}
