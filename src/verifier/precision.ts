/**
 * Scalar precision tracking (kernel/bpf/verifier.c `__mark_chain_precision`, `backtrack_insn`,
 * `push_jmp_history`, `propagate_precision`, `mark_all_scalars_imprecise`).
 *
 * Every scalar starts imprecise; state pruning treats imprecise scalars of an explored state as
 * matching anything. When the verifier relies on a scalar's exact value or range (a branch
 * decided by bounds, pointer arithmetic, a helper's size or constant argument), the chain of
 * instructions that computed it is walked backwards through the current state's jump history
 * and then through each parent checkpoint, and every register and spilled stack slot the value
 * came from is marked precise in those checkpoints. The current state itself is never marked.
 */
import type { Instruction } from '../isa';
import type { Env } from './env';
import type { Frame, VState } from './state';

/** `INSN_F_*` bits of a history entry. */
export const HIST_STACK = 1;
export const HIST_SRC_STACK = 2;
export const HIST_DST_STACK = 4;

/** A register or stack slot linked by a shared scalar id (`struct linked_reg`). */
export interface LinkedReg {
  frame: number;
  /** Register number, or -1 for a stack slot. */
  reg: number;
  spi: number;
}

/** One jump-history entry (`struct bpf_jmp_history_entry`). */
export interface HistEntry {
  idx: number;
  prev: number;
  flags: number;
  /** For HIST_STACK: the frame and slot the instruction spilled to or filled from. */
  frame: number;
  spi: number;
  linked?: LinkedReg[];
}

/** `push_jmp_history`: entries of the same instruction are merged. */
export function pushHist(env: Env, flags = 0, frame = 0, spi = 0, linked?: LinkedReg[]): void {
  const e = env.curHist;
  if (e) {
    e.flags |= flags;
    if (flags & HIST_STACK) {
      e.frame = frame;
      e.spi = spi;
    }
    if (linked) e.linked = linked;
    return;
  }
  const n: HistEntry = { idx: env.insnIdx, prev: env.prevIdx, flags, frame, spi, linked };
  env.cur.hist.push(n);
  env.curHist = n;
}

/** Records a spill to or fill from stack slot `spi` of `frame` (INSN_F_STACK_ACCESS). */
export function noteStackAccess(env: Env, frame: number, spi: number): void {
  if (spi < 64) pushHist(env, HIST_STACK, frame, spi);
}

/**
 * `struct backtrack_state`: per-frame register and stack-slot masks still to be explained
 * (the 64 slot bits of a frame as two 32-bit halves, to keep BigInt off this path).
 */
class Backtrack {
  regs = [0, 0, 0, 0, 0, 0, 0, 0];
  lo = [0, 0, 0, 0, 0, 0, 0, 0];
  hi = [0, 0, 0, 0, 0, 0, 0, 0];
  constructor(public frame: number) {}
  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if (this.regs[i] || this.lo[i] || this.hi[i]) return false;
    return true;
  }
  has(r: number, f = this.frame): boolean {
    return (this.regs[f]! & (1 << r)) !== 0;
  }
  set(r: number, f = this.frame): void {
    this.regs[f]! |= 1 << r;
  }
  clear(r: number, f = this.frame): void {
    this.regs[f]! &= ~(1 << r);
  }
  slots(f: number): boolean {
    return (this.lo[f]! | this.hi[f]!) !== 0;
  }
  hasSlot(f: number, s: number): boolean {
    return ((s < 32 ? this.lo[f]! : this.hi[f]!) & (1 << (s & 31))) !== 0;
  }
  setSlot(f: number, s: number): void {
    if (s < 32) this.lo[f]! |= 1 << s;
    else this.hi[f]! |= 1 << (s & 31);
  }
  clearSlot(f: number, s: number): void {
    if (s < 32) this.lo[f]! &= ~(1 << s);
    else this.hi[f]! &= ~(1 << (s & 31));
  }
  fmtStack(f: number): string {
    const out: string[] = [];
    for (let k = 0; k < 64; k++) if (this.hasSlot(f, k)) out.push(String(-(k + 1) * 8));
    return out.join(',');
  }
}

