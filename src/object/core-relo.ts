/**
 * CO-RE relocations (`.BTF.ext` core_relo records), applied as libbpf applies them against the
 * kernel's BTF (tools/lib/bpf/relo_core.c): the local access string is parsed into a spec
 * (bpf_core_parse_spec), target candidates are the kernel types of a compatible kind with the
 * same essential name — the part before a `___flavour` suffix (bpf_core_add_cands) — each
 * candidate is matched field by field by name (bpf_core_spec_match), the local and target values
 * are computed (bpf_core_calc_relo) and the instruction is patched or poisoned
 * (bpf_core_patch_insn, bpf_core_poison_insn).
 */
import { ObjectError } from '../util/index';
import { insn as makeInsn, lddw, lddwValue, type Instruction } from '../isa/index';
import { btfSizeof, btfType, type Btf, type BtfCoreReloc, type BtfType } from '../btf/index';
import { BTF_INT_SIGNED } from '../btf/types';

/** `enum bpf_core_relo_kind` (uapi linux/bpf.h). */
export const BPF_CORE = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** The immediate of the call a poisoned instruction becomes: 0xbad2310, "bad relo" (libbpf). */
export const CORE_POISON_IMM = 0xbad2310;

/** libbpf's BPF_CORE_SPEC_MAX_LEN: the deepest access string. */
const SPEC_MAX_LEN = 64;

/** The BTF CO-RE resolves against: the kernel's types and, optionally, their vmlinux ids. */
export interface CoreTarget {
  readonly btf: Btf;
  /** Per target type id, the id reported for BPF_CORE_TYPE_ID_TARGET (default: the id itself). */
  readonly typeIds?: readonly number[];
}

const isFieldKind = (k: number): boolean => k <= BPF_CORE.FIELD_RSHIFT_U64;
const isTypeKind = (k: number): boolean => (k >= BPF_CORE.TYPE_ID_LOCAL && k <= BPF_CORE.TYPE_SIZE) || k === BPF_CORE.TYPE_MATCHES;
const isEnumvalKind = (k: number): boolean => k === BPF_CORE.ENUMVAL_EXISTS || k === BPF_CORE.ENUMVAL_VALUE;
const isComposite = (t: BtfType): t is Extract<BtfType, { kind: 'struct' | 'union' }> => t.kind === 'struct' || t.kind === 'union';
const isAnyEnum = (t: BtfType): t is Extract<BtfType, { kind: 'enum' | 'enum64' }> => t.kind === 'enum' || t.kind === 'enum64';
const nameOf = (t: BtfType): string => ('name' in t ? t.name : '');

/** A relocation that cannot be applied: libbpf fails the load with an error. */
class CoreFail extends Error {}

/** skip_mods_and_typedefs: the id past typedef/const/volatile/restrict/type_tag. */
function skipMods(btf: Btf, id: number): number {
  for (let d = 0; d < 32; d++) {
    const t = btf.types[id];
    if (!t) throw new CoreFail(`type id ${id} out of range`);
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') id = t.type;
    else return id;
  }
  throw new CoreFail(`type id ${id}: modifier chain too deep`);
}

function sizeOf(btf: Btf, id: number): number {
  try {
    return btfSizeof(btf, id);
  } catch {
    throw new CoreFail(`type id ${id} has no size`);
  }
}

/** bpf_core_essential_name_len: the length of `name` without its last `X___Y` flavour suffix. */
export function essentialNameLen(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}
const essential = (name: string): string => name.slice(0, essentialNameLen(name));

/** btf_kind_core_compat: same kind, or enum vs enum64. */
function kindCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

interface Accessor {
  typeId: number;
  idx: number;
  name?: string;
}
interface Spec {
  btf: Btf;
  rootTypeId: number;
  spec: Accessor[];
  bitOffset: number;
}

/** flex array: the previous accessor names the last member of its struct and nelems is 0. */
function isFlexArr(btf: Btf, prev: Accessor | undefined, nelems: number): boolean {
  if (!prev?.name || nelems > 0) return false;
  const t = btfType(btf, prev.typeId);
  return isComposite(t) && prev.idx === t.members.length - 1;
}

