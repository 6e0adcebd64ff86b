/// <reference path="./elfy.d.ts" />
/**
 * The ELF64 reader: `readElf` turns the bytes of a relocatable BPF object into an `ElfFile`.
 *
 * elfy parses the ELF header and the section header table, but it (1) does not know EM_BPF,
 * (2) reads ELF64 sh_addralign/sh_entsize at offsets 46/54 instead of 48/56, (3) parses neither
 * symbols nor relocations and (4) throws plain assertion/Range errors, or loops forever on a zero
 * e_shentsize, on malformed input. So every header field elfy will trust is validated here first
 * (System V gABI, "ELF Header" and "Sections"), elfy's result is cross-checked, and symbols and
 * relocations are parsed here. Every malformed input becomes an `ElfError` with the byte offset.
 */
import elfy from 'elfy';
import { ByteReader, ElfError, latin1, type Endian } from '../util/index';
import {
  SHN_ABS,
  SHN_COMMON,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  SHN_LORESERVE,
  R_BPF_64_64,
  R_BPF_64_32,
  R_BPF_64_ABS64,
  R_BPF_64_ABS32,
  R_BPF_64_NODYLD32,
  R_BPF_NONE,
  type ElfFile,
  type ElfRelocSection,
  type ElfRelocation,
  type ElfSection,
  type ElfSymbol,
} from './types';

/** Size of the ELF64 file header (e_ehsize). */
export const ELF64_EHDR_SIZE = 64;
/** Size of one ELF64 section header (e_shentsize). */
export const ELF64_SHDR_SIZE = 64;
/** Size of one ELF64 symbol (Elf64_Sym). */
export const ELF64_SYM_SIZE = 24;
/** Size of one Elf64_Rel / Elf64_Rela entry. */
export const ELF64_REL_SIZE = 16;
export const ELF64_RELA_SIZE = 24;
const ELF64_PHDR_SIZE = 56;

/**
 * Bytes a relocation of `type` patches at r_offset (LLVM BPFELFObjectWriter / libbpf):
 * R_BPF_64_64 rewrites both imm fields of an lddw (16 bytes), R_BPF_64_32 the imm of a call
 * (one 8-byte slot), the ABS/NODYLD relocations 8 or 4 data bytes.
 */
export function relocationWidth(type: number): number {
  switch (type) {
    case R_BPF_NONE:
      return 0;
    case R_BPF_64_64:
      return 16;
    case R_BPF_64_32:
    case R_BPF_64_ABS64:
      return 8;
    case R_BPF_64_ABS32:
    case R_BPF_64_NODYLD32:
      return 4;
    default:
      return 1;
  }
}

/** Reads a NUL-terminated name at `off` of a string table, as an ElfError at `where` if bad. */
function strAt(
  strtab: Uint8Array,
  off: number,
  where: number,
  what: string,
  fail: (offset: number, what: string) => never,
): string {
  if (off >= strtab.length) {
    if (off === 0) return '';
    fail(where, `${what}: string index ${off} past the end of the string table (${strtab.length} bytes)`);
  }
  const end = strtab.indexOf(0, off);
  if (end < 0) fail(where, `${what}: string at index ${off} is not NUL-terminated`);
  return latin1(strtab.subarray(off, end));
}

/**
 * Reads a relocatable ELF64 object (either byte order). `file` only names the input in error
 * messages. Sections keep their header-table positions (`index`), symbols their .symtab
 * positions (index 0 is the null symbol), and each SHT_REL/SHT_RELA section becomes one
 * `ElfRelocSection` whose `symbol` fields index `symbols`. Section `data` are views into
 * `bytes` (no copy): copy them before mutating the input.
 *
 * @throws ElfError naming the byte offset for any malformed input.
 */
export function readElf(bytes: Uint8Array, file?: string): ElfFile {
  const label = file ? `${file}: ` : '';
  const fail = (offset: number, what: string): never => {
    throw new ElfError(`${label}${what}`, offset);
  };
  try {
    return readElfInner(bytes, fail);
  } catch (e) {
    if (e instanceof ElfError) throw e;
    // Anything else is a bug in our validation letting elfy see bad input: still a clean error.
    throw new ElfError(`${label}malformed ELF: ${e instanceof Error ? e.message : String(e)}`, 0);
  }
}

