/**
 * `loadObject`: the meaning of a BPF ELF object, mirroring libbpf's bpf_object__open (ELF →
 * license, BTF and .BTF.ext, maps, programs with relocations applied and subprograms linked).
 */
import { ObjectError, XdptsError, latin1 } from '../util/index';
import { decodeBtf, decodeBtfExt, type Btf, type BtfExt } from '../btf/index';
import { EM_BPF, STB_WEAK, readElf, type ElfFile } from '../elf/index';
import { kconfigMap } from './externs';
import { collectMaps } from './maps';
import { collectPrograms } from './programs';
import type { ObjectSpec } from './types';

/** ET_REL: BPF objects are relocatable files. */
const ET_REL = 1;

/**
 * libbpf's object name for a file path: the basename cut at its first '.' (`counter.o` →
 * `counter`), used as the prefix of global data map names. Empty without a path.
 */
export function objectNameOf(file?: string): string {
  if (!file) return '';
  const base = file.split(/[\\/]/).pop() ?? '';
  const dot = base.indexOf('.');
  return dot >= 0 ? base.slice(0, dot) : base;
}

/** The `license` section as a string, up to its first NUL (libbpf bpf_object__init_license). */
function licenseOf(elf: ElfFile): string {
  const s = elf.sections.find((x) => x.name === 'license');
  if (!s) return '';
  const nul = s.data.indexOf(0);
  return latin1(nul >= 0 ? s.data.subarray(0, nul) : s.data);
}

/** Re-labels BTF errors with the section they come from; other XdptsErrors pass through. */
function inSection<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof XdptsError) {
      e.message = `${name}: ${e.message}`;
      throw e;
    }
    throw e;
  }
}

/**
 * libbpf's btf_fixup_datasec: clang leaves the DATASECs of data sections with size 0 and
 * variable offsets 0; the size comes from the ELF section, each variable's offset from its
 * symbol. Extern sections (.kconfig, .ksyms) have no ELF section and stay as they are.
 */
function fixupDatasecs(btf: Btf, elf: ElfFile): void {
  for (const t of btf.types) {
    if (t.kind !== 'datasec') continue;
    const sec = elf.sections.find((x) => x.name === t.name);
    if (!sec) continue;
    if (t.size === 0) t.size = sec.size;
    for (const v of t.vars) {
      const vt = btf.types[v.type];
      if (vt?.kind !== 'var') continue;
      const sym = elf.symbols.find((y) => y.section === sec.index && y.name === vt.name);
      if (sym) v.offset = sym.value;
    }
  }
}

/**
 * Reads a BPF object file into an `ObjectSpec`, mirroring libbpf's bpf_object__open.
 * `file` names the input in errors and gives the object name that prefixes global data map
 * names (`counter.o` → `counter.rodata`); without it the prefix is empty (`.rodata`).
 *
 * @throws ElfError for malformed ELF, BtfError for malformed `.BTF`/`.BTF.ext`, ObjectError
 *   for a valid ELF that is not a usable BPF object (bad relocation, unknown symbol...).
 */
export function loadObject(bytes: Uint8Array, file?: string): ObjectSpec {
  const elf = readElf(bytes, file);
  return objectFromElf(elf, file);
}

/** Builds the `ObjectSpec` of an already-read ELF file (see `loadObject`). */
export function objectFromElf(elf: ElfFile, file?: string): ObjectSpec {
  const label = file ? `${file}: ` : '';
  try {
    if (elf.machine !== EM_BPF) throw new ObjectError(`not a BPF object: e_machine is ${elf.machine}, expected EM_BPF (${EM_BPF})`);
    if (elf.type !== ET_REL) throw new ObjectError(`not a relocatable object: e_type is ${elf.type}, expected ET_REL (1)`);
    const btfSec = elf.sections.find((s) => s.name === '.BTF');
    const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
    const btf: Btf | undefined = btfSec ? inSection('.BTF', () => decodeBtf(btfSec.data)) : undefined;
    const btfExt: BtfExt | undefined = btfSec && extSec ? inSection('.BTF.ext', () => decodeBtfExt(extSec.data, btfSec.data)) : undefined;
    if (btf) fixupDatasecs(btf, elf);
    const license = licenseOf(elf);
    const maps = collectMaps(elf, btf, objectNameOf(file));
    const weak = new Set(elf.symbols.filter((y) => y.bind === STB_WEAK).map((y) => y.name));
    const kconfig = kconfigMap(btf, objectNameOf(file), weak);
    if (kconfig) maps.push(kconfig.location);
    const programs = collectPrograms(elf, maps, btf, btfExt, license, kconfig);
    const spec: ObjectSpec = {
      endian: elf.endian,
      programs,
      maps: maps.map((m) => m.map),
      license,
      ...(btf ? { btf } : {}),
      ...(btfExt ? { btfExt } : {}),
    };
    return spec;
  } catch (e) {
    if (e instanceof ObjectError && label && !e.message.startsWith(label)) e.message = label + e.message;
    throw e;
  }
}