/** bpf_core_parse_spec: the local access string "0:1:2" as accessors and a bit offset. */
function parseSpec(btf: Btf, typeId: number, access: string, kind: number): Spec {
  const spec: Spec = { btf, rootTypeId: typeId, spec: [], bitOffset: 0 };
  if (access === '' || access.startsWith(':')) throw new CoreFail(`bad access string '${access}'`);
  if (isTypeKind(kind)) {
    if (access !== '0') throw new CoreFail(`type relocation with access string '${access}' (expected '0')`);
    return spec;
  }
  const raw = access.split(':').map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (raw.some((n) => Number.isNaN(n))) throw new CoreFail(`bad access string '${access}'`);
  if (raw.length > SPEC_MAX_LEN) throw new CoreFail(`access string '${access}' too deep`);
  let id = skipMods(btf, typeId);
  let t = btfType(btf, id);
  const first = raw[0]!;
  spec.spec.push({ typeId: id, idx: first });
  if (isEnumvalKind(kind)) {
    if (!isAnyEnum(t) || raw.length > 1 || first >= t.values.length) throw new CoreFail(`bad enum value access '${access}'`);
    spec.spec[0]!.name = t.values[first]!.name;
    return spec;
  }
  if (!isFieldKind(kind)) throw new CoreFail(`unknown relocation kind ${kind}`);
  spec.bitOffset = first * sizeOf(btf, id) * 8;
  for (let i = 1; i < raw.length; i++) {
    id = skipMods(btf, id);
    t = btfType(btf, id);
    const idx = raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m) throw new CoreFail(`member index ${idx} out of range in access '${access}'`);
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.spec.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === 'array') {
      const flex = isFlexArr(btf, spec.spec[spec.spec.length - 1], t.nelems);
      id = skipMods(btf, t.type);
      if (!flex && idx >= t.nelems) throw new CoreFail(`array index ${idx} out of range in access '${access}'`);
      spec.spec.push({ typeId: id, idx });
      spec.bitOffset += idx * sizeOf(btf, id) * 8;
    } else {
      throw new CoreFail(`access '${access}' captures type [${id}] of unexpected kind ${t.kind}`);
    }
  }
  return spec;
}

/** bpf_core_fields_are_compat. */
function fieldsCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let d = 0; d < 32; d++) {
    const l = btfType(lb, (lid = skipMods(lb, lid)));
    const t = btfType(tb, (tid = skipMods(tb, tid)));
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindCompat(l, t)) return false;
    switch (l.kind) {
      case 'ptr':
      case 'float':
        return true;
      case 'fwd':
      case 'enum':
      case 'enum64': {
        const a = essentialNameLen(nameOf(l));
        const b = essentialNameLen(nameOf(t));
        return a === 0 || b === 0 || essential(nameOf(l)) === essential(nameOf(t));
      }
      case 'int':
        return l.bitOffset === 0 && (t as typeof l).bitOffset === 0;
      case 'array':
        lid = l.type;
        tid = (t as typeof l).type;
        continue;
      default:
        return false;
    }
  }
  throw new CoreFail('type chain too deep');
}

/** bpf_core_types_are_compat (the TYPE_EXISTS/TYPE_SIZE/TYPE_ID_TARGET match). */
function typesCompat(lb: Btf, lid: number, tb: Btf, tid: number, depth = 0): boolean {
  if (depth > 32) throw new CoreFail('type chain too deep');
  const l = btfType(lb, (lid = skipMods(lb, lid)));
  const t = btfType(tb, (tid = skipMods(tb, tid)));
  if (!kindCompat(l, t)) return false;
  switch (l.kind) {
    case 'void':
    case 'struct':
    case 'union':
    case 'enum':
    case 'enum64':
    case 'fwd':
      return true;
    case 'int':
      return l.bitOffset === 0 && (t as typeof l).bitOffset === 0;
    case 'ptr':
    case 'array':
      return typesCompat(lb, l.type, tb, (t as typeof l).type, depth + 1);
    case 'func_proto': {
      const tp = t as typeof l;
      if (l.params.length !== tp.params.length) return false;
      for (let i = 0; i < l.params.length; i++) if (!typesCompat(lb, l.params[i]!.type, tb, tp.params[i]!.type, depth + 1)) return false;
      return typesCompat(lb, l.returnType, tb, tp.returnType, depth + 1);
    }
    default:
      return false;
  }
}

/**
 * bpf_core_types_match (TYPE_MATCHES), best effort: same kind and essential name, every local
 * member/enumerator present in the target by name with matching types, ints of the same size
 * and signedness, arrays of the same length.
 */
