/**
 * The public contracts of the eBPF VM: the pointer model, guest memory as seen by helpers, the
 * helper ABI, program inputs and results. `src/kernel` implements helpers against these types;
 * the engines (interpreter and JIT) implement them.
 *
 * Pointer model. A guest value is 64 bits held as two int32 halves (`lo`, `hi`). A pointer is
 * `hi` = region tag, `lo` = byte offset inside that region, so pointer arithmetic is ordinary
 * 64-bit arithmetic and `data_end - data` is a plain subtraction. NULL is 0 (tag 0 is never a
 * region). Every load and store resolves the region from `hi`, bounds-checks `lo + off .. + size`
 * and, for stores, that the region is writable; anything else is a clean {@link VmFault}.
 *
 *   63            32 31             0
 *   +---------------+---------------+
 *   |  region tag   |    offset     |
 *   +---------------+---------------+
 */
import type { StepObserver } from './trace';
import { XdptsError } from '../util';
import { notEmulatedMessage, type Instruction } from '../isa';

/** Kernel `MAX_CALL_FRAMES` (include/linux/bpf_verifier.h): main program plus 7 nested calls. */
export const MAX_CALL_FRAMES = 8;
/** Kernel `MAX_BPF_STACK`: bytes of stack each frame owns below its r10. */
export const MAX_BPF_STACK = 512;
/** Kernel `MAX_TAIL_CALL_CNT` (include/linux/bpf.h since 5.17): tail calls allowed per run. */
export const MAX_TAIL_CALL_CNT = 33;
/** Kernel `BPF_MAX_LOOPS` (8M): the budget of `may_goto` per frame. */
export const BPF_MAX_LOOPS = 8 * 1024 * 1024;
/** Kernel `XDP_PACKET_HEADROOM`: bytes before `data` that adjust_head/adjust_meta can claim. */
export const XDP_PACKET_HEADROOM = 256;
/**
 * Size of the XDP frame `BPF_PROG_TEST_RUN` builds (net/bpf/test_run.c: `4096` including
 * headroom and the skb_shared_info tail).
 */
export const XDP_FRAME_SIZE = 4096;
/**
 * `SKB_DATA_ALIGN(sizeof(struct skb_shared_info))` on x86_64 (320 bytes; read from the running
 * 6.18 kernel's BTF). `data_end` can never pass `XDP_FRAME_SIZE - XDP_SHINFO_SIZE`
 * (bpf_xdp_adjust_tail's `xdp_data_hard_end`).
 */
export const XDP_SHINFO_SIZE = 320;
/** The largest packet an XDP test run holds linearly: 4096 - 256 - 320 = 3520 bytes. */
export const XDP_MAX_PACKET = XDP_FRAME_SIZE - XDP_PACKET_HEADROOM - XDP_SHINFO_SIZE;
/** `sizeof(struct xdp_frame)` on x86_64 (40): the lowest `data`/`data_meta` may go (xdp_frame_end). */
export const XDP_FRAME_STRUCT_SIZE = 40;

/** XDP verdicts (include/uapi/linux/bpf.h `enum xdp_action`). */
export const XDP_ABORTED = 0;
export const XDP_DROP = 1;
export const XDP_PASS = 2;
export const XDP_TX = 3;
export const XDP_REDIRECT = 4;

/** Region tags with a fixed meaning. Tags from {@link FIRST_DYNAMIC_TAG} on are handed out. */
export const TAG_NULL = 0;
/** The program context (`struct xdp_md` for XDP; loads are rewritten like the kernel does). */
export const TAG_CTX = 1;
/** The XDP frame: headroom, packet, tailroom. Offsets are from `data_hard_start`. */
export const TAG_PACKET = 2;
/** All frames' stacks: frame k's r10 is `(TAG_STACK, (MAX_CALL_FRAMES - k) * MAX_BPF_STACK)`. */
export const TAG_STACK = 3;
/** Code addresses: `lo` = instruction slot index. Made by `lddw` with src = BPF_PSEUDO_FUNC. */
export const TAG_FUNC = 4;
/**
 * The tag to give map handles (`lddw r1, map` with BPF_PSEUDO_MAP_FD resolved by the kernel):
 * `(map id, TAG_MAP)`. No region ever has this tag, so a program that dereferences a map handle
 * faults instead of reading unrelated memory; helpers read the id back from the low half.
 */
