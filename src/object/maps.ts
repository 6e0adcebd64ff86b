/**
 * Maps of an object, read the way libbpf's bpf_object__init_maps does: BTF-defined maps from
 * the `.maps` DATASEC (bpf_object__init_user_btf_maps / parse_btf_map_def), legacy
 * `struct bpf_map_def` entries of a `maps` section (libbpf < 1.0), then one ARRAY map per global
 * data section (.rodata, .data, .bss, .rodata.*, .data.*; bpf_object__init_global_data_maps).
 */
import { ByteReader, ObjectError, type Endian } from '../util/index';
import { btfSizeof, skipModifiers, type Btf } from '../btf/index';
import { SHN_ABS, SHN_COMMON, SHN_UNDEF, SHT_NOBITS, STT_SECTION, type ElfFile, type ElfSection } from '../elf/index';
import { BPF_MAP_TYPE, type MapSpec } from './types';

/** Kernel map flags libbpf sets on global data maps (uapi linux/bpf.h). */
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_MMAPABLE = 1 << 10;
/** Kernel BPF_OBJ_NAME_LEN: map names are at most 15 characters. */
export const BPF_OBJ_NAME_LEN = 16;

/**
 * Largest global data section accepted: the kernel caps an array map value at KMALLOC_MAX_SIZE
 * (a few MiB), so anything above 64 MiB can only be a corrupt section header.
 */
export const MAX_GLOBAL_DATA_SIZE = 1 << 26;

/** Where a map definition lives in the ELF, for resolving `lddw` relocations to it. */
export interface MapLocation {
  readonly map: MapSpec;
  /** ELF section index of the definition. */
  readonly section: number;
  /** Offset of the definition within that section (BTF/legacy maps); 0 for global data. */
  readonly offset: number;
  /** True for global data maps (relocations make BPF_PSEUDO_MAP_VALUE loads). */
  readonly data: boolean;
}

/** Kind of a global data section, as libbpf classifies section names; undefined otherwise. */
export function globalDataKind(s: ElfSection): 'rodata' | 'data' | 'bss' | undefined {
  if (s.name === '.rodata' || s.name.startsWith('.rodata.')) return 'rodata';
  if (s.name === '.data' || s.name.startsWith('.data.')) return 'data';
  if (s.name === '.bss' && s.type === SHT_NOBITS) return 'bss';
  return undefined;
}

/**
 * libbpf's internal_map_name: up to 8 characters of the object name followed by the section
 * name (at least 7 characters reserved for it), no object prefix for `.rodata.*`/`.data.*`,
 * characters other than [A-Za-z0-9_.] replaced by '_', 15 characters at most.
 */
export function internalMapName(objectName: string, section: string): string {
  const sfxLen = Math.max(7, section.length);
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.max(0, Math.min(BPF_OBJ_NAME_LEN - sfxLen - 1, objectName.length));
  const name = (objectName.slice(0, pfxLen) + section.slice(0, sfxLen)).slice(0, BPF_OBJ_NAME_LEN - 1);
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}

/** Reads `int (*name)[N]` (a `__uint` member): N, the array's element count. */
function uintMember(btf: Btf, typeId: number, map: string, field: string): number {
  const p = btf.types[skipModifiers(btf, typeId)];
  if (!p || p.kind !== 'ptr') throw new ObjectError(`map '${map}': attr '${field}': expected PTR, got ${p?.kind ?? 'nothing'}`);
  const a = btf.types[skipModifiers(btf, p.type)];
  if (!a || a.kind !== 'array') throw new ObjectError(`map '${map}': attr '${field}': type [${p.type}] is not an array`);
  return a.nelems;
}

/** Reads `T *name` (a `__type` member): T's id. */
function typeMember(btf: Btf, typeId: number, map: string, field: string): number {
  const p = btf.types[skipModifiers(btf, typeId)];
  if (!p || p.kind !== 'ptr') throw new ObjectError(`map '${map}': ${field} spec is not PTR: ${p?.kind ?? 'nothing'}`);
  return p.type;
}