/** Backtracking met something it cannot follow: fall back to marking everything precise. */
class NotSupported {}

const ARGS = 0x3e;

function syncLinked(bt: Backtrack, h: HistEntry | undefined): void {
  if (!h?.linked) return;
  const some = h.linked.some((e) => (e.reg >= 0 ? bt.has(e.reg, e.frame) : bt.hasSlot(e.frame, e.spi)));
  if (!some) return;
  for (const e of h.linked) {
    if (e.reg >= 0) bt.set(e.reg, e.frame);
    else bt.setSlot(e.frame, e.spi);
  }
}

const isPseudoCall = (i: Instruction | undefined): boolean => i !== undefined && i.opcode === 0x85 && i.src === 1;
const isCallbackHelper = (i: Instruction): boolean => i.opcode === 0x85 && i.src === 0 && (i.imm === 181 || i.imm === 164);

/** `backtrack_insn`: what instruction `idx` needs from before it to explain `bt`. */
function backtrackInsn(env: Env, idx: number, subseq: number, h: HistEntry | undefined, bt: Backtrack): void {
  const ins = env.slots[idx];
  if (!ins || ins.opcode === 0) return;
  const cls = ins.opcode & 7;
  const op = ins.opcode & 0xf0;
  const useX = (ins.opcode & 8) !== 0;
  const d = ins.dst;
  const s = ins.src;
  env.precisionLog?.(`mark_precise: frame${bt.frame}: regs=${fmtRegs(bt.regs[bt.frame]!)} stack=${bt.fmtStack(bt.frame)} before ${idx}: `, idx);
  syncLinked(bt, h);
  if (cls === 4 || cls === 7) {
    if (!bt.has(d)) return;
    if (op === 0xd0 || op === 0x80) return;
    if (op === 0xb0) {
      bt.clear(d);
      if (useX && s !== 10) bt.set(s);
    } else if (useX && s !== 10) bt.set(s);
  } else if (cls === 1 || (cls === 3 && (ins.opcode & 0xe0) === 0xc0 && (ins.imm & 1) !== 0)) {
    // ldx, or an atomic fetch (its old value lands in src, or r0 for cmpxchg).
    const load = cls === 1 ? d : ins.imm === 0xf1 ? 0 : s;
    if (!bt.has(load)) return;
    bt.clear(load);
    if (!h || !(h.flags & HIST_STACK)) return;
    bt.setSlot(h.frame, h.spi);
  } else if (cls === 3 || cls === 2) {
    if (bt.has(d)) throw new NotSupported();
    if (!h || !(h.flags & HIST_STACK)) return;
    if (!bt.hasSlot(h.frame, h.spi)) return;
    bt.clearSlot(h.frame, h.spi);
    if (cls === 3) bt.set(s);
  } else if (cls === 5 || cls === 6) {
    if (isPseudoCall(ins) && env.globalStarts?.has(idx + ins.imm + 1)) {
      // A global subprogram's call: it sets r0 and its arguments are not followed.
      if (bt.regs[bt.frame]! & ARGS) throw new NotSupported();
      bt.clear(0);
      return;
    }
    if (isPseudoCall(ins)) {
      // Leaving the callee backwards: only its arguments r1-r5 may still be wanted.
      if (bt.regs[bt.frame]! & ~ARGS || bt.slots(bt.frame)) throw new NotSupported();
      for (let r = 1; r <= 5; r++) {
        if (bt.has(r)) {
          bt.clear(r);
          bt.set(r, bt.frame - 1);
        }
      }
      bt.frame--;
      return;
    }
    if (isCallbackHelper(ins) && idx !== subseq - 1) {
      // The exit of a callback back to the helper that called it.
      if (bt.regs[bt.frame]! & ~ARGS || bt.slots(bt.frame)) throw new NotSupported();
      for (let r = 1; r <= 5; r++) bt.clear(r);
      bt.frame--;
      return;
    }
    if (op === 0x80) {
      bt.clear(0);
      if (bt.regs[bt.frame]! & ARGS) throw new NotSupported();
      return;
    }
    if (op === 0x90) {
      const fromCall = subseq - 1 >= 0 && isPseudoCall(env.slots[subseq - 1]);
      const r0 = fromCall && bt.has(0);
      if (fromCall && bt.regs[bt.frame]! & ARGS) throw new NotSupported();
      bt.clear(0);
      if (bt.frame >= 7) throw new NotSupported();
      bt.frame++;
      if (r0) bt.set(0);
      return;
    }
    if (useX && op !== 0x00 && op !== 0xe0) {
      if (!bt.has(d) && !bt.has(s)) return;
      if (!h || !(h.flags & HIST_SRC_STACK)) bt.set(s);
      if (!h || !(h.flags & HIST_DST_STACK)) bt.set(d);
    }
  } else if (cls === 0) {
    if (ins.opcode === 0x18) bt.clear(d);
    else if (bt.has(d)) throw new NotSupported();
    return;
  }
  syncLinked(bt, h);
}

