/**
 * BTF types as plain data, a union on `kind` (kernel Documentation/bpf/btf.rst, uapi
 * linux/btf.h). Type ids are positions in `Btf.types`; id 0 is `void` and is not stored
 * (types[0] is the void placeholder so that ids index the array directly).
 */

export const BTF_KIND_UNKN = 0;
export const BTF_KIND_INT = 1;
export const BTF_KIND_PTR = 2;
export const BTF_KIND_ARRAY = 3;
export const BTF_KIND_STRUCT = 4;
export const BTF_KIND_UNION = 5;
export const BTF_KIND_ENUM = 6;
export const BTF_KIND_FWD = 7;
export const BTF_KIND_TYPEDEF = 8;
export const BTF_KIND_VOLATILE = 9;
export const BTF_KIND_CONST = 10;
export const BTF_KIND_RESTRICT = 11;
export const BTF_KIND_FUNC = 12;
export const BTF_KIND_FUNC_PROTO = 13;
export const BTF_KIND_VAR = 14;
export const BTF_KIND_DATASEC = 15;
export const BTF_KIND_FLOAT = 16;
export const BTF_KIND_DECL_TAG = 17;
export const BTF_KIND_TYPE_TAG = 18;
export const BTF_KIND_ENUM64 = 19;

/** Encoding bits of BTF_KIND_INT. */
export const BTF_INT_SIGNED = 1 << 0;
export const BTF_INT_CHAR = 1 << 1;
export const BTF_INT_BOOL = 1 << 2;

/** A struct/union member. `bitOffset` is the offset in bits; `bitSize` 0 unless a bitfield. */
export interface BtfMember {
  name: string;
  type: number;
  bitOffset: number;
  bitSize: number;
}
export interface BtfEnumValue {
  name: string;
  /** The value; enum64 values that do not fit a number are BigInt. */
  value: number | bigint;
}
export interface BtfParam {
  name: string;
  type: number;
}
export interface BtfVarSecinfo {
  type: number;
  offset: number;
  size: number;
}

export type BtfType =
  | { kind: 'void' }
  | { kind: 'int'; name: string; size: number; encoding: number; bitOffset: number; bits: number }
  | { kind: 'ptr'; type: number }
  | { kind: 'array'; type: number; indexType: number; nelems: number }
  | { kind: 'struct' | 'union'; name: string; size: number; members: BtfMember[]; kflag: boolean }
  | { kind: 'enum'; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
  | { kind: 'enum64'; name: string; size: number; signed: boolean; values: BtfEnumValue[] }
  | { kind: 'fwd'; name: string; union: boolean }
  | { kind: 'typedef'; name: string; type: number }
  | { kind: 'volatile' | 'const' | 'restrict'; type: number }
  | { kind: 'type_tag'; name: string; type: number }
  | { kind: 'func'; name: string; type: number; linkage: number }
  | { kind: 'func_proto'; returnType: number; params: BtfParam[] }
  | { kind: 'var'; name: string; type: number; linkage: number }
  | { kind: 'datasec'; name: string; size: number; vars: BtfVarSecinfo[] }
  | { kind: 'float'; name: string; size: number }
  | { kind: 'decl_tag'; name: string; type: number; componentIdx: number };

export type BtfKind = BtfType['kind'];

/** A decoded `.BTF` section: types indexed by id (types[0] is void). */
export interface Btf {
  types: BtfType[];
}

/** One `.BTF.ext` line info record, resolved to strings. `insnOff` is in bytes within the section. */
export interface BtfLineInfo {
  insnOff: number;
  fileName: string;
  line: string;
  lineNum: number;
  lineCol: number;
}

/** One `.BTF.ext` func info record. */
export interface BtfFuncInfo {
  insnOff: number;
  typeId: number;
}

/** One `.BTF.ext` CO-RE relocation record. */
export interface BtfCoreReloc {
  insnOff: number;
  typeId: number;
  accessStr: string;
  kind: number;
}

/** A decoded `.BTF.ext`, keyed by section name. */
export interface BtfExt {
  funcInfo: Map<string, BtfFuncInfo[]>;
  lineInfo: Map<string, BtfLineInfo[]>;
  coreRelos: Map<string, BtfCoreReloc[]>;
}