/**
 * Where a value type holds its `struct bpf_spin_lock` (btf_parse_fields: the value itself, a
 * member, or a member of a nested struct), in bytes; undefined when it has none.
 */
function spinLockOffset(btf: Btf, typeId: number, depth = 0): number | undefined {
  const t = btf.types[skipModifiers(btf, typeId)];
  if (!t || depth > 2) return undefined;
  if (t.kind === 'struct' && t.name === 'bpf_spin_lock') return 0;
  if (t.kind !== 'struct') return undefined;
  for (const m of t.members) {
    const inner = spinLockOffset(btf, m.type, depth + 1);
    if (inner !== undefined) return m.bitOffset / 8 + inner;
  }
  return undefined;
}

/** Parses one BTF map definition struct (libbpf parse_btf_map_def), recursively for `values`. */
function parseBtfMapDef(btf: Btf, name: string, structId: number, section: string, depth = 0): MapSpec {
  const st = btf.types[skipModifiers(btf, structId)];
  if (!st || st.kind !== 'struct') throw new ObjectError(`map '${name}': unexpected def kind ${st?.kind ?? 'nothing'}`);
  let type = 0;
  let keySize = -1;
  let valueSize = -1;
  let maxEntries = 0;
  let flags = 0;
  let pinning = 0;
  let keyTypeId = 0;
  let valueTypeId = 0;
  let innerMap: MapSpec | undefined;
  let mapExtra = 0;
  for (const m of st.members) {
    if (!m.name) throw new ObjectError(`map '${name}': invalid field #${st.members.indexOf(m)}`);
    switch (m.name) {
      case 'type':
        type = uintMember(btf, m.type, name, m.name);
        break;
      case 'max_entries':
        maxEntries = uintMember(btf, m.type, name, m.name);
        break;
      case 'map_flags':
        flags = uintMember(btf, m.type, name, m.name);
        break;
      case 'numa_node':
        uintMember(btf, m.type, name, m.name);
        break;
      case 'map_extra':
        mapExtra = uintMember(btf, m.type, name, m.name);
        break;
      case 'pinning':
        pinning = uintMember(btf, m.type, name, m.name);
        if (pinning !== 0 && pinning !== 1) throw new ObjectError(`map '${name}': invalid pinning value ${pinning}`);
        break;
      case 'key_size':
      case 'value_size': {
        const sz = uintMember(btf, m.type, name, m.name);
        const cur = m.name === 'key_size' ? keySize : valueSize;
        if (cur !== -1 && cur !== sz) throw new ObjectError(`map '${name}': conflicting ${m.name} ${cur} != ${sz}`);
        if (m.name === 'key_size') keySize = sz;
        else valueSize = sz;
        break;
      }
      case 'key':
      case 'value': {
        const tid = typeMember(btf, m.type, name, m.name);
        const sz = btfSizeof(btf, tid);
        const cur = m.name === 'key' ? keySize : valueSize;
        if (cur !== -1 && cur !== sz) throw new ObjectError(`map '${name}': conflicting ${m.name} size ${cur} != ${sz}`);
        if (m.name === 'key') {
          keySize = sz;
          keyTypeId = tid;
        } else {
          valueSize = sz;
          valueTypeId = tid;
        }
        break;
      }
      case 'values': {
        // `typeof(struct inner) *values[]`: an array of pointers to the inner map definition
        // (map-in-map) or to programs (prog arrays). Only map-in-map carries a spec.
        if (depth > 0) throw new ObjectError(`map '${name}': multi-level inner maps not supported`);
        const arr = btf.types[skipModifiers(btf, m.type)];
        if (!arr || arr.kind !== 'array') throw new ObjectError(`map '${name}': values spec is not an array`);
        const ptr = btf.types[skipModifiers(btf, arr.type)];
        if (!ptr || ptr.kind !== 'ptr') throw new ObjectError(`map '${name}': values element is not a pointer`);
        const target = btf.types[skipModifiers(btf, ptr.type)];
        if (target?.kind === 'struct') innerMap = parseBtfMapDef(btf, `${name}.inner`, ptr.type, section, depth + 1);
        valueSize = valueSize === -1 ? 4 : valueSize;
        break;
      }
      default:
        // libbpf 1.x rejects unknown fields (strict mode).
        throw new ObjectError(`map '${name}': unknown field '${m.name}'`);
    }
  }
  if (type === 0) throw new ObjectError(`map '${name}': map type is not specified`);
  const spec: MapSpec = {
    name,
    type,
    keySize: Math.max(0, keySize),
    valueSize: Math.max(0, valueSize),
    maxEntries,
    flags,
    pinning,
    keyTypeId,
    valueTypeId,
    section,
    ...(innerMap ? { innerMap } : {}),
    ...(mapExtra ? { mapExtra } : {}),
  };
  const lock = valueTypeId ? spinLockOffset(btf, valueTypeId) : undefined;
  return lock === undefined ? spec : { ...spec, spinLockOff: lock };
}