function readElfInner(bytes: Uint8Array, fail: (offset: number, what: string) => never): ElfFile {
  if (bytes.length < 16) fail(bytes.length, `truncated ELF identification: ${bytes.length} bytes, need 16`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    fail(0, 'bad ELF magic (expected 7f 45 4c 46)');
  }
  if (bytes[4] !== 2) fail(4, `bad ELF class ${bytes[4]}: only ELFCLASS64 (2) BPF objects are supported`);
  if (bytes[5] !== 1 && bytes[5] !== 2) fail(5, `bad ELF data encoding ${bytes[5]} (expected 1 = LSB or 2 = MSB)`);
  if (bytes[6] !== 1) fail(6, `bad ELF version ${bytes[6]} (expected EV_CURRENT = 1)`);
  const endian: Endian = bytes[5] === 1 ? 'le' : 'be';
  if (bytes.length < ELF64_EHDR_SIZE) fail(bytes.length, `truncated ELF header: ${bytes.length} bytes, need 64`);
  const r = new ByteReader(bytes, endian, fail);

  const type = r.u16(16, 'e_type');
  const machine = r.u16(18, 'e_machine');
  const phoff = r.u64n(32, 'e_phoff');
  const shoff = r.u64n(40, 'e_shoff');
  const flags = r.u32(48, 'e_flags');
  const phentsize = r.u16(54, 'e_phentsize');
  const phnum = r.u16(56, 'e_phnum');
  const shentsize = r.u16(58, 'e_shentsize');
  const shnum = r.u16(60, 'e_shnum');
  const shstrndx = r.u16(62, 'e_shstrndx');

  // Program headers: relocatable objects have none, but elfy slices them, so check like sections.
  if (phoff !== 0 && phnum !== 0) {
    if (phentsize !== ELF64_PHDR_SIZE) fail(54, `bad e_phentsize ${phentsize} (expected ${ELF64_PHDR_SIZE})`);
    if (phoff + phnum * ELF64_PHDR_SIZE > bytes.length) fail(32, `program header table at ${phoff} past the end of the file`);
    // elfy slices each segment's data; keep those within the file too.
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * ELF64_PHDR_SIZE;
      const off = r.u64n(at + 8, 'p_offset');
      const filesz = r.u64n(at + 32, 'p_filesz');
      if (off + filesz > bytes.length) fail(at + 8, `segment ${i} data past the end of the file`);
    }
  }
  if (shoff === 0 || shnum === 0) {
    // Without sections there is no .shstrtab, which elfy dereferences unconditionally.
    fail(40, shoff === 0 ? 'no section header table (e_shoff = 0)' : 'e_shnum = 0 (extended section numbering is not supported)');
  }
  if (shentsize !== ELF64_SHDR_SIZE) fail(58, `bad e_shentsize ${shentsize} (expected ${ELF64_SHDR_SIZE})`);
  if (shoff + shnum * ELF64_SHDR_SIZE > bytes.length) {
    fail(shoff, `section header table (${shnum} entries at ${shoff}) past the end of the file (${bytes.length} bytes)`);
  }
  if (shstrndx >= shnum) fail(62, `e_shstrndx ${shstrndx} out of range (${shnum} sections)`);

  // Our own pass over the section headers: every field elfy will use must be sane first.
  interface RawShdr {
    nameOff: number;
    type: number;
    flags: number;
    offset: number;
    size: number;
    link: number;
    info: number;
    addralign: number;
    entsize: number;
    at: number;
  }
  const raw: RawShdr[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * ELF64_SHDR_SIZE;
    const h: RawShdr = {
      nameOff: r.u32(at, 'sh_name'),
      type: r.u32(at + 4, 'sh_type'),
      flags: r.u64n(at + 8, 'sh_flags'),
      offset: r.u64n(at + 24, 'sh_offset'),
      size: r.u64n(at + 32, 'sh_size'),
      link: r.u32(at + 40, 'sh_link'),
      info: r.u32(at + 44, 'sh_info'),
      addralign: r.u64n(at + 48, 'sh_addralign'),
      entsize: r.u64n(at + 56, 'sh_entsize'),
      at,
    };
    if (h.type !== SHT_NOBITS && h.offset + h.size > bytes.length) {
      fail(at + 24, `section ${i} data (${h.size} bytes at ${h.offset}) past the end of the file (${bytes.length} bytes)`);
    }
    // sh_size of NOBITS is not backed by file bytes, but elfy slices it anyway (a clamped slice).
    raw.push(h);
  }
  const shstr = raw[shstrndx]!;
  if (shstr.type !== SHT_STRTAB) fail(shstr.at + 4, `e_shstrndx ${shstrndx} is not a string table (sh_type ${shstr.type})`);
  const shstrData = bytes.subarray(shstr.offset, shstr.offset + shstr.size);
  const names = raw.map((h, i) => strAt(shstrData, h.nameOff, h.at, `section ${i} name`, fail));

  const parsed = elfy.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const elfySections = parsed.body.sections;
  if (elfySections.length !== shnum) fail(60, `elfy saw ${elfySections.length} sections, the header says ${shnum}`);

  const sections: ElfSection[] = raw.map((h, i) => {
    const s = elfySections[i]!;
    // Cross-check what elfy decoded against our own reading (catches a misparse early).
    // (Names are ours: elfy decodes them as UTF-8, ELF names are bytes, kept as Latin-1.)
    if (s.off !== h.offset || s.size !== h.size || s.link !== h.link || s.info !== h.info) {
      fail(h.at, `section ${i}: header decoded inconsistently`);
    }
    const data = h.type === SHT_NOBITS ? new Uint8Array(0) : new Uint8Array(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    return {
      index: i,
      name: names[i]!,
      type: h.type,
      flags: h.flags,
      data,
      size: h.size,
      link: h.link,
      info: h.info,
      addralign: h.addralign,
      entsize: h.entsize,
      offset: h.offset,
    };
  });

  const symbols = readSymbols(endian, raw, sections, fail);
  const relocSections = readRelocations(endian, raw, sections, symbols, fail);
  return { endian, machine, type, flags, sections, symbols, relocSections };
}

