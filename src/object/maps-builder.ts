/**
 * The BTF and `.maps` bytes of BTF-defined maps, exactly as clang-19 emits them for
 *
 *   struct { __uint(type, T); __type(key, K); __type(value, V); __uint(max_entries, N);
 *            __uint(map_flags, F); __uint(pinning, P); } name SEC(".maps");
 *
 * (`__uint(key_size, N)` / `__uint(value_size, N)` when a size is given instead of a type).
 * bpf_helpers.h defines `__uint(name, val)` as `int (*name)[val]` and `__type(name, val)` as
 * `typeof(val) *name`, so every member is a pointer and the struct is 8 bytes per member.
 *
 * Type ids follow LLVM's BTFDebug (llvm/lib/Target/BPF/BTFDebug.cpp): for a `.maps` global,
 * visitMapDefType visits each member's type first, then the struct, then the VAR, and the
 * DATASEC comes last. A pointer or typedef takes its id before its target; an array takes its id
 * after its element and before the shared `__ARRAY_SIZE_TYPE__` index type; identical C types
 * share one id (DI metadata is uniqued). Strings are interned in type-id order. DATASEC
 * offsets are 0, as in clang's unlinked output (libbpf fills them in from the symbols).
 */
import { ObjectError, type Endian } from '../util/index';
import { BtfBuilder, BTF_INT_BOOL, BTF_INT_SIGNED, BTF_VAR_GLOBAL_ALLOCATED, type BtfType } from '../btf/index';

/** One map of the assembler's concise map directive. */
export interface MapDeclaration {
  name: string;
  /** BPF_MAP_TYPE_* number. */
  type: number;
  /** The key as a C integer type name (`__u32`, `unsigned int`...) or a size in bytes. */
  key: { type: string } | { size: number };
  value: { type: string } | { size: number };
  maxEntries: number;
  /** map_flags; the member is emitted when given (even 0). */
  flags?: number;
  /** pinning (LIBBPF_PIN_BY_NAME = 1); the member is emitted when given. */
  pinning?: number;
}

/** The output of `buildMapsSection`. */
export interface MapsSection {
  /** A complete `.BTF` section describing the maps. */
  btf: Uint8Array;
  /** The `.maps` section contents (all zeros, 8 bytes per member, maps in order). */
  mapsData: Uint8Array;
  /** One OBJECT symbol per map: its offset and size within `.maps`. */
  symbols: { name: string; offset: number; size: number }[];
}

/** A C type as bpf_helpers.h's macros (or a function's signature) spell it; `void` is type id 0. */
export type CType =
  | { k: 'void' }
  | { k: 'int'; name: string; size: number; encoding: number }
  | { k: 'typedef'; name: string; of: CType }
  | { k: 'ptr'; to: CType }
  | { k: 'array'; of: CType; n: number }
  | { k: 'struct'; name: string; size: number; members: readonly { name: string; type: CType; bitOffset: number }[] };

