/**
 * The BTF kind table: kind number ↔ `BtfType['kind']` (uapi linux/btf.h BTF_KIND_*), and the
 * fixed header layout (kernel Documentation/bpf/btf.rst §2). Encoder, decoder and formatter
 * all read this one table.
 */
import type { BtfKind } from './types';

/** Kind names indexed by BTF_KIND_* number (0 = BTF_KIND_UNKN, which only void uses). */
export const BTF_KIND_NAMES: readonly BtfKind[] = [
  'void',
  'int',
  'ptr',
  'array',
  'struct',
  'union',
  'enum',
  'fwd',
  'typedef',
  'volatile',
  'const',
  'restrict',
  'func',
  'func_proto',
  'var',
  'datasec',
  'float',
  'decl_tag',
  'type_tag',
  'enum64',
];

/** The BTF_KIND_* number of a kind name. */
export function btfKindNumber(kind: BtfKind): number {
  return BTF_KIND_NAMES.indexOf(kind);
}

/** `struct btf_header` magic (0xeB9F) and the only version there is. */
export const BTF_MAGIC = 0xeb9f;
export const BTF_VERSION = 1;
/** Size of `struct btf_header`. */
export const BTF_HEADER_SIZE = 24;
/** Size of `struct btf_type` (name_off, info, size/type). */
export const BTF_TYPE_SIZE = 12;
/** Size of `struct btf_ext_header` as LLVM writes it (with core_relo_off/len). */
export const BTF_EXT_HEADER_SIZE = 32;

/** Function/variable linkage (uapi btf.h BTF_FUNC_* / BTF_VAR_*). */
export const BTF_FUNC_STATIC = 0;
export const BTF_FUNC_GLOBAL = 1;
export const BTF_FUNC_EXTERN = 2;
export const BTF_VAR_STATIC = 0;
export const BTF_VAR_GLOBAL_ALLOCATED = 1;
export const BTF_VAR_GLOBAL_EXTERN = 2;

/** The BTF_KIND_* number limit: kinds at or above are unknown. */
export const NR_BTF_KINDS = BTF_KIND_NAMES.length;
