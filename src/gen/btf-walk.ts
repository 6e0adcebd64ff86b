/**
 * Reading BTF the way the generator needs it: following typedefs and qualifiers, the C size and
 * alignment of a type, and a struct member's effective bit offset and bitfield width.
 *
 * Sizes come from src/btf (libbpf's `btf__resolve_size`). Alignment is computed here because it
 * must also recognise kind_flag=0 bitfields (an int whose `bits` is narrower than its size):
 * alignment follows libbpf's `btf__align_of` (tools/lib/bpf/btf.c): the natural one (ints and floats their size capped at 8,
 * pointers 8, arrays their element's, composites the largest member's) except that a composite
 * whose members are not naturally aligned, or whose size is not a multiple of that alignment, is
 * packed (alignment 1).
 */
import { BtfError } from '../util/errors';
import { btfSizeof } from '../btf';
import type { Btf, BtfMember, BtfType } from '../btf';

/** The type with id `id`, or a BtfError when the id is out of range. */
export function typeAt(btf: Btf, id: number): BtfType {
  const t = btf.types[id];
  if (t === undefined) throw new BtfError(`type id ${id} out of range (${btf.types.length - 1} types)`, 0);
  return t;
}

/** Follows const/volatile/restrict/type_tag (keeps typedefs): libbpf's `skip_mods`. */
export function skipQualifiers(btf: Btf, id: number): number {
  for (let guard = 0; guard < 64; guard++) {
    const t = typeAt(btf, id);
    if (t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') id = t.type;
    else return id;
  }
  throw new BtfError(`qualifier chain too long at type ${id}`, 0);
}

/** Follows qualifiers and typedefs to the underlying type id: libbpf's `skip_mods_and_typedefs`. */
export function resolveId(btf: Btf, id: number): number {
  for (let guard = 0; guard < 64; guard++) {
    id = skipQualifiers(btf, id);
    const t = typeAt(btf, id);
    if (t.kind === 'typedef') id = t.type;
    else return id;
  }
  throw new BtfError(`typedef chain too long at type ${id}`, 0);
}

/** The underlying type after typedefs and qualifiers. */
export function resolved(btf: Btf, id: number): BtfType {
  return typeAt(btf, resolveId(btf, id));
}

/** Size in bytes of a type (libbpf's btf__resolve_size via src/btf); 0 for void, func, fwd. */
export function sizeOf(btf: Btf, id: number): number {
  const k = resolved(btf, id).kind;
  if (k === 'void' || k === 'fwd' || k === 'func' || k === 'func_proto') return 0;
  return btfSizeof(btf, id);
}

/** C alignment in bytes of a type, as `btf__align_of` computes it. */
export function alignOf(btf: Btf, id: number, depth = 0): number {
  if (depth > 32) throw new BtfError(`type ${id} nests too deeply`, 0);
  const t = resolved(btf, id);
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
    case 'float':
      return Math.max(1, Math.min(t.size, 8));
    case 'ptr':
      return 8;
    case 'array':
      return alignOf(btf, t.type, depth + 1);
    case 'struct':
    case 'union': {
      let max = 1;
      for (const m of t.members) {
        const a = alignOf(btf, m.type, depth + 1);
        // A member off its natural alignment means the struct is packed (libbpf does the same).
        if (memberBitSize(btf, t, m) === 0 && (m.bitOffset % (8 * a)) !== 0) return 1;
        max = Math.max(max, a);
      }
      if (t.size % max !== 0) return 1;
      return max;
    }
    default:
      return 1;
  }
}

/**
 * Bit width of a bitfield member, 0 for an ordinary member. With kind_flag the width is in the
 * member record; without it a bitfield is an int type whose `bits` is narrower than its size
 * (kernel Documentation/bpf/btf.rst 2.2.1 and 2.2.4).
 */
export function memberBitSize(btf: Btf, parent: { kflag: boolean }, m: BtfMember): number {
  if (parent.kflag) return m.bitSize;
  const t = typeAt(btf, skipQualifiers(btf, m.type));
  if (t.kind === 'int' && (t.bits !== t.size * 8 || t.bitOffset !== 0)) return t.bits;
  return 0;
}

/** Bit offset of a member from the start of its parent, including a kflag=0 int's own bit offset. */
export function memberBitOffset(btf: Btf, parent: { kflag: boolean }, m: BtfMember): number {
  if (parent.kflag) return m.bitOffset;
  const t = typeAt(btf, skipQualifiers(btf, m.type));
  return t.kind === 'int' ? m.bitOffset + t.bitOffset : m.bitOffset;
}

/** The name a type is known by, following qualifiers: the typedef's name, else the type's own. */
export function typeName(t: BtfType): string {
  return 'name' in t ? t.name : '';
}