export const TAG_MAP = 5;
/** First tag given to regions registered at run time or for the life of a {@link VmSpace}. */
export const FIRST_DYNAMIC_TAG = 16;

/** A run-time fault: an access out of bounds, into an unknown region, a write to a read-only one... */
export class VmFault extends XdptsError {
  /** Instruction index (slot) of the faulting instruction; -1 when outside the program. */
  readonly pc: number;
  /** Short reason, e.g. `out of bounds load of 4 bytes at packet+3772`. */
  readonly reason: string;
  constructor(pc: number, reason: string) {
    super(`VM fault at pc ${pc}: ${reason}`, 'vm-fault');
    this.name = 'VmFault';
    this.pc = pc;
    this.reason = reason;
  }
}

/** A program the VM cannot run: an unknown opcode, a bad register, a jump out of the program... */
export class VmCompileError extends XdptsError {
  /** Instruction slot of the problem. */
  readonly pc: number;
  constructor(pc: number, message: string) {
    super(`instruction ${pc}: ${message}`, 'vm-invalid');
    this.name = 'VmCompileError';
    this.pc = pc;
  }
}

/**
 * A call of a helper the kernel has but the helper table given to the VM lacks: the emulation
 * does not offer it (`helper bpf_foo#N is not emulated`), which is not a kernel refusal.
 */
export class HelperNotEmulatedError extends VmCompileError {
  readonly helper: number;
  constructor(pc: number, id: number) {
    super(pc, notEmulatedMessage(id));
    this.message = notEmulatedMessage(id);
    this.name = 'HelperNotEmulatedError';
    (this as { code: string }).code = 'ENOTEMULATED';
    this.helper = id;
  }
}

/** One block of guest memory. `len` bounds loads, `wlen` bounds stores (0 when read-only). */
export interface Region {
  /** Human name used in fault messages (`packet`, `stack`, `map value`...). */
  readonly name: string;
  readonly u8: Uint8Array;
  readonly dv: DataView;
  /** Bytes that can be loaded: `u8.length`, or 0 for synthetic regions (ctx) handled aside. */
  readonly len: number;
  /** Bytes that can be stored: `len` when writable, else 0. */
  readonly wlen: number;
}

/**
 * The XDP packet state (`struct xdp_buff`) as offsets into the frame region (`TAG_PACKET`).
 * Helpers that move the packet boundaries (bpf_xdp_adjust_head/meta/tail) change these fields
 * directly after checking them the way the kernel does; ctx loads of `data`, `data_end` and
 * `data_meta` read them live, so the next load sees the new pointers. The frame is reused run
 * after run and re-zeroed only between the lowest data_meta/data and the highest data_end that
 * were set, so helpers must write `frame` only inside those bounds (set the pointers first).
 */
export interface XdpBuff {
  /** The frame bytes (4096): headroom, packet, tailroom, skb_shared_info space. */
  readonly frame: Uint8Array;
  /** Offset of `data_meta` (== data when there is no metadata). */
  dataMeta: number;
  /** Offset of `data` (256 at entry). */
  data: number;
  /** Offset of `data_end`. */
  dataEnd: number;
  /** Upper limit of `dataEnd` (XDP_FRAME_SIZE - XDP_SHINFO_SIZE). */
  readonly hardEnd: number;
  /** Lower limit of `data`/`dataMeta` (XDP_FRAME_STRUCT_SIZE). */
  readonly frameEnd: number;
  readonly ingressIfindex: number;
  readonly rxQueueIndex: number;
  readonly egressIfindex: number;
  /**
   * The page frags after the linear part (multi-buffer frames, `skb_shared_info.frags`), each
   * holding exactly its bytes. Programs reach them only through helpers (bpf_xdp_load_bytes,
   * bpf_xdp_adjust_tail...), which may replace, shorten or drop them. Empty for most frames.
   */
  frags: Uint8Array[];
}