/** The symbol naming a map definition at `offset` of section `index`, if any. */
function symbolAt(elf: ElfFile, index: number, name?: string): { value: number; size: number; name: string }[] {
  return elf.symbols.filter(
    (s) => s.section === index && s.type !== STT_SECTION && s.name !== '' && (name === undefined || s.name === name),
  );
}

/** BTF-defined maps of the `.maps` section, in the DATASEC's variable order. */
function btfMaps(elf: ElfFile, btf: Btf | undefined): MapLocation[] {
  const sec = elf.sections.find((s) => s.name === '.maps');
  if (!sec) return [];
  if (!btf) throw new ObjectError('.maps section present but there is no .BTF: BTF-defined maps need BTF');
  const ds = btf.types.find((t) => t.kind === 'datasec' && t.name === '.maps');
  if (!ds || ds.kind !== 'datasec') throw new ObjectError('DATASEC \'.maps\' not found in BTF');
  const out: MapLocation[] = [];
  for (const v of ds.vars) {
    const vt = btf.types[v.type];
    if (!vt || vt.kind !== 'var') throw new ObjectError(`.maps DATASEC entry [${v.type}] is not a VAR`);
    const sym = symbolAt(elf, sec.index, vt.name)[0];
    if (!sym) throw new ObjectError(`map '${vt.name}': no ELF symbol for it in .maps`);
    const map = parseBtfMapDef(btf, vt.name, vt.type, '.maps');
    const slots = initialSlots(elf, btf, sec.index, vt.type, sym, map.name);
    out.push({ map: slots.length ? { ...map, initialSlots: slots } : map, section: sec.index, offset: sym.value, data: false });
  }
  return out;
}

/**
 * The `.values = { [i] = &prog_or_map }` initialisers of a map-in-map or prog array
 * (libbpf bpf_object__collect_map_relos): relocations of `.maps` falling in the definition's
 * `values` member, one 8-byte pointer per slot, naming the program or inner map.
 */
