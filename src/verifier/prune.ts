/**
 * State pruning (kernel/bpf/verifier.c `states_equal`, `regsafe`, `stacksafe`): a path whose
 * state is covered by an already fully explored state at the same instruction is safe and is
 * not walked again. "Covered" is the kernel's rule without liveness/precision marks (which
 * only make the kernel prune more): every register and stack byte the old state had must be
 * at least as constrained in the new one, with consistent id mappings.
 */
import { type Reg, unknownScalar } from './reg-state';
import type { Frame, VState } from './state';
import { tnumIn } from './tnum';

/** `range_within` + `tnum_in`: every value `cur` may hold, `old` may hold. */
function rangeWithin(old: Reg, cur: Reg): boolean {
  return (
    old.umin <= cur.umin && old.umax >= cur.umax && old.smin <= cur.smin && old.smax >= cur.smax &&
    old.u32min <= cur.u32min && old.u32max >= cur.u32max && old.s32min <= cur.s32min && old.s32max >= cur.s32max &&
    tnumIn(old.varOff, cur.varOff)
  );
}

/** `check_ids`: ids must map one-to-one between the two states. */
class IdMap {
  private readonly a = new Map<number, number>();
  private readonly b = new Map<number, number>();
  check(x: number, y: number): boolean {
    if (!x && !y) return true;
    if (!x || !y) return false;
    const mx = this.a.get(x);
    const my = this.b.get(y);
    if (mx === undefined && my === undefined) {
      this.a.set(x, y);
      this.b.set(y, x);
      return true;
    }
    return mx === y && my === x;
  }
}

/**
 * Widening at a callback call site: scalars of `cur` not covered by the active state `old`
 * become unknown, so repeated callback iterations converge. The kernel gets there with
 * precision tracking (imprecise scalars compare equal); widening is the sound stand-in.
 */
export function widenScalars(old: VState, cur: VState): void {
  if (old.frames.length !== cur.frames.length) return;
  for (let f = 0; f < old.frames.length; f++) {
    const o = old.frames[f]!;
    const c = cur.frames[f]!;
    for (let r = 0; r < 11; r++) {
      const a = o.regs[r]!;
      const b = c.regs[r]!;
      if (a.type === 'SCALAR_VALUE' && b.type === 'SCALAR_VALUE' && !rangeWithin(a, b)) c.regs[r] = unknownScalar();
    }
    for (let k = 0; k < c.spills.length; k++) {
      const a = o.spills[k];
      const b = c.spills[k];
      if (a && b && a.type === 'SCALAR_VALUE' && b.type === 'SCALAR_VALUE' && !rangeWithin(a, b)) c.spills[k] = unknownScalar();
    }
  }
}

/** `regsafe`. */
function regSafe(old: Reg, cur: Reg, ids: IdMap): boolean {
  if (old.type === 'NOT_INIT') return true;
  if (cur.type === 'NOT_INIT') return false;
  if (old.type === 'SCALAR_VALUE') {
    if (cur.type !== 'SCALAR_VALUE') return false;
    if (old.id && !ids.check(old.id, cur.id)) return false;
    return rangeWithin(old, cur);
  }
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull || old.rdonly !== cur.rdonly || old.ringbuf !== cur.ringbuf) {
    return false;
  }
  if (old.off !== cur.off || old.map !== cur.map || old.memSize !== cur.memSize || old.frameno !== cur.frameno) return false;
  if (!rangeWithin(old, cur)) return false;
  if (old.type === 'PTR_TO_PACKET' || old.type === 'PTR_TO_PACKET_META') {
    if (old.range > cur.range) return false;
    if (old.range < 0 && old.range !== cur.range) return false;
  }
  if (!ids.check(old.id, cur.id)) return false;
  return ids.check(old.refObjId, cur.refObjId);
}