const int = (name: string, size: number, encoding = 0): CType => ({ k: 'int', name, size, encoding });
/** C `int`. */
export const C_INT = int('int', 4, BTF_INT_SIGNED);
const BASE: Record<string, CType> = {
  char: int('char', 1, BTF_INT_SIGNED),
  'signed char': int('signed char', 1, BTF_INT_SIGNED),
  'unsigned char': int('unsigned char', 1),
  short: int('short', 2, BTF_INT_SIGNED),
  'unsigned short': int('unsigned short', 2),
  int: C_INT,
  'unsigned int': int('unsigned int', 4),
  long: int('long', 8, BTF_INT_SIGNED),
  'unsigned long': int('unsigned long', 8),
  'long long': int('long long', 8, BTF_INT_SIGNED),
  'unsigned long long': int('unsigned long long', 8),
  _Bool: int('_Bool', 1, BTF_INT_BOOL),
};
// Synonyms C accepts for the same base types.
const ALIASES: Record<string, string> = {
  unsigned: 'unsigned int',
  signed: 'int',
  'signed int': 'int',
  'short int': 'short',
  'signed short': 'short',
  'unsigned short int': 'unsigned short',
  'long int': 'long',
  'signed long': 'long',
  'unsigned long int': 'unsigned long',
  'long long int': 'long long',
  'signed long long': 'long long',
  'unsigned long long int': 'unsigned long long',
  bool: '_Bool',
};
const td = (name: string, of: CType): CType => ({ k: 'typedef', name, of });
// uapi asm-generic/int-ll64.h: __u32 is `unsigned int`, __u64 `unsigned long long`...
const KERNEL: Record<string, CType> = {
  __u8: td('__u8', BASE['unsigned char']!),
  __s8: td('__s8', BASE['signed char']!),
  __u16: td('__u16', BASE['unsigned short']!),
  __s16: td('__s16', BASE.short!),
  __u32: td('__u32', BASE['unsigned int']!),
  __s32: td('__s32', BASE.int!),
  __u64: td('__u64', BASE['unsigned long long']!),
  __s64: td('__s64', BASE['long long']!),
};
// vmlinux.h / linux/types.h spellings: `typedef __u32 u32;`, `typedef __u16 __be16;`...
for (const bits of [8, 16, 32, 64]) {
  KERNEL[`u${bits}`] = td(`u${bits}`, KERNEL[`__u${bits}`]!);
  KERNEL[`s${bits}`] = td(`s${bits}`, KERNEL[`__s${bits}`]!);
  if (bits > 8) {
    KERNEL[`__be${bits}`] = td(`__be${bits}`, KERNEL[`__u${bits}`]!);
    KERNEL[`__le${bits}`] = td(`__le${bits}`, KERNEL[`__u${bits}`]!);
  }
}

/** The C type of an integer type name, or undefined when the name is not one xdpts knows. */
export function cTypeOf(name: string): CType | undefined {
  const n = name.trim().replace(/\s+/g, ' ');
  return KERNEL[n] ?? BASE[n] ?? BASE[ALIASES[n] ?? ''];
}

/** Size in bytes of a C integer type name (`__u32` → 4), or undefined when unknown. */
export function cIntTypeSize(name: string): number | undefined {
  let t = cTypeOf(name);
  while (t && t.k === 'typedef') t = t.of;
  return t && t.k === 'int' ? t.size : undefined;
}

/** The integer type names `buildMapsSection` accepts. */
export const KNOWN_INT_TYPES: readonly string[] = [...Object.keys(KERNEL), ...Object.keys(BASE), ...Object.keys(ALIASES)];

const keyOf = (t: CType): string => JSON.stringify(t);

/**
 * Emulates BTFDebug's type visiting over a BtfBuilder: ids in LLVM's order, deduplicated.
 * Pointer and typedef entries are added first and patched once their target has an id; a struct
 * takes its id before its members' types (BTFDebug::visitStructType adds the struct, then visits
 * each member).
 */
export class TypeVisitor {
  readonly b = new BtfBuilder();
  private readonly ids = new Map<string, number>();
  private indexType = 0;

  visit(t: CType): number {
    if (t.k === 'void') return 0;
    const key = keyOf(t);
    const have = this.ids.get(key);
    if (have !== undefined) return have;
    switch (t.k) {
      case 'struct': {
        const entry: BtfType = { kind: 'struct', name: t.name, size: t.size, kflag: false, members: [] };
        const id = this.b.add(entry);
        this.ids.set(key, id);
        for (const m of t.members) (entry as { members: unknown[] }).members.push({ name: m.name, type: this.visit(m.type), bitOffset: m.bitOffset, bitSize: 0 });
        return id;
      }
      case 'int': {
        const id = this.b.add({ kind: 'int', name: t.name, size: t.size, encoding: t.encoding, bitOffset: 0, bits: t.size * 8 });
        this.ids.set(key, id);
        return id;
      }
      case 'ptr':
      case 'typedef': {
        const entry: BtfType = t.k === 'ptr' ? { kind: 'ptr', type: 0 } : { kind: 'typedef', name: t.name, type: 0 };
        const id = this.b.add(entry);
        this.ids.set(key, id);
        (entry as { type: number }).type = this.visit(t.k === 'ptr' ? t.to : t.of);
        return id;
      }
      case 'array': {
        const elem = this.visit(t.of);
        const entry: BtfType = { kind: 'array', type: elem, indexType: 0, nelems: t.n };
        const id = this.b.add(entry);
        this.ids.set(key, id);
        if (!this.indexType) {
          this.indexType = this.b.add({ kind: 'int', name: '__ARRAY_SIZE_TYPE__', size: 4, encoding: 0, bitOffset: 0, bits: 32 });
        }
        (entry as { indexType: number }).indexType = this.indexType;
        return id;
      }
    }
  }
}

