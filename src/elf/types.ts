/**
 * The ELF model xdpts reads and writes: a relocatable ELF64 file as plain data. The reader
 * (elfy underneath, wrapped and validated) produces it; the writer serialises it; the assembler
 * builds it. Only the parts BPF objects use are modelled.
 */
import type { Endian } from '../util/bytes';

/** ELF machine number of BPF (e_machine), which elfy does not know. */
export const EM_BPF = 247;

/** Section header types used by BPF objects. */
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

/** Section flags. */
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_MERGE = 0x10;
export const SHF_STRINGS = 0x20;
export const SHF_INFO_LINK = 0x40;
export const SHF_EXCLUDE = 0x80000000;

/** Symbol binding and type (st_info = bind << 4 | type). */
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
/** STT_COMMON (gABI): a common (tentative) data object; llvm-objdump dumps it as data. */
export const STT_COMMON = 5;
export const SHN_UNDEF = 0;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
/** SHN_LORESERVE (gABI): st_shndx values at or above are special (ABS, COMMON...), not sections. */
export const SHN_LORESERVE = 0xff00;

/** BPF relocation types (llvm/BinaryFormat/ELFRelocs/BPF.def). */
export const R_BPF_NONE = 0;
export const R_BPF_64_64 = 1;
export const R_BPF_64_ABS64 = 2;
export const R_BPF_64_ABS32 = 3;
export const R_BPF_64_NODYLD32 = 4;
export const R_BPF_64_32 = 10;

/** One section. `index` is its position in the section header table. */
export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  /** Contents (empty for SHT_NOBITS; use `size`). */
  data: Uint8Array;
  /** sh_size: equals data.length except for SHT_NOBITS. */
  size: number;
  link: number;
  info: number;
  addralign: number;
  entsize: number;
  /** sh_offset in the file that was read (0 for sections not yet written). */
  offset: number;
}

/** One symbol of `.symtab`. `section` is st_shndx. */
export interface ElfSymbol {
  name: string;
  value: number;
  size: number;
  bind: number;
  type: number;
  /** st_other (visibility). */
  other: number;
  section: number;
}

/** One relocation (REL; RELA addends are kept too). `symbol` indexes ElfFile.symbols. */
export interface ElfRelocation {
  offset: number;
  type: number;
  symbol: number;
  addend?: number;
}

/** A relocation section applying to `target` (the index of the section it patches). */
export interface ElfRelocSection {
  /** Index of the .rel section itself. */
  section: number;
  target: number;
  relocations: ElfRelocation[];
}

/** A whole relocatable ELF64 object. */
export interface ElfFile {
  endian: Endian;
  machine: number;
  /** e_type: 1 = ET_REL. */
  type: number;
  flags: number;
  /** Every section, index 0 being the null section. */
  sections: ElfSection[];
  /** Symbols of .symtab, index 0 being the null symbol. */
  symbols: ElfSymbol[];
  relocSections: ElfRelocSection[];
}