/** Guest memory of one run, as helpers see it. All checks fault like a program access would. */
export interface Memory {
  /** The region of a tag, or undefined. */
  region(tag: number): Region | undefined;
  /**
   * Checks that `[lo, lo+len)` of region `hi` is readable (or writable) and returns the region's
   * whole byte array, so the caller indexes it at `lo >>> 0` without allocating. Faults otherwise.
   */
  check(lo: number, hi: number, len: number, write: boolean): Uint8Array;
  /** Copies `len` guest bytes at pointer (lo, hi) out. Faults when not readable. */
  read(lo: number, hi: number, len: number): Uint8Array;
  /** Copies `data` into guest memory at pointer (lo, hi). Faults when not writable. */
  write(lo: number, hi: number, data: Uint8Array): void;
  /**
   * Makes `bytes` addressable for the rest of this run (a map value, a ring buffer record...)
   * and returns its tag; the same array gives the same tag within a run (pointer equality).
   * Pointers into it are `(offset, tag)`. Cheap: one Map lookup on the hot path.
   */
  expose(bytes: Uint8Array, writable: boolean): number;
  /** The XDP packet state; undefined outside XDP runs. */
  readonly xdp: XdpBuff | undefined;
}

/**
 * One helper invocation. A single instance is reused for every call of a run, so helpers must
 * not keep it. Arguments r1..r5 are int32 halves in `args` (`args[2*(n-1)]` = lo of rN,
 * `args[2*(n-1)+1]` = hi); the helper sets r0 through `ret*` (r0 is 0 if it sets nothing).
 */
export interface HelperCall {
  /** r1..r5 as lo/hi int32 pairs: index 0,1 = r1; 2,3 = r2; ... 8,9 = r5. */
  readonly args: Int32Array;
  /** Guest memory of the current run. */
  readonly mem: Memory;
  /** Instruction index of the `call`. */
  readonly pc: number;
  /** Low 32 bits of rN, unsigned (n in 1..5). */
  u32(n: number): number;
  /** rN as a JS number when it fits in ±2^53 (sizes, flags, indexes); exact for int64 in that range. */
  num(n: number): number;
  /** rN as an unsigned 64-bit BigInt (slow; for rare helpers only). */
  big(n: number): bigint;
  /** Sets r0 from a safe integer (negative errnos become 64-bit negatives). */
  ret(v: number): void;
  /** Sets r0 to a pointer `(offset, tag)`. */
  retPtr(offset: number, tag: number): void;
  /** Sets r0 from a 64-bit value (two's complement of any BigInt). */
  retBig(v: bigint): void;
  /** Raises a fault at this call (the run ends: XDP_ABORTED for XDP, an error for raw runs). */
  fault(reason: string): never;
  /**
   * The instruction slot of a function pointer held in rN (made by `lddw rX, func`), or faults
   * if rN is not one. For bpf_loop / for_each_map_elem / timers callbacks.
   */
  funcArg(n: number): number;
  /**
   * Calls the BPF function at instruction slot `slot` as a new frame (its own 512-byte stack,
   * counted against MAX_CALL_FRAMES) with r1..r5 taken from `args` (lo/hi pairs, missing ones
   * 0), and returns its r0 as a signed int32 of the low half; the high half is left in
   * {@link invokeHi}. Helpers use it for callbacks; it runs on the same engine.
   */
  invoke(slot: number, args: ArrayLike<number>): number;
  /** High half of the last {@link invoke} result. */
  readonly invokeHi: number;
}

/**
 * A helper implementation: reads its arguments from `c`, sets r0 with `c.ret*`. Called as a
 * plain function (do not rely on `this`); throwing anything but through `c.fault` is a bug that
 * propagates out of the run.
 */
export type HelperFn = (c: HelperCall) => void;

/**
 * What an engine may compute inline for a specialised bpf_map_lookup_elem, with the helper's
 * own steps and results; anything the description does not cover is the helper call itself.
 *
 * - `array` (kernel array_map_lookup_elem): when the 4-byte key is readable, the index is below
 *   `maxEntries` and `values[index]` already exists, r0 = (0, run.expose(value, writable)).
 * - `hash` (a plain BPF_MAP_TYPE_HASH with a 2- or 4-byte key, htab_map_lookup_elem): when the
 *   key is readable, r0 is NULL if `entries` has no entry for the key read as a little-endian
 *   unsigned number (or the entry has no value), else (0, run.expose(values[0], writable)).
 */
