/**
 * A live program of the emulated kernel (`struct bpf_prog` + `bpf_prog_aux`): its id, tag,
 * kernel object name, type, load time, the maps it uses, and the compiled VM code. The
 * instructions are kept in their "as loaded" form: every map-referencing `lddw` carries the
 * map's *id* in `imm` (where the kernel has a file descriptor at load time), and for
 * BPF_PSEUDO_MAP_VALUE the value offset in `imm2`, so a program can be recompiled from plain
 * data alone (snapshot restore) without its object file.
 */
import {
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE,
  OP_LDDW,
  type Instruction,
} from '../isa';
import type { VmProgram } from '../vm/types';

/** Kernel `BPF_OBJ_NAME_LEN`: object names are at most 15 characters plus the NUL. */
export const BPF_OBJ_NAME_LEN = 16;

/** lddw pseudo sources that reference a map (their `imm` holds the map id once loaded). */
export const MAP_REF_PSEUDOS: ReadonlySet<number> = new Set([
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE,
]);

/** True for an `lddw` whose immediate references a map (by id, in a loaded program). */
export function isMapLoad(i: Instruction): boolean {
  return i.opcode === OP_LDDW && MAP_REF_PSEUDOS.has(i.src);
}

/** True for an `lddw` that loads a pointer into a map's value (BPF_PSEUDO_MAP_VALUE/_IDX_VALUE). */
export function isMapValueLoad(i: Instruction): boolean {
  return i.opcode === OP_LDDW && (i.src === BPF_PSEUDO_MAP_VALUE || i.src === BPF_PSEUDO_MAP_IDX_VALUE);
}

/**
 * The kernel object name of a program (bpf_obj_name_cpy as libbpf feeds it): the function
 * name cut to 15 characters; characters outside `[A-Za-z0-9_.]` are not allowed by the kernel,
 * and libbpf never sends them, so they are dropped here.
 */
export function kernelObjectName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '').slice(0, BPF_OBJ_NAME_LEN - 1);
}

/** The plain-data metadata of a loaded program (what `bpftool prog show` prints). */
export interface ProgramInfo {
  /** Program id: assigned at load, monotonically increasing, never reused. */
  readonly id: number;
  /** Kernel object name (at most 15 characters). */
  readonly name: string;
  /** The function name in the object (full length), for selection by name. */
  readonly funcName: string;
  /** ELF section the program came from (`xdp`, `xdp.frags`...); empty for raw loads. */
  readonly section: string;
  /** `enum bpf_prog_type` (BPF_PROG_TYPE_XDP = 6). */
  readonly type: number;
  /** Expected attach type (BPF_XDP = 37 for xdp sections), 0 if none. */
  readonly attachType: number;
  /** Kernel tag: 16 hex digits (src/kernel/tag.ts). */
  readonly tag: string;
  /** Load time as wall-clock milliseconds since the epoch (bpftool prints `loaded_at`). */
  readonly loadTime: number;
  /** Ids of the maps the program references, in first-use order, without duplicates. */
  readonly mapIds: readonly number[];
  /** License string of the object. */
  readonly license: string;
  /** True when loaded from an `xdp.frags` section (BPF_F_XDP_HAS_FRAGS). */
  readonly frags: boolean;
  /** Instructions as loaded (map references hold map ids). */
  readonly insns: readonly Instruction[];
  /** Size of the instructions in bytes (`xlated` in bpftool prog show). */
  readonly xlatedBytes: number;
  /** True when the program went through the verifier (false for raw test loads). */
  readonly verified: boolean;
  /** Processed-instruction count the verifier reported, when it ran. */
  readonly verifiedInsns?: number;
}

/** A live program: its metadata and its compiled code (on the kernel's engine). */
export interface LoadedProgram extends ProgramInfo {
  /** The compiled program (interpreter or JIT), ready for runs. */
  readonly vm: VmProgram;
}

/** The map ids an instruction list references, in first-use order. */
export function referencedMapIds(insns: readonly Instruction[]): number[] {
  const ids: number[] = [];
  for (const i of insns) if (isMapLoad(i) && !ids.includes(i.imm)) ids.push(i.imm);
  return ids;
}

/** Byte size of an instruction list (lddw counts 16 bytes). */
export function insnBytes(insns: readonly Instruction[]): number {
  let n = 0;
  for (const i of insns) n += i.opcode === OP_LDDW ? 16 : 8;
  return n;
}
