/**
 * The verifier environment shared by the checks (`struct bpf_verifier_env`): the program in
 * kernel slot numbering, its maps, the privilege mode, the current state and id generator.
 */
import type { Instruction } from '../isa';
import type { Btf } from '../btf/types';
import type { MapSpec } from '../object/types';
import type { FuncInfo } from './global-func';
import type { Reg } from './reg-state';
import type { HistEntry } from './precision';
import type { Frame, VState } from './state';

/** What an lddw slot refers to, resolved from `ProgramSpec.references`. */
export interface LdMapRef {
  map: number;
  value: boolean;
  offset: number;
}

/** The environment of one verification. */
export interface Env {
  /** Instructions by slot index; the second slot of an lddw is undefined. */
  readonly slots: readonly (Instruction | undefined)[];
  readonly maps: readonly MapSpec[];
  /** Map-in-map index → index of its inner map template in `maps` (see map-in-map.ts). */
  readonly innerMaps?: ReadonlyMap<number, number>;
  readonly mapRefs: ReadonlyMap<number, LdMapRef>;
  /** Slot index → name of the `__ksym` extern a kfunc call came from. */
  readonly externs?: ReadonlyMap<number, string>;
  /** Slot index → subprogram start for `lddw rX, func` (BPF_PSEUDO_FUNC). */
  readonly privileged: boolean;
  /** Expected attach type BPF_XDP_DEVMAP: `xdp_md.egress_ifindex` is readable. */
  readonly devmapProg?: boolean;
  readonly gpl: boolean;
  cur: VState;
  idGen: number;
  /** Registers and stack slots the current instruction touched, for the `; R0=2` log part. */
  scratched: { regs: Set<number>; slots: Set<number> };
  /** Deepest stack use per subprogram start. */
  stackDepth: Map<number, number>;
  /** The instruction being checked and the one the path came from (`insn_idx`, `prev_insn_idx`). */
  insnIdx: number;
  prevIdx: number;
  /** This instruction's jump-history entry, once pushed (`cur_hist_ent`). */
  curHist: HistEntry | undefined;
  /** Subprograms by number (func#0 is the entry) and the BTF their func_info ids refer to. */
  funcs?: FuncInfo[];
  btf?: Btf;
  /** First slots of the global subprograms, and the ones a verified path called. */
  globalStarts?: ReadonlySet<number>;
  calledGlobals?: Set<number>;
  /** The walk verifies a global subprogram on its own (its frame 0 is not the entry's). */
  verifyingGlobal?: boolean;
  /** Level 1 and up: a line for the log, printed where the kernel prints it. */
  log?: (line: string) => void;
  /** Per load/store instruction, the pointer type it first accessed (`insn_aux_data[].ptr_type`). */
  auxPtrType?: Map<number, string>;
  /** Level 2: receives the `mark_precise:` lines (with the instruction or frame to print). */
  precisionLog?: (line: string, idx?: number, frame?: Frame) => void;
}

/** A verification failure: the kernel's message and the instruction it happened at. */
export class Reject {
  constructor(
    readonly message: string,
    readonly insn: number,
    /** errno the kernel returns (EACCES for most faults, EINVAL for malformed programs). */
    readonly errno: 'EACCES' | 'EINVAL' | 'E2BIG' | 'EFAULT' | 'EBADF' | 'EOPNOTSUPP' = 'EACCES',
    /** The lines the kernel logs after the message (`R1 offset is outside of the packet`). */
    readonly more: readonly string[] = [],
  ) {}
}

/** Throws a rejection (the checks unwind to the main loop). */
export function reject(message: string, insn: number, errno: Reject['errno'] = 'EACCES', more: readonly string[] = []): never {
  throw new Reject(message, insn, errno, more);
}

/** The current frame's register `n`. */
export function reg(env: Env, n: number): Reg {
  const f = env.cur.frames[env.cur.frames.length - 1]!;
  return f.regs[n]!;
}