/** `get_prev_insn_idx`: the instruction before `i` on the path, consuming history entries. */
function prevInsn(st: VState, i: number, hist: { end: number }): number {
  const cnt = hist.end;
  if (i === st.firstIdx) {
    if (cnt === 0) return -1;
    if (cnt === 1 && st.hist[0]!.idx === i) return -1;
  }
  if (cnt && st.hist[cnt - 1]!.idx === i) {
    hist.end--;
    return st.hist[cnt - 1]!.prev;
  }
  return i - 1;
}

function histAt(st: VState, end: number, i: number): HistEntry | undefined {
  const e = end > 0 ? st.hist[end - 1] : undefined;
  return e && e.idx === i ? e : undefined;
}

function scalarSpill(f: Frame, spi: number): boolean {
  const r = f.spills[spi];
  return r !== undefined && r.type === 'SCALAR_VALUE' && f.stack[spi * 8] === 'r';
}

/** `mark_all_scalars_precise`: the conservative fallback, on every parent state of `cur`. */
export function markAllPrecise(env: Env, cur: VState): void {
  env.precisionLog?.(`mark_precise: frame${cur.frames.length - 1}: falling back to forcing all scalars precise`);
  for (let st = cur.parent; st; st = st.parent) {
    for (const f of st.frames) {
      for (let r = 0; r < 10; r++) if (f.regs[r]!.type === 'SCALAR_VALUE') f.regs[r]!.precise = true;
      f.spills.forEach((sp) => {
        if (sp && sp.type === 'SCALAR_VALUE') sp.precise = true;
      });
    }
  }
}

/** `mark_all_scalars_imprecise`: a new checkpoint forgets the precision it inherited. */
export function markAllImprecise(st: VState): void {
  for (const f of st.frames) {
    for (let r = 0; r < 10; r++) if (f.regs[r]!.type === 'SCALAR_VALUE') f.regs[r]!.precise = false;
    for (const sp of f.spills) if (sp && sp.type === 'SCALAR_VALUE') sp.precise = false;
  }
}

/**
 * `__mark_chain_precision`: makes register `regno` of the current frame (or, with `seed`, the
 * registers and slots it names per frame) precise in every checkpoint its value came through.
 */
