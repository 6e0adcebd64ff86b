/**
 * The meaning of a BPF object: what programs and maps it declares. Specs are readonly,
 * deterministic data (the same file gives the same ObjectSpec on every machine); the emulated
 * kernel makes live objects from them.
 */
import type { Instruction } from '../isa/instruction';
import type { Btf, BtfExt, BtfLineInfo } from '../btf/types';
import type { Endian } from '../util/bytes';

/** Kernel `enum bpf_prog_type` values xdpts knows (uapi linux/bpf.h). */
export const BPF_PROG_TYPE_UNSPEC = 0;
export const BPF_PROG_TYPE_SOCKET_FILTER = 1;
export const BPF_PROG_TYPE_KPROBE = 2;
export const BPF_PROG_TYPE_SCHED_CLS = 3;
export const BPF_PROG_TYPE_SCHED_ACT = 4;
export const BPF_PROG_TYPE_TRACEPOINT = 5;
export const BPF_PROG_TYPE_XDP = 6;
export const BPF_PROG_TYPE_EXT = 28;

/** Kernel `enum bpf_map_type` values (uapi linux/bpf.h). */
export const BPF_MAP_TYPE = {
  UNSPEC: 0,
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  STRUCT_OPS: 26,
  RINGBUF: 27,
  INODE_STORAGE: 28,
  TASK_STORAGE: 29,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
  CGRP_STORAGE: 32,
} as const;

/** Name of a map type as bpftool prints it (`array`, `hash`, `lru_percpu_hash`...). */
export function mapTypeName(type: number): string {
  for (const [k, v] of Object.entries(BPF_MAP_TYPE)) if (v === type) return k.toLowerCase();
  return `type_${type}`;
}

/** Where an instruction's symbolic reference points, after reading relocations. */
export type InsnReference =
  /** lddw of a map: `map` is the MapSpec name; `offset` for map-value refs into globals. */
  | { kind: 'map'; map: string; value: boolean; offset: number }
  /** call or lddw of a function: the target's instruction index within the linked program. */
  | { kind: 'func'; target: number }
  /** A kernel function (kfunc) or extern, unresolved. */
  | { kind: 'extern'; name: string };

/** A map declared by the object. */
export interface MapSpec {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** `pinning` attribute (0 none, 1 LIBBPF_PIN_BY_NAME). */
  readonly pinning: number;
  /** BTF type ids of key and value where BTF describes them (0 = none). */
  readonly keyTypeId: number;
  readonly valueTypeId: number;
  /** For .rodata/.data/.bss global-data maps: the section's initial contents. */
  readonly initialValue?: Uint8Array;
  /** True for maps made from a global data section (.rodata is also frozen/read-only). */
  readonly isGlobalData?: boolean;
  readonly readOnly?: boolean;
  /** `map_extra` (bloom filters: the number of hash functions), 0 when not given. */
  readonly mapExtra?: number;
  /** Offset of the value's `struct bpf_spin_lock` (the kernel's btf_record), when it has one. */
  readonly spinLockOff?: number;
  /** For map-in-map / prog arrays declared with initial values (`values` in .maps). */
  readonly innerMap?: MapSpec;
  /**
   * Slots set at load (`.values = { [index] = &target }`): a program's function name for a
   * PROG_ARRAY, an inner map's name for ARRAY_OF_MAPS / HASH_OF_MAPS (libbpf
   * bpf_object__init_prog_arrays / init_map_in_map_slots).
   */
  readonly initialSlots?: readonly { readonly index: number; readonly target: string }[];
  /** Section the definition came from: `.maps`, `maps`, `.rodata`... */
  readonly section: string;
}

/** One program: an entry function in an executable section, linked with its subprograms. */
export interface ProgramSpec {
  /** Function symbol name (`count_packets`). */
  readonly name: string;
  /** ELF section name (`xdp`, `xdp_drop`, `xdp.frags`...). */
  readonly section: string;
  /** Program type from the section name (libbpf's section table); 0 if unknown. */
  readonly type: number;
  /** Expected attach type (e.g. BPF_XDP = 37), 0 if none. */
  readonly attachType: number;
  /** Instructions of the entry function followed by every subprogram it calls. */
  readonly insns: readonly Instruction[];
  /** Per instruction index: the reference its relocation made, if any. */
  readonly references: ReadonlyMap<number, InsnReference>;
  /** Per instruction index: the source line (from .BTF.ext line info), if any. */
  readonly lineInfo: ReadonlyMap<number, BtfLineInfo>;
  /**
   * Instruction indices where subprograms begin (entry at 0 not included), with names and the
   * BTF FUNC type id of their func_info record (0 without BTF).
   */
  readonly subprograms: readonly { readonly name: string; readonly start: number; readonly btfFuncId?: number }[];
  readonly license: string;
  /** BTF FUNC type id of the entry function (0 if none). */
  readonly btfFuncId: number;
  /** The object's BTF, which func_info ids refer to (the kernel verifies global subprograms by it). */
  readonly btf?: Btf;
}

/** Everything an object file declares. */
export interface ObjectSpec {
  readonly endian: Endian;
  readonly programs: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  readonly license: string;
  readonly btf?: Btf;
  readonly btfExt?: BtfExt;
}