function checkU32(v: number, what: string, map: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new ObjectError(`map '${map}': ${what} ${v} is not a u32`);
  return v;
}

/**
 * Builds the `.BTF` and `.maps` contents clang-19 produces for these BTF-defined maps (only the
 * types reachable from the maps, in clang's order), in byte order `endian`.
 *
 * @throws ObjectError for an unknown key/value type name or an out-of-range number.
 */
export function buildMapsSection(decls: readonly MapDeclaration[], endian: Endian): MapsSection {
  const v = new TypeVisitor();
  const { vars, symbols, size } = visitMaps(v, decls);
  if (decls.length > 0) v.b.add(mapsDatasec(vars));
  return { btf: v.b.encode(endian), mapsData: new Uint8Array(size), symbols };
}

/** The `.maps` DATASEC over the maps' VARs (offsets 0, size 0: libbpf fills them in from the symbols). */
export function mapsDatasec(vars: readonly { id: number; size: number }[]): BtfType {
  return { kind: 'datasec', name: '.maps', size: 0, vars: vars.map((x) => ({ type: x.id, offset: 0, size: x.size })) };
}

/**
 * Adds the types of BTF-defined maps to `v` in clang's order (member types, struct, VAR per map)
 * and lays them out in `.maps`; the DATASEC is left to the caller (BTFDebug adds DATASECs last).
 */
export function visitMaps(v: TypeVisitor, decls: readonly MapDeclaration[]): { vars: { id: number; size: number }[]; symbols: MapsSection['symbols']; size: number } {
  const vars: { id: number; size: number }[] = [];
  const symbols: MapsSection['symbols'] = [];
  let offset = 0;
  const seen = new Set<string>();
  for (const d of decls) {
    if (seen.has(d.name)) throw new ObjectError(`map '${d.name}' declared twice`);
    seen.add(d.name);
    // `__uint(x, n)` is `int (*x)[n]`; `__type(x, T)` is `typeof(T) *x`.
    const uint = (n: number, what: string): CType => ({ k: 'ptr', to: { k: 'array', of: C_INT, n: checkU32(n, what, d.name) } });
    const typed = (spec: { type: string } | { size: number }, what: 'key' | 'value'): [string, CType] => {
      if ('size' in spec) return [`${what}_size`, uint(spec.size, `${what}_size`)];
      const t = cTypeOf(spec.type);
      if (!t) throw new ObjectError(`map '${d.name}': unknown ${what} type '${spec.type}' (known: ${KNOWN_INT_TYPES.join(', ')})`);
      return [what, { k: 'ptr', to: t }];
    };
    const members: [string, CType][] = [
      ['type', uint(d.type, 'type')],
      typed(d.key, 'key'),
      typed(d.value, 'value'),
      ['max_entries', uint(d.maxEntries, 'max_entries')],
    ];
    if (d.flags !== undefined) members.push(['map_flags', uint(d.flags, 'map_flags')]);
    if (d.pinning !== undefined) members.push(['pinning', uint(d.pinning, 'pinning')]);
    const memberIds = members.map(([, t]) => v.visit(t));
    const size = members.length * 8;
    const struct = v.b.add({
      kind: 'struct',
      name: '',
      size,
      kflag: false,
      members: members.map(([name], i) => ({ name, type: memberIds[i]!, bitOffset: i * 64, bitSize: 0 })),
    });
    vars.push({ id: v.b.add({ kind: 'var', name: d.name, type: struct, linkage: BTF_VAR_GLOBAL_ALLOCATED }), size });
    symbols.push({ name: d.name, offset, size });
    offset += size;
  }
  return { vars, symbols, size: offset };
}