/** `stacksafe`. */
function stackSafe(old: Frame, cur: Frame, ids: IdMap): boolean {
  for (let b = 0; b < old.stack.length; b++) {
    const o = old.stack[b] ?? '?';
    if (o === '?') continue;
    const c = cur.stack[b] ?? '?';
    const spi = b >> 3;
    if (o === 'r') {
      if ((b & 7) !== 0) continue;
      const os = old.spills[spi];
      const cs = cur.spills[spi];
      if (!os) continue;
      if (!cs) {
        // A spilled unknown scalar is as good as misc bytes.
        if (os.type === 'SCALAR_VALUE' && os.varOff.mask === (1n << 64n) - 1n && c !== '?') continue;
        return false;
      }
      if (!regSafe(os, cs, ids)) return false;
      continue;
    }
    if (o === 'm') {
      if (c === '?') return false;
      if (c === 'r' && cur.spills[spi] && cur.spills[spi]!.type !== 'SCALAR_VALUE') return false;
      continue;
    }
    if (o === '0') {
      if (c === '0') continue;
      const cs = cur.spills[spi];
      if (c === 'r' && cs && cs.type === 'SCALAR_VALUE' && cs.varOff.mask === 0n && cs.varOff.value === 0n) continue;
      return false;
    }
  }
  return true;
}

/** True when exploring `cur` could find nothing `old` (fully explored, safe) did not. */
export function statesCovered(old: VState, cur: VState, live?: readonly number[]): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  if (old.lock?.map !== cur.lock?.map || old.lock?.id !== cur.lock?.id) return false;
  const ids = new IdMap();
  for (let f = 0; f < old.frames.length; f++) {
    const o = old.frames[f]!;
    const c = cur.frames[f]!;
    if (o.callsite !== c.callsite) return false;
    // Dead registers (compute_live_registers) cannot matter to the rest of the program.
    const lv = live?.[f] ?? 0x7ff;
    for (let r = 0; r < 11; r++) if (lv & (1 << r) && !regSafe(o.regs[r]!, c.regs[r]!, ids)) return false;
    if (!stackSafe(o, c, ids)) return false;
  }
  return true;
}

function regExact(a: Reg, b: Reg): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'NOT_INIT') return true;
  return a.varOff.value === b.varOff.value && a.varOff.mask === b.varOff.mask && a.off === b.off &&
    a.smin === b.smin && a.smax === b.smax && a.umin === b.umin && a.umax === b.umax &&
    a.s32min === b.s32min && a.s32max === b.s32max && a.u32min === b.u32min && a.u32max === b.u32max &&
    a.maybeNull === b.maybeNull && a.range === b.range && a.map === b.map && a.memSize === b.memSize &&
    a.frameno === b.frameno;
}

/** Exact equality of two states (ids excluded), for the infinite-loop check (`regs_exact`). */
export function statesExact(x: VState, y: VState, live?: readonly number[]): boolean {
  if (x.frames.length !== y.frames.length || x.refs.length !== y.refs.length) return false;
  if (x.lock?.map !== y.lock?.map || x.lock?.id !== y.lock?.id) return false;
  for (let f = 0; f < x.frames.length; f++) {
    const a = x.frames[f]!;
    const b = y.frames[f]!;
    if (a.callsite !== b.callsite) return false;
    const lv = live?.[f] ?? 0x7ff;
    for (let r = 0; r < 11; r++) if (lv & (1 << r) && !regExact(a.regs[r]!, b.regs[r]!)) return false;
    const n = Math.max(a.stack.length, b.stack.length);
    for (let k = 0; k < n; k++) if ((a.stack[k] ?? '?') !== (b.stack[k] ?? '?')) return false;
    const m = Math.max(a.spills.length, b.spills.length);
    for (let k = 0; k < m; k++) {
      const p = a.spills[k];
      const q = b.spills[k];
      if (!p !== !q) return false;
      if (p && q && !regExact(p, q)) return false;
    }
  }
  return true;
}
