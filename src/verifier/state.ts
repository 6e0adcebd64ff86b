/**
 * Verifier state: the kernel's `struct bpf_verifier_state` — a stack of call frames, each with
 * eleven registers and a byte-typed stack (`struct bpf_func_state`), plus acquired references.
 */
import type { HistEntry } from './precision';
import { type Reg, copyReg, notInit, pointer } from './reg-state';

/** Bytes of stack per frame (`MAX_BPF_STACK`). */
export const MAX_BPF_STACK = 512;
/** Deepest bpf-to-bpf call chain (`MAX_CALL_FRAMES`). */
export const MAX_CALL_FRAMES = 8;

/**
 * One stack byte's type, as the kernel's `slot_type` chars print: `?` STACK_INVALID, `m`
 * STACK_MISC, `0` STACK_ZERO, `r` STACK_SPILL (a spilled register owns all 8 bytes of its slot).
 */
export type StackByte = '?' | 'm' | '0' | 'r';

/** One call frame (`struct bpf_func_state`). */
export interface Frame {
  regs: Reg[];
  /** Byte types indexed by `-off - 1` (fp-1 is index 0). */
  stack: StackByte[];
  /** Spilled registers by slot index `spi = (-off - 1) >> 3`. */
  spills: (Reg | undefined)[];
  /** Deepest byte touched, as a positive count (the frame's stack depth). */
  depth: number;
  /** Index of the call instruction that made this frame (-1 for the main frame). */
  callsite: number;
  frameno: number;
  /** First instruction of the subprogram this frame runs. */
  subprog: number;
  /** True when the frame runs a helper's callback (bpf_loop, bpf_for_each_map_elem). */
  inCallback: boolean;
  /** bpf_loop iterations of a callback already explored from this frame (`callback_depth`). */
  callbackDepth: number;
}

/** A whole verifier state along one path. */
export interface VState {
  frames: Frame[];
  /** Acquired reference ids and the instruction that acquired each. */
  refs: { id: number; insn: number }[];
  /** The bpf_spin_lock held (`active_lock`): the map and the id of the value pointer. */
  lock?: { map: number; id: number };
  /** The checkpoint this state continues from (`parent`), for precision backtracking. */
  parent: VState | undefined;
  /** First instruction after the parent checkpoint, and the instruction before the current one. */
  firstIdx: number;
  lastIdx: number;
  /** Jumps and stack accesses since the parent checkpoint (`jmp_history`). */
  hist: HistEntry[];
  /** may_goto iterations taken on this path (`may_goto_depth`). */
  mayGotoDepth: number;
  /** Checkpoints above this state (`dfs_depth`). */
  dfsDepth: number;
}

/** A fresh frame: R1 = `r1`, R10 = fp, the rest not initialised. */
export function newFrame(frameno: number, callsite: number, subprog: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(notInit());
  regs[10] = pointer('PTR_TO_STACK', { frameno });
  return { regs, stack: [], spills: [], depth: 0, callsite, frameno, subprog, inCallback: false, callbackDepth: 0 };
}

/** The initial state of an XDP program: R1 = ctx, R10 = fp0. */
export function initialState(): VState {
  const f = newFrame(0, -1, 0);
  f.regs[1] = pointer('PTR_TO_CTX');
  return { frames: [f], refs: [], parent: undefined, firstIdx: 0, lastIdx: -1, hist: [], mayGotoDepth: 0, dfsDepth: 0 };
}

/** Deep copy of a frame. */
export function copyFrame(f: Frame): Frame {
  return {
    regs: f.regs.map(copyReg),
    stack: f.stack.slice(),
    spills: f.spills.map((s) => (s ? copyReg(s) : undefined)),
    depth: f.depth,
    callsite: f.callsite,
    frameno: f.frameno,
    subprog: f.subprog,
    inCallback: f.inCallback,
    callbackDepth: f.callbackDepth,
  };
}

/** Deep copy of a state (`copy_verifier_state`). */
export function copyState(s: VState): VState {
  const c: VState = {
    frames: s.frames.map(copyFrame),
    refs: s.refs.map((r) => ({ ...r })),
    parent: s.parent,
    firstIdx: s.firstIdx,
    lastIdx: s.lastIdx,
    hist: s.hist.slice(),
    mayGotoDepth: s.mayGotoDepth,
    dfsDepth: s.dfsDepth,
  };
  if (s.lock) c.lock = { ...s.lock };
  return c;
}

/** The innermost frame. */
export const curFrame = (s: VState): Frame => s.frames[s.frames.length - 1]!;

/** Every register and spilled register of every frame, for id-based updates. */
export function* allRegs(s: VState): Generator<Reg> {
  for (const f of s.frames) {
    for (const r of f.regs) yield r;
    for (const r of f.spills) if (r) yield r;
  }
}
