/**
 * CO-RE relocation lines of `llvm-objdump -d -r` (LLVM 19): the `.BTF.ext` core_relo records
 * shown as `\t\t%016x:  CO-RE <kind> [id] type::access (spec)` after their instruction.
 *
 * Source of truth: llvm/lib/DebugInfo/BTF/BTFParser.cpp (`BTFParser::symbolize`,
 * `relocKindName`, `findFieldReloc`) and llvm/tools/llvm-objdump/llvm-objdump.cpp
 * (`printBTFRelocation`, called before the ELF relocations of the same instruction).
 * Facts mirrored here:
 *  - objdump loads BTF only with `-r` and only when both `.BTF` and `.BTF.ext` exist;
 *  - records are looked up by section (the last section of that name, as its name→section map
 *    keeps the last one) and exact byte offset; per section they are stably sorted by offset
 *    and only the first record at an offset is printed;
 *  - a record that cannot be described prints `<kind> [id] 'spec' <message>` instead.
 */
import {
  btfKindNumber,
  decodeBtf,
  decodeBtfExt,
  type Btf,
  type BtfCoreReloc,
  type BtfType,
} from '../btf';
import type { ElfFile } from '../object';
import { BtfError } from '../util';

/** Relocation kinds (enum bpf_core_relo_kind, libbpf relo_core.h) as LLVM names them. */
const KIND_NAMES: readonly string[] = [
  'byte_off', // BPF_CORE_FIELD_BYTE_OFFSET
  'byte_sz', // BPF_CORE_FIELD_BYTE_SIZE
  'field_exists', // BPF_CORE_FIELD_EXISTS
  'signed', // BPF_CORE_FIELD_SIGNED
  'lshift_u64', // BPF_CORE_FIELD_LSHIFT_U64
  'rshift_u64', // BPF_CORE_FIELD_RSHIFT_U64
  'local_type_id', // BPF_CORE_TYPE_ID_LOCAL
  'target_type_id', // BPF_CORE_TYPE_ID_TARGET
  'type_exists', // BPF_CORE_TYPE_EXISTS
  'type_size', // BPF_CORE_TYPE_SIZE
  'enumval_exists', // BPF_CORE_ENUMVAL_EXISTS
  'enumval_value', // BPF_CORE_ENUMVAL_VALUE
  'type_matches', // BPF_CORE_TYPE_MATCHES
];

type Group = 'field' | 'type' | 'enumval' | 'unknown';

function kindGroup(kind: number): Group {
  if (kind <= 5) return 'field';
  if (kind <= 9 || kind === 12) return 'type';
  if (kind <= 11) return 'enumval';
  return 'unknown';
}

function kindName(kind: number): string {
  return `<${KIND_NAMES[kind] ?? `reloc kind #${kind}`}>`;
}

/** C's `%d` of a uint32 (LLVM formats these unsigned fields with `format("%d")`). */
const d = (v: number): string => String(v | 0);

/** A type's name, or `<anon IDX>` when empty (StrOrAnon). */
function nameOr(name: string, idx: number): string {
  return name === '' ? `<anon ${idx}>` : name;
}

function typeName(t: BtfType): string {
  return 'name' in t ? t.name : '';
}

const MOD_KINDS = new Set(['const', 'volatile', 'restrict', 'type_tag']);

function skipModsAndTypedefs(btf: Btf, t: BtfType): BtfType {
  while (MOD_KINDS.has(t.kind) || t.kind === 'typedef') {
    const base = btf.types[(t as { type: number }).type];
    if (!base) break;
    t = base;
  }
  return t;
}

/** The spec parse of symbolize: `[0-9]+(:[0-9]+)*`, each number a uint64 kept as uint32. */
function parseSpec(spec: string): number[] | string {
  const out: number[] = [];
  let s = spec;
  while (s.length > 0) {
    const m = /^[0-9]+/.exec(s);
    // consumeUnsignedInteger fails without digits or past 2^64 - 1.
    if (!m || BigInt(m[0]) > 0xffffffffffffffffn) return 'spec string is not a number';
    out.push(Number(BigInt.asUintN(32, BigInt(m[0]))));
    s = s.slice(m[0].length);
    if (s.length === 0) break;
    if (s[0] !== ':') return `unexpected spec string delimiter: '${s[0]}'`;
    s = s.slice(1);
  }
  return out;
}

/**
 * The text LLVM 19's `BTFParser::symbolize` gives one CO-RE relocation record, e.g.
 * `<byte_off> [8] struct bar::[7].v (7:1)`, `<type_size> [7] struct foo`,
 * `<enumval_value> [5] enum foo::V = 2`, or `<byte_off> [4] '0:' <message>` when the record
 * does not describe a valid access.
 */