function initialSlots(elf: ElfFile, btf: Btf, mapsIdx: number, typeId: number, sym: { value: number; size: number }, name: string): { index: number; target: string }[] {
  const rs = elf.relocSections.find((r) => r.target === mapsIdx);
  if (!rs) return [];
  const st = btf.types[skipModifiers(btf, typeId)];
  const values = st && st.kind === 'struct' ? st.members.find((m) => m.name === 'values') : undefined;
  if (!values) return [];
  const start = sym.value + values.bitOffset / 8;
  const out: { index: number; target: string }[] = [];
  for (const r of rs.relocations) {
    if (r.offset < start || r.offset >= sym.value + Math.max(sym.size, values.bitOffset / 8 + 8)) continue;
    const target = elf.symbols[r.symbol];
    if (!target?.name) throw new ObjectError(`map '${name}': .values relo #${rs.relocations.indexOf(r)} points to an unnamed symbol`);
    if ((r.offset - start) % 8 !== 0) throw new ObjectError(`map '${name}': .values relo at offset ${r.offset} is not at a pointer slot`);
    out.push({ index: (r.offset - start) / 8, target: target.name });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Legacy maps: `struct bpf_map_def { type, key_size, value_size, max_entries, map_flags }`. */
function legacyMaps(elf: ElfFile, endian: Endian): MapLocation[] {
  const sec = elf.sections.find((s) => s.name === 'maps');
  if (!sec) return [];
  const syms = symbolAt(elf, sec.index).sort((a, b) => a.value - b.value);
  if (syms.length === 0) return [];
  // libbpf 0.x: every definition has the same size, section size / number of maps.
  const defSize = sec.data.length / syms.length;
  if (!Number.isInteger(defSize) || defSize % 4 !== 0 || defSize < 4) {
    throw new ObjectError(`maps section: unable to determine map definition size (${sec.data.length} bytes, ${syms.length} maps)`);
  }
  const r = new ByteReader(sec.data, endian, (o, w) => {
    throw new ObjectError(`maps section: ${w} at offset ${o}`);
  });
  return syms.map((s) => {
    if (s.value + defSize > sec.data.length) throw new ObjectError(`map '${s.name}': definition past the end of the maps section`);
    const field = (i: number): number => (i * 4 + 4 <= defSize ? r.u32(s.value + i * 4) : 0);
    const map: MapSpec = {
      name: s.name,
      type: field(0),
      keySize: field(1),
      valueSize: field(2),
      maxEntries: field(3),
      flags: field(4),
      pinning: 0,
      keyTypeId: 0,
      valueTypeId: 0,
      section: 'maps',
    };
    return { map, section: sec.index, offset: s.value, data: false };
  });
}

/** One ARRAY map per global data section, named as libbpf names it. */
function globalDataMaps(elf: ElfFile, btf: Btf | undefined, objectName: string): MapLocation[] {
  const out: MapLocation[] = [];
  for (const s of elf.sections) {
    const kind = globalDataKind(s);
    if (!kind || s.size === 0) continue;
    if (s.size > MAX_GLOBAL_DATA_SIZE) {
      throw new ObjectError(`section '${s.name}': ${s.size} bytes of global data is more than an array map value can hold`);
    }
    const dsId = btf ? btf.types.findIndex((t) => t.kind === 'datasec' && t.name === s.name) : -1;
    const readOnly = kind === 'rodata';
    const map: MapSpec = {
      name: internalMapName(objectName, s.name),
      type: BPF_MAP_TYPE.ARRAY,
      keySize: 4,
      valueSize: s.size,
      maxEntries: 1,
      flags: (readOnly ? BPF_F_RDONLY_PROG : 0) | BPF_F_MMAPABLE,
      pinning: 0,
      keyTypeId: 0,
      valueTypeId: Math.max(0, dsId),
      initialValue: kind === 'bss' ? new Uint8Array(s.size) : s.data.slice(),
      isGlobalData: true,
      readOnly,
      section: s.name,
    };
    out.push({ map, section: s.index, offset: 0, data: true });
  }
  return out;
}

/** Every map of the object with where it is defined (libbpf order: BTF, legacy, global data). */
export function collectMaps(elf: ElfFile, btf: Btf | undefined, objectName: string): MapLocation[] {
  const all = [...btfMaps(elf, btf), ...legacyMaps(elf, elf.endian), ...globalDataMaps(elf, btf, objectName)];
  const seen = new Set<string>();
  for (const m of all) {
    if (seen.has(m.map.name)) throw new ObjectError(`map '${m.map.name}' defined twice`);
    seen.add(m.map.name);
  }
  return all;
}

/** True when a symbol is defined in no section (an extern). */
export function isUndefinedSection(shndx: number): boolean {
  return shndx === SHN_UNDEF || shndx === SHN_ABS || shndx === SHN_COMMON;
}