export type InlineLookup =
  | {
    readonly kind: 'array';
    readonly maxEntries: number;
    /** Live value buffers by index (holes for values not yet allocated). */
    readonly values: ReadonlyArray<Uint8Array | undefined>;
    readonly writable: boolean;
  }
  | {
    readonly kind: 'hash';
    readonly keySize: 2 | 4;
    /** The map's live entries by key number. */
    readonly entries: ReadonlyMap<number, { readonly values: ReadonlyArray<Uint8Array | undefined> }>;
    readonly writable: boolean;
  };

/** A specialised helper that may describe itself for inlining (see {@link HelperTable.specialize}). */
export interface SpecializedHelperFn {
  (c: HelperCall): void;
  readonly inline?: InlineLookup;
}

/**
 * The helpers a program may call, indexed by helper id (src/isa HELPER_NAMES), plus the tail-call
 * hook: the kernel resolves `bpf_tail_call(ctx, prog_array, index)` (args r1..r3 in `c`) to the
 * target program; `undefined` when the index is out of range and `null` when the slot is empty
 * (the kernel counts the attempt in that case: bpf_tail_call checks index, then the count,
 * increments it, then reads the slot). Either way the program falls through to the next
 * instruction. The VM counts MAX_TAIL_CALL_CNT and runs the target with r1 = ctx;
 * the target's r0 becomes the caller frame's return value (the current frame is replaced).
 */
export interface HelperTable {
  readonly helpers: ReadonlyArray<HelperFn | undefined>;
  /** kfunc implementations by vmlinux BTF id (BPF_PSEUDO_KFUNC_CALL `imm`). */
  readonly kfuncs?: ReadonlyMap<number, HelperFn>;
  readonly tailCall?: (c: HelperCall) => VmProgram | null | undefined;
  /**
   * Optional: a version of helper `id` for a call site where r1 always holds (`r1lo`, `r1hi`),
   * loaded by the `lddw` instruction `load` in the same basic block (a map pointer, mostly), or
   * undefined for none. Engines ask once per such call site when compiling; the returned
   * function must behave exactly as `helpers[id]` does for that r1 (it only skips the work of
   * resolving r1 on every call).
   */
  readonly specialize?: (id: number, r1lo: number, r1hi: number, load: Instruction) => SpecializedHelperFn | undefined;
}

/**
 * Resolves a 64-bit immediate load with a pseudo source (BPF_PSEUDO_MAP_FD, _MAP_VALUE,
 * _MAP_IDX...) to the value the register gets, as `[lo, hi]`. Called once per `lddw` at compile
 * time. For map values use a {@link VmSpace} region so the pointer stays valid across runs.
 */
export type PseudoResolver = (insn: Instruction, slot: number) => readonly [lo: number, hi: number];

/**
 * An address space shared by the programs of one emulated kernel: regions that live longer than
 * one run (array map values, global data) get stable tags here, so pointers baked into programs
 * at compile time stay valid. Runs on one space must not overlap (tail calls and callbacks run
 * inside their caller's run and are fine).
 */
export interface VmSpace {
  /** Registers a long-lived region and returns its tag. */
  addRegion(name: string, bytes: Uint8Array, writable: boolean): number;
  /** Unregisters a region made by {@link addRegion}; later accesses through it fault. */
  removeRegion(tag: number): void;
}

/**
 * Which engine runs a program: the interpreter (the reference), the JIT to JavaScript, or the
 * translator to WebAssembly. All give identical results on every input.
 */
export type Engine = 'interp' | 'jit' | 'wasm';