function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr = false, depth = 0): boolean {
  if (depth > 32) throw new CoreFail('type chain too deep');
  const l = btfType(lb, (lid = skipMods(lb, lid)));
  const t = btfType(tb, (tid = skipMods(tb, tid)));
  if (nameOf(l) && nameOf(t) && essential(nameOf(l)) !== essential(nameOf(t))) return false;
  if (l.kind === 'fwd' || t.kind === 'fwd') return behindPtr || l.kind === t.kind;
  if (!kindCompat(l, t)) return false;
  switch (l.kind) {
    case 'void':
      return true;
    case 'int': {
      const ti = t as typeof l;
      return l.size === ti.size && (l.encoding & BTF_INT_SIGNED) === (ti.encoding & BTF_INT_SIGNED);
    }
    case 'float':
      return l.size === (t as typeof l).size;
    case 'enum':
    case 'enum64':
      if (!isAnyEnum(t) || l.size !== t.size) return false;
      return l.values.every((v) => t.values.some((w) => essential(w.name) === essential(v.name)));
    case 'struct':
    case 'union': {
      const tc = t as typeof l;
      if (behindPtr) return true;
      if (l.members.length !== tc.members.length) return false;
      return l.members.every((m) => {
        const w = tc.members.find((x) => x.name === m.name);
        return !!w && typesMatch(lb, m.type, tb, w.type, false, depth + 1);
      });
    }
    case 'ptr':
      return typesMatch(lb, l.type, tb, (t as typeof l).type, true, depth + 1);
    case 'array': {
      const ta = t as typeof l;
      return l.nelems === ta.nelems && typesMatch(lb, l.type, tb, ta.type, behindPtr, depth + 1);
    }
    case 'func_proto': {
      const tp = t as typeof l;
      if (l.params.length !== tp.params.length) return false;
      for (let i = 0; i < l.params.length; i++) if (!typesMatch(lb, l.params[i]!.type, tb, tp.params[i]!.type, behindPtr, depth + 1)) return false;
      return typesMatch(lb, l.returnType, tb, tp.returnType, behindPtr, depth + 1);
    }
    default:
      return false;
  }
}

/** bpf_core_match_member: finds the local accessor's member by name, descending anonymous members. */
function matchMember(local: Spec, acc: Accessor, tb: Btf, targId: number, spec: Spec): number | undefined {
  const tid = skipMods(tb, targId);
  const t = btfType(tb, tid);
  if (!isComposite(t)) return undefined;
  const lt = btfType(local.btf, acc.typeId);
  if (!isComposite(lt)) throw new CoreFail('accessor of a non-composite type');
  const lm = lt.members[acc.idx]!;
  for (let i = 0; i < t.members.length; i++) {
    const m = t.members[i]!;
    spec.bitOffset += m.bitOffset;
    if (!m.name) {
      const found = matchMember(local, acc, tb, m.type, spec);
      if (found !== undefined) return found;
    } else if (m.name === lm.name) {
      if (!fieldsCompat(local.btf, lm.type, tb, m.type)) return undefined;
      spec.spec.push({ typeId: tid, idx: i, name: m.name });
      return m.type;
    }
    spec.bitOffset -= m.bitOffset;
  }
  return undefined;
}

/** bpf_core_spec_match: the target spec of candidate `targId`, or undefined when it does not match. */
function specMatch(local: Spec, kind: number, tb: Btf, targId: number): Spec | undefined {
  const targ: Spec = { btf: tb, rootTypeId: targId, spec: [], bitOffset: 0 };
  if (isTypeKind(kind)) {
    const ok = kind === BPF_CORE.TYPE_MATCHES ? typesMatch(local.btf, local.rootTypeId, tb, targId) : typesCompat(local.btf, local.rootTypeId, tb, targId);
    return ok ? targ : undefined;
  }
  const lacc0 = local.spec[0]!;
  if (isEnumvalKind(kind)) {
    const id = skipMods(tb, targId);
    const t = btfType(tb, id);
    if (!isAnyEnum(t)) return undefined;
    const want = essential(lacc0.name!);
    const i = t.values.findIndex((v) => essential(v.name) === want);
    if (i < 0) return undefined;
    targ.spec.push({ typeId: id, idx: i, name: t.values[i]!.name });
    return targ;
  }
  let id = targId;
  for (let i = 0; i < local.spec.length; i++) {
    const lacc = local.spec[i]!;
    id = skipMods(tb, id);
    const t = btfType(tb, id);
    if (lacc.name) {
      const next = matchMember(local, lacc, tb, id, targ);
      if (next === undefined) return undefined;
      id = next;
    } else {
      if (i > 0) {
        if (t.kind !== 'array') return undefined;
        const flex = isFlexArr(tb, targ.spec[targ.spec.length - 1], t.nelems);
        if (!flex && lacc.idx >= t.nelems) return undefined;
        id = skipMods(tb, t.type);
      }
      targ.spec.push({ typeId: id, idx: lacc.idx });
      targ.bitOffset += lacc.idx * sizeOf(tb, id) * 8;
    }
  }
  return targ;
}