function readSymbols(
  endian: Endian,
  raw: readonly { at: number; offset: number }[],
  sections: readonly ElfSection[],
  fail: (offset: number, what: string) => never,
): ElfSymbol[] {
  const symtabs = sections.filter((s) => s.type === SHT_SYMTAB);
  if (symtabs.length === 0) return [];
  if (symtabs.length > 1) fail(raw[symtabs[1]!.index]!.at, 'more than one SHT_SYMTAB section');
  const st = symtabs[0]!;
  const hdr = raw[st.index]!.at;
  if (st.size % ELF64_SYM_SIZE !== 0) fail(hdr + 32, `.symtab size ${st.size} is not a multiple of ${ELF64_SYM_SIZE}`);
  if (st.link >= sections.length || sections[st.link]!.type !== SHT_STRTAB) {
    fail(hdr + 40, `.symtab sh_link ${st.link} is not a string table`);
  }
  const strtab = sections[st.link]!.data;
  const r = new ByteReader(st.data, endian, fail, st.offset);
  const out: ElfSymbol[] = [];
  for (let off = 0; off < st.size; off += ELF64_SYM_SIZE) {
    const at = st.offset + off;
    const nameOff = r.u32(off, 'st_name');
    const info = r.u8(off + 4, 'st_info');
    const other = r.u8(off + 5, 'st_other');
    const shndx = r.u16(off + 6, 'st_shndx');
    const value = r.u64n(off + 8, 'st_value');
    const size = r.u64n(off + 16, 'st_size');
    if (shndx >= sections.length && shndx < SHN_LORESERVE) {
      fail(at + 6, `symbol ${off / ELF64_SYM_SIZE}: section index ${shndx} out of range (${sections.length} sections)`);
    }
    if (shndx >= SHN_LORESERVE && shndx !== SHN_ABS && shndx !== SHN_COMMON) {
      fail(at + 6, `symbol ${off / ELF64_SYM_SIZE}: unsupported special section index 0x${shndx.toString(16)}`);
    }
    out.push({
      name: strAt(strtab, nameOff, at, `symbol ${off / ELF64_SYM_SIZE} name`, fail),
      value,
      size,
      bind: info >> 4,
      type: info & 0xf,
      other,
      section: shndx,
    });
  }
  return out;
}

function readRelocations(
  endian: Endian,
  raw: readonly { at: number }[],
  sections: readonly ElfSection[],
  symbols: readonly ElfSymbol[],
  fail: (offset: number, what: string) => never,
): ElfRelocSection[] {
  const out: ElfRelocSection[] = [];
  for (const s of sections) {
    if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
    const hdr = raw[s.index]!.at;
    const entSize = s.type === SHT_REL ? ELF64_REL_SIZE : ELF64_RELA_SIZE;
    if (s.size % entSize !== 0) fail(hdr + 32, `${s.name}: size ${s.size} is not a multiple of ${entSize}`);
    if (s.info === 0 || s.info >= sections.length) fail(hdr + 44, `${s.name}: sh_info ${s.info} is not a valid target section`);
    if (s.size > 0 && (s.link >= sections.length || sections[s.link]!.type !== SHT_SYMTAB)) {
      fail(hdr + 40, `${s.name}: sh_link ${s.link} is not the symbol table`);
    }
    const target = sections[s.info]!;
    const r = new ByteReader(s.data, endian, fail, s.offset);
    const relocations: ElfRelocation[] = [];
    for (let off = 0; off < s.size; off += entSize) {
      const at = s.offset + off;
      const offset = r.u64n(off, 'r_offset');
      const info = r.u64(off + 8, 'r_info');
      const symbol = Number(info >> 32n);
      const type = Number(info & 0xffffffffn);
      if (symbol >= symbols.length) {
        fail(at + 8, `${s.name}: relocation ${off / entSize} names symbol ${symbol}, but .symtab has ${symbols.length}`);
      }
      const width = relocationWidth(type);
      if (offset + width > target.size) {
        fail(at, `${s.name}: relocation ${off / entSize} at ${offset} (+${width} bytes) outside ${target.name} (${target.size} bytes)`);
      }
      const rel: ElfRelocation = { offset, type, symbol };
      if (s.type === SHT_RELA) {
        const addend = r.u64(off + 16, 'r_addend');
        rel.addend = Number(BigInt.asIntN(64, addend));
      }
      relocations.push(rel);
    }
    out.push({ section: s.index, target: s.info, relocations });
  }
  return out;
}
