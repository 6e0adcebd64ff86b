/**
 * C layout of BTF types: size and alignment of a type id (libbpf btf__resolve_size,
 * btf__align_of), skipping modifiers, and lookups by name. Chains are followed at most
 * `MAX_RESOLVE_DEPTH` deep (libbpf's limit), so a malicious cycle is an error, not a hang.
 */
import { BtfError } from '../util/index';
import type { Btf, BtfType } from './types';

/** libbpf's MAX_RESOLVE_DEPTH for modifier/typedef/array chains. */
export const MAX_RESOLVE_DEPTH = 32;

/** The type of an id, or a BtfError when the id is out of range. */
export function btfType(btf: Btf, id: number): BtfType {
  const t = btf.types[id];
  if (!t) throw new BtfError(`type id ${id} out of range (${btf.types.length - 1} types)`, 0);
  return t;
}

/** Follows typedef, const, volatile, restrict and type_tag to the underlying type id. */
export function skipModifiers(btf: Btf, id: number): number {
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btfType(btf, id);
    if (t.kind === 'typedef' || t.kind === 'const' || t.kind === 'volatile' || t.kind === 'restrict' || t.kind === 'type_tag') {
      id = t.type;
      continue;
    }
    return id;
  }
  throw new BtfError(`type id ${id}: modifier chain deeper than ${MAX_RESOLVE_DEPTH}`, 0);
}

/** Size in bytes of a type id, as libbpf's btf__resolve_size computes it (ptr = 8 bytes). */
export function btfSizeof(btf: Btf, id: number): number {
  let mult = 1;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btfType(btf, id);
    switch (t.kind) {
      case 'int':
      case 'struct':
      case 'union':
      case 'enum':
      case 'enum64':
      case 'float':
      case 'datasec':
        return mult * t.size;
      case 'ptr':
        return mult * 8;
      case 'typedef':
      case 'const':
      case 'volatile':
      case 'restrict':
      case 'type_tag':
      case 'var':
        id = t.type;
        continue;
      case 'array':
        mult *= t.nelems;
        id = t.type;
        continue;
      default:
        throw new BtfError(`type id ${id} (${t.kind}) has no size`, 0);
    }
  }
  throw new BtfError(`type id ${id}: chain deeper than ${MAX_RESOLVE_DEPTH}`, 0);
}

/** Alignment in bytes of a type id (libbpf btf__align_of: packed structs align to 1). */
export function btfAlignof(btf: Btf, id: number, depth = 0): number {
  if (depth > MAX_RESOLVE_DEPTH) throw new BtfError(`type id ${id}: chain deeper than ${MAX_RESOLVE_DEPTH}`, 0);
  const t = btfType(btf, id);
  switch (t.kind) {
    case 'int':
    case 'enum':
    case 'enum64':
    case 'float':
      return Math.min(t.size, 8) || 1;
    case 'ptr':
      return 8;
    case 'typedef':
    case 'const':
    case 'volatile':
    case 'restrict':
    case 'type_tag':
    case 'var':
    case 'array':
      return btfAlignof(btf, t.type, depth + 1);
    case 'struct':
    case 'union': {
      let max = 1;
      for (const m of t.members) {
        const a = btfAlignof(btf, m.type, depth + 1);
        // A member at an offset its own alignment does not divide means __attribute__((packed)).
        if (m.bitSize === 0 && m.bitOffset % (8 * a) !== 0) return 1;
        max = Math.max(max, a);
      }
      if (t.size % max !== 0) return 1;
      return max;
    }
    default:
      throw new BtfError(`type id ${id} (${t.kind}) has no alignment`, 0);
  }
}

/** The name of a type, '' when anonymous or nameless (ptr, array, func_proto...). */
export function btfTypeName(t: BtfType): string {
  return 'name' in t ? t.name : '';
}

/** The first type id with this name (and kind, if given), or 0 when there is none. */
export function findType(btf: Btf, name: string, kind?: BtfType['kind']): number {
  for (let id = 1; id < btf.types.length; id++) {
    const t = btf.types[id]!;
    if ((kind === undefined || t.kind === kind) && btfTypeName(t) === name) return id;
  }
  return 0;
}

/**
 * A C spelling of a type id (`unsigned int`, `struct addr_pair`, `__u32 *`, `char[4]`), for
 * messages and bindings. Anonymous aggregates print as `struct {...}`.
 */
export function cTypeName(btf: Btf, id: number, depth = 0): string {
  if (id === 0) return 'void';
  if (depth > MAX_RESOLVE_DEPTH) return '...';
  const t = btfType(btf, id);
  switch (t.kind) {
    case 'int':
    case 'float':
    case 'typedef':
      return t.name;
    case 'struct':
    case 'union':
    case 'enum':
    case 'enum64':
      return `${t.kind === 'enum64' ? 'enum' : t.kind} ${t.name || '{...}'}`;
    case 'fwd':
      return `${t.union ? 'union' : 'struct'} ${t.name}`;
    case 'ptr':
      return `${cTypeName(btf, t.type, depth + 1)} *`;
    case 'const':
    case 'volatile':
    case 'restrict':
      return `${t.kind} ${cTypeName(btf, t.type, depth + 1)}`;
    case 'array':
      return `${cTypeName(btf, t.type, depth + 1)}[${t.nelems}]`;
    case 'type_tag':
    case 'var':
    case 'decl_tag':
    case 'func':
      return cTypeName(btf, t.type, depth + 1);
    case 'func_proto':
      return `${cTypeName(btf, t.returnType, depth + 1)} (*)(${t.params.map((p) => cTypeName(btf, p.type, depth + 1)).join(', ')})`;
    case 'datasec':
      return `SEC("${t.name}")`;
    case 'void':
      return 'void';
  }
}
