/**
 * State pruning (kernel/bpf/verifier.c `states_equal`, `regsafe`, `stacksafe`): a path whose
 * state is covered by an already fully explored state at the same instruction is safe and is
 * not walked again. Every live register and used stack byte of the old state must be at least
 * as constrained in the new one, with consistent id mappings; imprecise scalars (see
 * precision.ts) and dead registers promise nothing and match anything.
 */
import { type Reg, hasAddConst, unknownScalar } from './reg-state';
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
  private tmp = 0;
  /** `check_scalar_ids`: an id-less current scalar gets a fresh id of its own. */
  checkScalar(x: number, y: number): boolean {
    if (!x) return true;
    return this.check(x, y || --this.tmp);
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

/** How strictly two states are compared (`enum exact_level`). */
export type Exact = 'not_exact' | 'exact' | 'range_within';

/** An unbound, imprecise scalar: what a slot of misc bytes reads as (`unbound_reg`). */
const UNBOUND = unknownScalar();

/**
 * `widen_imprecise_scalars`: scalars that are imprecise in both states and differ become
 * unknown in `cur`, so that the states of a may_goto loop's iterations converge.
 */
export function widenImprecise(old: VState, cur: VState): void {
  for (let f = 0; f < old.frames.length && f < cur.frames.length; f++) {
    const o = old.frames[f]!;
    const c = cur.frames[f]!;
    const widen = (a: Reg | undefined, b: Reg | undefined): boolean =>
      !!a && !!b && a.type === 'SCALAR_VALUE' && b.type === 'SCALAR_VALUE' && !a.precise && !b.precise && !regExact(a, b);
    for (let r = 0; r < 11; r++) if (widen(o.regs[r], c.regs[r])) c.regs[r] = unknownScalar();
    for (let k = 0; k < c.spills.length; k++) {
      if (o.stack[k * 8] === 'r' && c.stack[k * 8] === 'r' && widen(o.spills[k], c.spills[k])) c.spills[k] = unknownScalar();
    }
  }
}

/** `regsafe`: every behaviour `cur` can have, `old` was verified with. */
function regSafe(old: Reg, cur: Reg, ids: IdMap, exact: Exact, privileged: boolean): boolean {
  if (exact === 'exact') return regExact(old, cur) && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
  if (old.type === 'NOT_INIT') return true;
  if (old.type !== cur.type || old.maybeNull !== cur.maybeNull || old.rdonly !== cur.rdonly || old.ringbuf !== cur.ringbuf) {
    return false;
  }
  if (old.type === 'SCALAR_VALUE') {
    // Imprecise scalars of a root program's explored state were never relied upon.
    if (!old.precise && privileged && exact === 'not_exact') return true;
    // Linked scalars: an id-less old register was independent (a link in cur only adds
    // constraints); a linked one needs the same kind of link, and the same delta.
    if (hasAddConst(old.id) ? !hasAddConst(cur.id) || old.off !== cur.off : old.id !== 0 && hasAddConst(cur.id)) return false;
    if (!ids.checkScalar(old.id, cur.id)) return false;
    return rangeWithin(old, cur);
  }
  switch (old.type) {
    case 'PTR_TO_MAP_VALUE': case 'PTR_TO_MAP_KEY': case 'PTR_TO_MEM':
      return old.off === cur.off && old.map === cur.map && old.memSize === cur.memSize && rangeWithin(old, cur) &&
        ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
    case 'PTR_TO_PACKET': case 'PTR_TO_PACKET_META':
      if (old.range < 0 || cur.range < 0) {
        if (old.range !== cur.range) return false;
      } else if (old.range > cur.range) return false;
      if (old.off !== cur.off) return false;
      return ids.check(old.id, cur.id) && rangeWithin(old, cur);
    default:
      return regExact(old, cur) && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
  }
}

/** `scalar_reg_for_stack`: a full scalar spill, or an unbound scalar for a slot of misc bytes. */
function scalarForSlot(f: Frame, spi: number, privileged: boolean): Reg | undefined {
  const sp = f.spills[spi];
  let spilled = true;
  let misc = true;
  for (let j = 0; j < 8; j++) {
    const t = f.stack[spi * 8 + j] ?? '?';
    if (t !== 'r') spilled = false;
    if (!(t === 'm' || (t === '?' && privileged))) misc = false;
  }
  if (spilled && sp && sp.type === 'SCALAR_VALUE') return sp;
  return misc ? UNBOUND : undefined;
}

/** `stacksafe`. */
function stackSafe(old: Frame, cur: Frame, ids: IdMap, exact: Exact, privileged: boolean): boolean {
  for (let b = 0; b < old.stack.length; b++) {
    const o = old.stack[b] ?? '?';
    const c = cur.stack[b] ?? '?';
    if (exact === 'exact' && o !== c) return false;
    if (o === '?') continue;
    // Root may read uninitialised stack, so misc bytes of the old state promise nothing.
    if (privileged && o === 'm') continue;
    const spi = b >> 3;
    if ((b & 7) === 0) {
      const or = scalarForSlot(old, spi, privileged);
      const cr = or && scalarForSlot(cur, spi, privileged);
      if (or && cr) {
        if (!regSafe(or, cr, ids, exact, privileged)) return false;
        b += 7;
        continue;
      }
    }
    if (o === 'm' && c === '0') continue;
    if (o !== c) return false;
    if ((b & 7) !== 7 || o !== 'r') continue;
    const os = old.spills[spi];
    const cs = cur.spills[spi];
    if (!os || !cs) {
      if (os || cs) return false;
      continue;
    }
    if (!regSafe(os, cs, ids, exact, privileged)) return false;
  }
  return true;
}

/**
 * `states_equal`: exploring `cur` from here can find nothing `old` did not (`not_exact`, the
 * pruning test; `range_within` ignores precision marks), or the two are the same (`exact`,
 * the infinite-loop test). Registers dead at the frame's instruction are not compared.
 */
export function statesEqual(old: VState, cur: VState, live: readonly number[] | undefined, exact: Exact, privileged: boolean): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  if (old.lock?.map !== cur.lock?.map || old.lock?.id !== cur.lock?.id) return false;
  const ids = new IdMap();
  for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k]!.id, cur.refs[k]!.id)) return false;
  for (let f = 0; f < old.frames.length; f++) {
    const o = old.frames[f]!;
    const c = cur.frames[f]!;
    if (o.callsite !== c.callsite) return false;
    const lv = live?.[f] ?? 0x7ff;
    for (let r = 0; r < 11; r++) if (lv & (1 << r) && !regSafe(o.regs[r]!, c.regs[r]!, ids, exact, privileged)) return false;
    if (!stackSafe(o, c, ids, exact, privileged)) return false;
  }
  return true;
}

/** `states_maybe_looping`: the innermost frames' registers are identical, ids included. */
export function statesMaybeLooping(old: VState, cur: VState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const o = old.frames[old.frames.length - 1]!;
  const c = cur.frames[cur.frames.length - 1]!;
  for (let r = 0; r < 11; r++) {
    const a = o.regs[r]!;
    const b = c.regs[r]!;
    if (!regExact(a, b) || a.id !== b.id || a.refObjId !== b.refObjId) return false;
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