export function markChainPrecision(env: Env, regno: number, seed?: (bt: Backtrack) => void): boolean {
  if (!env.privileged) return false;
  let st: VState | undefined = env.cur;
  const bt = new Backtrack(st.frames.length - 1);
  if (regno >= 0) {
    if (st.frames[bt.frame]!.regs[regno]!.type !== 'SCALAR_VALUE') return false;
    bt.set(regno);
  }
  seed?.(bt);
  if (bt.empty()) return false;
  let changed = false;
  let firstIdx = st.firstIdx;
  let lastIdx = env.insnIdx;
  let subseq = -1;
  let skipFirst = true;
  try {
    for (;;) {
      env.precisionLog?.(`mark_precise: frame${bt.frame}: last_idx ${lastIdx} first_idx ${firstIdx} subseq_idx ${subseq} `);
      if (lastIdx < 0) throw new NotSupported();
      const hist = { end: st.hist.length };
      for (let i = lastIdx; ; ) {
        if (skipFirst) skipFirst = false;
        else backtrackInsn(env, i, subseq, histAt(st, hist.end, i), bt);
        if (bt.empty()) return changed;
        subseq = i;
        i = prevInsn(st, i, hist);
        if (i === -1) break;
        if (i < 0 || i >= env.slots.length) throw new NotSupported();
      }
      st = st.parent;
      if (!st) break;
      for (let fr = bt.frame; fr >= 0; fr--) {
        const f = st.frames[fr]!;
        for (let r = 0; r < 11; r++) {
          if (!bt.has(r, fr)) continue;
          const reg = f.regs[r]!;
          if (reg.type !== 'SCALAR_VALUE' || reg.precise) bt.clear(r, fr);
          else reg.precise = changed = true;
        }
        for (let k = 0; k < 64 && bt.slots(fr); k++) {
          if (!bt.hasSlot(fr, k)) continue;
          if (!scalarSpill(f, k)) {
            bt.clearSlot(fr, k);
            continue;
          }
          const reg = f.spills[k]!;
          if (reg.precise) bt.clearSlot(fr, k);
          else reg.precise = changed = true;
        }
        if (env.precisionLog) {
          env.precisionLog(`mark_precise: frame${fr}: parent state regs=${fmtRegs(bt.regs[fr]!)} stack=${bt.fmtStack(fr)}: `, -1, f);
        }
      }
      if (bt.empty()) return changed;
      subseq = firstIdx;
      lastIdx = st.lastIdx;
      firstIdx = st.firstIdx;
    }
    if (!bt.empty()) markAllPrecise(env, env.cur);
  } catch (e) {
    if (!(e instanceof NotSupported)) throw e;
    markAllPrecise(env, env.cur);
  }
  return true;
}

/** `propagate_precision`: a pruned state needs what its equivalent explored state needed. */
export function propagatePrecision(env: Env, old: VState): boolean {
  return markChainPrecision(env, -1, (bt) => {
    for (let fr = old.frames.length - 1; fr >= 0; fr--) {
      const f = old.frames[fr]!;
      const names: string[] = [];
      for (let r = 0; r < 10; r++) {
        if (f.regs[r]!.type === 'SCALAR_VALUE' && f.regs[r]!.precise) {
          bt.set(r, fr);
          names.push(`r${r}`);
        }
      }
      f.spills.forEach((sp, k) => {
        if (sp && sp.type === 'SCALAR_VALUE' && sp.precise && f.stack[k * 8] === 'r' && k < 64) {
          bt.setSlot(fr, k);
          names.push(`fp${-(k + 1) * 8}`);
        }
      });
      if (names.length) env.precisionLog?.(`frame ${fr}: propagating ${names.join(',')}`);
    }
  });
}

/** Marks a stack slot of `frame` precise (a constant map key read from the stack). */
export function markSlotPrecise(env: Env, frame: number, spi: number): void {
  if (spi < 64) markChainPrecision(env, -1, (bt) => bt.setSlot(frame, spi));
}

function fmtRegs(m: number): string {
  const out: string[] = [];
  for (let r = 0; r < 32; r++) if (m & (1 << r)) out.push(`r${r}`);
  return out.join(',');
}