export function symbolizeCoreReloc(btf: Btf, r: BtfCoreReloc): string {
  const spec = r.accessStr;
  const fail = (msg: string): string => `${kindName(r.kind)} [${r.typeId}] '${spec}' <${msg}>`;
  const raw = parseSpec(spec);
  if (typeof raw === 'string') return fail(raw);

  let out = kindName(r.kind);
  let curId = r.typeId;
  let t = btf.types[curId];
  if (!t) return fail(`unknown type id: ${d(curId)}`);
  out += ` [${curId}]`;
  // Modifiers (const, volatile, restrict, type_tag) print before the type they qualify.
  for (let chain = 0; MOD_KINDS.has(t.kind); chain++) {
    const m = t as Extract<BtfType, { kind: 'const' | 'volatile' | 'restrict' | 'type_tag' }>;
    out += m.kind === 'type_tag' ? ` type_tag("${m.name}")` : ` ${m.kind}`;
    if (chain >= 32) return fail('modifiers chain is too long');
    curId = m.type;
    const next = btf.types[curId];
    if (!next) return fail(`unknown type id: ${d(curId)} in modifiers chain`);
    t = next;
  }
  if (curId === 0) {
    out += ' void';
  } else {
    if (t.kind === 'typedef' || t.kind === 'struct' || t.kind === 'union') out += ` ${t.kind}`;
    else if (t.kind === 'enum' || t.kind === 'enum64') out += ' enum';
    else if (t.kind === 'fwd') out += t.union ? ' fwd union' : ' fwd struct';
    out += ` ${nameOr(typeName(t), curId)}`;
  }

  const group = kindGroup(r.kind);
  // Type relocations carry the access string "0" (clang emits it, libbpf checks it).
  if (group === 'type') {
    return raw.length === 1 && raw[0] === 0 ? out : fail("unexpected type-based relocation spec: should be '0'");
  }
  out += '::';

  if (group === 'enumval') {
    t = skipModsAndTypedefs(btf, t);
    if (raw.length !== 1) return fail('unexpected enumval relocation spec size');
    const idx = raw[0]!;
    if (t.kind !== 'enum' && t.kind !== 'enum64') return fail(`unexpected type kind for enum relocation: ${btfKindNumber(t.kind)}`);
    const v = t.values[idx];
    if (!v) return fail(`bad value index: ${d(idx)}`);
    // BTFEnum.Val is an int32: an unsigned 32-bit enum sign-extends it to the uint64 printed.
    let value: bigint;
    if (t.kind === 'enum') value = t.signed ? BigInt(Number(v.value) | 0) : BigInt.asUintN(64, BigInt(Number(v.value) | 0));
    else value = t.signed ? BigInt.asIntN(64, BigInt(v.value)) : BigInt.asUintN(64, BigInt(v.value));
    return `${out}${nameOr(v.name, idx)} = ${value}`;
  }

  if (group === 'field') {
    // The access string is getelementptr-like: first an index into the root pointer, then
    // member numbers (structs, unions) and array indexes.
    if (raw.length < 1) return fail('field spec too short');
    if (raw[0] !== 0) out += `[${raw[0]}]`;
    for (let i = 1; i < raw.length; i++) {
      t = skipModsAndTypedefs(btf, t);
      const idx = raw[i]!;
      if (t.kind === 'struct' || t.kind === 'union') {
        const m = t.members[idx];
        if (!m) return fail(`member index ${d(idx)} for spec sub-string ${i} is out of range`);
        if (i !== 1 || raw[0] !== 0) out += '.';
        out += nameOr(m.name, idx);
        const next = btf.types[m.type];
        if (!next) return fail(`unknown member type id ${d(m.type)} for spec sub-string ${i}`);
        t = next;
      } else if (t.kind === 'array') {
        out += `[${idx}]`;
        const next = btf.types[t.type];
        if (!next) return fail(`unknown element type id ${d(t.type)} for spec sub-string ${i}`);
        t = next;
      } else {
        return fail(`unexpected type kind ${btfKindNumber(t.kind)} for spec sub-string ${i}`);
      }
    }
    return `${out} (${spec})`;
  }
  return fail(`unknown relocation kind: ${d(r.kind)}`);
}

/**
 * The CO-RE lines llvm-objdump prints for an object, keyed by section index, each map from
 * byte offset to the symbolized text (without the `CO-RE ` prefix). Undefined when the object
 * lacks `.BTF` or `.BTF.ext`, or when they do not decode (objdump then warns on stderr).
 */
export function coreRelocLines(elf: ElfFile): Map<number, Map<number, string>> | undefined {
  const btfSec = elf.sections.find((s) => s.name === '.BTF');
  const extSec = elf.sections.find((s) => s.name === '.BTF.ext');
  if (!btfSec || !extSec) return undefined;
  let btf: Btf;
  let relos: Map<string, BtfCoreReloc[]>;
  try {
    btf = decodeBtf(btfSec.data);
    relos = decodeBtfExt(extSec.data, btfSec.data).coreRelos;
  } catch (e) {
    if (e instanceof BtfError) return undefined;
    throw e;
  }
  // objdump's name -> section map keeps the last section of a name.
  const byName = new Map<string, number>();
  for (const s of [...elf.sections].sort((a, b) => a.index - b.index)) byName.set(s.name, s.index);
  const out = new Map<number, Map<number, string>>();
  for (const [name, list] of relos) {
    const index = byName.get(name);
    if (index === undefined) continue;
    const lines = new Map<number, string>();
    // Stable sort by offset; the first record at an offset is the one found.
    for (const r of [...list].sort((a, b) => a.insnOff - b.insnOff)) {
      if (!lines.has(r.insnOff)) lines.set(r.insnOff, symbolizeCoreReloc(btf, r));
    }
    out.set(index, lines);
  }
  return out;
}