/** The result of one relocation (struct bpf_core_relo_res). */
interface RelocRes {
  origVal: bigint;
  newVal: bigint;
  poison: boolean;
  validate: boolean;
  failMemszAdjust: boolean;
  origSz: number;
  newSz: number;
}

/** Poisoning request (libbpf's -EUCLEAN). */
const POISON = Symbol('poison');

/** bpf_core_calc_field_relo: a field relocation's value under `spec` (undefined spec: not found). */
function calcField(kind: number, spec: Spec | undefined, bigEndian: boolean): { val: bigint; sz: number; typeId: number; validate: boolean } | typeof POISON {
  if (kind === BPF_CORE.FIELD_EXISTS) return { val: spec ? 1n : 0n, sz: 0, typeId: 0, validate: true };
  if (!spec) return POISON;
  const acc = spec.spec[spec.spec.length - 1]!;
  const btf = spec.btf;
  if (!acc.name) {
    const sz = sizeOf(btf, acc.typeId);
    if (kind === BPF_CORE.FIELD_BYTE_OFFSET) return { val: BigInt(Math.floor(spec.bitOffset / 8)), sz, typeId: acc.typeId, validate: true };
    if (kind === BPF_CORE.FIELD_BYTE_SIZE) return { val: BigInt(sz), sz: 0, typeId: 0, validate: true };
    throw new CoreFail(`relocation kind ${kind} can't be applied to array access`);
  }
  const t = btfType(btf, acc.typeId);
  if (!isComposite(t)) throw new CoreFail('named accessor of a non-composite type');
  const m = t.members[acc.idx]!;
  const fieldTypeId = skipMods(btf, m.type);
  const mt = btfType(btf, fieldTypeId);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = 'size' in mt ? mt.size : 0;
    if (byteSz === 0) throw new CoreFail('bitfield of a sizeless type');
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreFail(`bitfield at bit ${bitOff} can't be read with a 64-bit read`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = sizeOf(btf, fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  // Bitfield offsets/sizes may legitimately disagree with the compiler: not validated.
  let validate = !bitfield;
  let val: number;
  let sz = 0;
  let typeId = 0;
  switch (kind) {
    case BPF_CORE.FIELD_BYTE_OFFSET:
      val = byteOff;
      if (!bitfield) {
        sz = byteSz;
        typeId = fieldTypeId;
      }
      break;
    case BPF_CORE.FIELD_BYTE_SIZE:
      val = byteSz;
      break;
    case BPF_CORE.FIELD_SIGNED:
      val = (isAnyEnum(mt) && mt.signed) || (mt.kind === 'int' && (mt.encoding & BTF_INT_SIGNED) !== 0) ? 1 : 0;
      validate = true;
      break;
    case BPF_CORE.FIELD_LSHIFT_U64:
      // libbpf picks the formula by byte order; the object's byte order is the emulated kernel's.
      val = bigEndian ? (8 - byteSz) * 8 + (bitOff - byteOff * 8) : 64 - (bitOff + bitSz - byteOff * 8);
      break;
    case BPF_CORE.FIELD_RSHIFT_U64:
      val = 64 - bitSz;
      validate = true;
      break;
    default:
      throw new CoreFail(`unsupported relocation kind ${kind}`);
  }
  return { val: BigInt(val), sz, typeId, validate };
}

/** bpf_core_calc_relo: local (orig) and target (new) values of one relocation. */
function calcRelo(kind: number, local: Spec, targ: Spec | undefined, target: CoreTarget, bigEndian: boolean): RelocRes {
  const res: RelocRes = { origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0 };
  if (isFieldKind(kind)) {
    const o = calcField(kind, local, bigEndian);
    const n = o === POISON ? o : calcField(kind, targ, bigEndian);
    if (o === POISON || n === POISON) {
      res.poison = true;
      return res;
    }
    res.origVal = o.val;
    res.validate = o.validate;
    res.newVal = n.val;
    res.origSz = o.sz;
    res.newSz = n.sz;
    if (res.origSz !== res.newSz && targ) {
      // Only pointers and unsigned ints may change load/store size (zero extension keeps them).
      const ot = btfType(local.btf, o.typeId);
      const nt = btfType(targ.btf, n.typeId);
      const unsignedInt = (x: BtfType): boolean => x.kind === 'int' && x.encoding !== BTF_INT_SIGNED;
      if (!((ot.kind === 'ptr' && nt.kind === 'ptr') || (unsignedInt(ot) && unsignedInt(nt)))) res.failMemszAdjust = true;
    }
  } else if (isTypeKind(kind)) {
    const typeVal = (spec: Spec | undefined, t: CoreTarget | undefined): bigint => {
      if (!spec) return 0n; // type-based relocations give zero when the target type is not found
      switch (kind) {
        case BPF_CORE.TYPE_ID_TARGET:
          return BigInt(t?.typeIds?.[spec.rootTypeId] ?? spec.rootTypeId);
        case BPF_CORE.TYPE_EXISTS:
        case BPF_CORE.TYPE_MATCHES:
          return 1n;
        case BPF_CORE.TYPE_SIZE:
          return BigInt(sizeOf(spec.btf, spec.rootTypeId));
        default:
          throw new CoreFail(`unsupported relocation kind ${kind}`);
      }
    };
    res.origVal = typeVal(local, undefined);
    res.newVal = typeVal(targ, target);
    // A target type id is not something the compiler could know.
    if (kind === BPF_CORE.TYPE_ID_TARGET) res.validate = false;
  } else if (isEnumvalKind(kind)) {
    const enumVal = (spec: Spec | undefined): bigint | typeof POISON => {
      if (kind === BPF_CORE.ENUMVAL_EXISTS) return spec ? 1n : 0n;
      if (!spec) return POISON;
      const acc = spec.spec[0]!;
      const t = btfType(spec.btf, acc.typeId) as Extract<BtfType, { kind: 'enum' | 'enum64' }>;
      const v = t.values[acc.idx]!.value;
      // libbpf reads a 32-bit enumerator as __s32 into a __u64: sign-extended.
      return t.kind === 'enum' ? BigInt.asUintN(64, BigInt(Number(v) | 0)) : BigInt.asUintN(64, BigInt(v));
    };
    const o = enumVal(local);
    const n = enumVal(targ);
    if (o === POISON || n === POISON) res.poison = true;
    else {
      res.origVal = o;
      res.newVal = n;
    }
  } else {
    throw new CoreFail(`unknown relocation kind ${kind}`);
  }
  return res;
}

/** bpf_core_calc_relo_insn: resolves one relocation against every candidate. */
function resolveRelo(localBtf: Btf, r: BtfCoreReloc, target: CoreTarget, bigEndian: boolean): RelocRes {
  const local = parseSpec(localBtf, r.typeId, r.accessStr, r.kind);
  if (r.kind === BPF_CORE.TYPE_ID_LOCAL) {
    // The local type id is known exactly; the compiler's value may be stale after linking.
    const id = BigInt(r.typeId);
    return { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0 };
  }
  const localType = btfType(localBtf, r.typeId);
  const localName = nameOf(localType);
  if (!localName) throw new CoreFail(`candidate search for anonymous type [${r.typeId}] is not supported`);
  const want = essential(localName);
  let res: RelocRes | undefined;
  let resSpec: Spec | undefined;
  for (let id = 1; id < target.btf.types.length; id++) {
    const t = target.btf.types[id]!;
    if (!kindCompat(t, localType) || !nameOf(t) || essential(nameOf(t)) !== want) continue;
    const cand = specMatch(local, r.kind, target.btf, id);
    if (!cand) continue;
    const cres = calcRelo(r.kind, local, cand, target, bigEndian);
    if (!res) {
      res = cres;
      resSpec = cand;
    } else if (cand.bitOffset !== resSpec!.bitOffset) {
      throw new CoreFail(`field offset ambiguity: ${resSpec!.bitOffset / 8} != ${cand.bitOffset / 8}`);
    } else if (cres.poison !== res.poison || cres.newVal !== res.newVal) {
      throw new CoreFail(`relo value ambiguity: ${res.newVal} != ${cres.newVal}`);
    }
  }
  // No candidate: existence checks give 0, other field/enum relocations poison the insn.
  return res ?? calcRelo(r.kind, local, undefined, target, bigEndian);
}

const CLASS_LD = 0x00;
const CLASS_LDX = 0x01;
const CLASS_ST = 0x02;
const CLASS_STX = 0x03;
const CLASS_ALU = 0x04;
const CLASS_ALU64 = 0x07;
const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const BYTES_SIZE: Record<number, number> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/** bpf_core_poison_insn: `call 0xbad2310` ("invalid func unknown#195896080" when reachable). */
const poisonInsn = (): Instruction => makeInsn(0x85, 0, 0, 0, CORE_POISON_IMM);

/**
 * Applies the CO-RE relocations of one executable section to its instruction slots (a lddw
 * occupies its slot, the next one is undefined), in place, as libbpf's bpf_object__relocate_core
 * does against `target` (the kernel's BTF).
 *
 * @throws ObjectError when a relocation cannot be applied (libbpf fails the load).
 */
export function applyCoreRelos(
  section: string,
  slots: (Instruction | undefined)[],
  relos: readonly BtfCoreReloc[],
  localBtf: Btf,
  target: CoreTarget,
  bigEndian: boolean,
): void {
  relos.forEach((r, k) => {
    const where = `sec '${section}': CO-RE relo #${k} at insn #${r.insnOff / 8}`;
    if (r.insnOff % 8 !== 0) throw new ObjectError(`${where}: insn offset ${r.insnOff} not a multiple of 8`);
    const at = r.insnOff / 8;
    const ins = slots[at];
    if (!ins) throw new ObjectError(`${where}: no instruction there`);
    let res: RelocRes;
    try {
      res = resolveRelo(localBtf, r, target, bigEndian);
    } catch (e) {
      if (e instanceof CoreFail) throw new ObjectError(`${where}: ${e.message}`);
      throw e;
    }
    const cls = ins.opcode & 0x07;
    const isLddw = ins.opcode === 0x18;
    if (res.poison) {
      // The second half of a lddw is poisoned too, so the verifier reports the call, not opcode 00.
      slots[at] = poisonInsn();
      if (isLddw) slots[at + 1] = poisonInsn();
      return;
    }
    const s32 = (v: bigint): number => Number(BigInt.asIntN(32, v));
    const fail = (what: string, got: number | bigint): never => {
      throw new ObjectError(`${where}: unexpected insn value: got ${got}, exp ${res.origVal} -> ${res.newVal} (${what})`);
    };
    switch (cls) {
      case CLASS_ALU:
      case CLASS_ALU64: {
        if ((ins.opcode & 0x08) !== 0) throw new ObjectError(`${where}: ALU insn with a register source`);
        if (res.validate && BigInt.asUintN(64, BigInt(ins.imm)) !== res.origVal) fail('ALU/ALU64', ins.imm >>> 0);
        slots[at] = { ...ins, imm: s32(res.newVal) };
        return;
      }
      case CLASS_LDX:
      case CLASS_ST:
      case CLASS_STX: {
        if (res.validate && BigInt.asUintN(64, BigInt(ins.off)) !== res.origVal) fail('LDX/ST/STX', ins.off & 0xffff);
        if (res.newVal > 0x7fffn) throw new ObjectError(`${where}: (LDX/ST/STX) value too big: ${res.newVal}`);
        if (res.failMemszAdjust) {
          // libbpf: "accesses field incorrectly", the instruction is poisoned.
          slots[at] = poisonInsn();
          return;
        }
        let opcode = ins.opcode;
        if (res.newSz !== res.origSz) {
          const have = SIZE_BYTES[ins.opcode & 0x18]!;
          if (have !== res.origSz) throw new ObjectError(`${where}: (LDX/ST/STX) unexpected mem size: got ${have}, exp ${res.origSz}`);
          const size = BYTES_SIZE[res.newSz];
          if (size === undefined) throw new ObjectError(`${where}: (LDX/ST/STX) invalid new mem size: ${res.newSz}`);
          opcode = (ins.opcode & 0xe0) | size | cls;
        }
        slots[at] = makeInsn(opcode, ins.dst, ins.src, Number(res.newVal), ins.imm);
        return;
      }
      case CLASS_LD: {
        if (!isLddw || ins.src !== 0 || ins.off !== 0) throw new ObjectError(`${where}: (LDIMM64) has unexpected form`);
        const imm = BigInt.asUintN(64, lddwValue(ins));
        if (res.validate && imm !== res.origVal) fail('LDIMM64', imm);
        slots[at] = lddw(ins.dst, res.newVal);
        return;
      }
      default:
        throw new ObjectError(`${where}: trying to relocate unrecognized insn, code:0x${ins.opcode.toString(16)}`);
    }
  });
}