/** Options fixed when a program is made. */
export interface CompileOptions {
  readonly engine: Engine;
  readonly helpers?: HelperTable;
  /** The address space (share one per kernel). A private one is made when absent. */
  readonly space?: VmSpace;
  /** Resolver of map references in `lddw`; without it such an `lddw` loads its raw 64-bit immediate. */
  readonly resolvePseudo?: PseudoResolver;
  /**
   * Bound on taken backward jumps + local calls per entry into the program (the run itself,
   * each callback, each tail-call target), so unverified (raw) programs cannot hang the host:
   * exceeding it is a fault. Default 2^26. `Infinity` removes the counting (for programs the
   * verifier proved to terminate; the JIT then emits no check at all).
   */
  readonly maxSteps?: number;
  /**
   * Count executions for coverage (interpreter only): per instruction slot how often it ran and
   * how often control left it other than by falling through (a taken jump). No instruction of
   * the program is changed; the counters live beside it ({@link VmProgram.coverage}).
   */
  readonly coverage?: boolean;
  /**
   * Called before every instruction runs (tracing, src/vm/trace.ts). Forces the interpreter;
   * programs compiled without one run exactly as before.
   */
  readonly observer?: StepObserver;
}

/** Coverage counters of a program, indexed by instruction slot. */
export interface VmCoverage {
  /** Times each slot ran. */
  readonly exec: Uint32Array;
  /** Times control went from the slot to anywhere but the next slot (a conditional jump taken). */
  readonly taken: Uint32Array;
}

/** Input of a raw run: r1 = pointer to a writable copy of `mem`, r2 = its length. */
export interface RawInput {
  readonly mem?: Uint8Array;
}

/**
 * Input of an XDP run: the packet and the `struct xdp_md` scalar fields. The VM runs any size
 * up to XDP_MAX_PACKET (the linear part of the frame; no multi-buffer frags). BPF_PROG_TEST_RUN
 * also refuses packets shorter than ETH_HLEN (14) with EINVAL: that policy is the caller's.
 */
export interface XdpInput {
  readonly packet: Uint8Array;
  /** Metadata in front of the packet (`[data_meta, data)`, at most XDP_PACKET_HEADROOM - XDP_FRAME_STRUCT_SIZE bytes). */
  readonly meta?: Uint8Array | undefined;
  readonly ingressIfindex?: number;
  readonly rxQueueIndex?: number;
  readonly egressIfindex?: number;
  /** Page frags after `packet` (a multi-buffer frame: BPF_PROG_TEST_RUN's data past 3520 bytes). */
  readonly frags?: readonly Uint8Array[];
  /**
   * Run the program this many times over the same frame, as BPF_PROG_TEST_RUN's `repeat` does
   * (no reset between runs; the result is the last run's) and report the average duration.
   */
  readonly repeat?: number;
}

/** What a run gives back. `r0` is the exit value; `fault` set means the run was aborted. */
export interface RunResult {
  readonly r0lo: number;
  readonly r0hi: number;
  /** r0 as an unsigned 64-bit BigInt (computed at the edge). */
  readonly r0: bigint;
  readonly fault?: VmFault;
  /** Raw runs with memory: the memory after the run (the program's writable copy). */
  readonly mem?: Uint8Array;
}

/** What an XDP run gives back: the verdict and the packet after the program's changes. */
export interface XdpResult extends RunResult {
  /** The XDP action: r0's low 32 bits, or XDP_ABORTED after a fault. */
  readonly action: number;
  /** Bytes `[data, data_end)` after the run (a copy). */
  readonly packet: Uint8Array;
  /** Bytes `[data_meta, data)` after the run (a copy; empty when none). */
  readonly meta: Uint8Array;
  /** The frags after the run (empty when the frame had none). */
  readonly frags: readonly Uint8Array[];
  /**
   * Average wall time of one run in nanoseconds (what test_run reports as `duration`); measured
   * only when `repeat` was given, 0 otherwise.
   */
  readonly durationNs: number;
}

/** A compiled program: immutable, runnable any number of times. */
export interface VmProgram {
  /** The engine that runs it (the JIT when `wasm` was asked for and could not take it). */
  readonly engine: Engine;
  /** Why the engine asked for is not the one running it (absent when it is). */
  readonly engineNote?: string;
  readonly insns: readonly Instruction[];
  /** Runs as uBPF / the BPF conformance suite do (r1 = memory, r2 = length). */
  runRaw(input?: RawInput): RunResult;
  /** Runs as an XDP program over one packet, like BPF_PROG_TEST_RUN. */
  runXdp(input: XdpInput): XdpResult;
  /** Coverage counters, when compiled with `coverage` (they add up over runs). */
  readonly coverage?: VmCoverage;
}
