/**
 * Conditional jumps (kernel/bpf/verifier.c `check_cond_jmp_op`): deciding statically taken
 * branches (`is_branch_taken`), refining scalar bounds in both branches
 * (`regs_refine_cond_op`), null checks of map values and ringbuf memory
 * (`mark_ptr_or_null_regs`) and the packet range proof from comparing a packet pointer with
 * `data_end` in every comparison form (`try_match_pkt_pointers`, `find_good_pkt_pointers`).
 */
import type { Instruction } from '../isa';
import { readReg } from './check-alu';
import { type Env, reject } from './env';
import {
  type Reg,
  baseId,
  boundsInvalid,
  constScalar,
  copyReg,
  hasAddConst,
  hasAddConst32,
  isConst,
  isPktPointer,
  isPointer,
  regBoundsSync,
  zext32to64,
} from './reg-state';
import { addDelta } from './scalar-alu';
import { HIST_DST_STACK, HIST_SRC_STACK, type LinkedReg, markChainPrecision, pushHist } from './precision';
import { type VState, allRegs, copyState, curFrame } from './state';
import { tnumAnd, tnumConst, tnumIntersect, tnumOr, tnumSubreg, tnumWithSubreg } from './tnum';

/** `AT_PKT_END` / `BEYOND_PKT_END` range markers on a packet pointer. */
const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;
/** `MAX_PACKET_OFF`. */
const MAX_PACKET_OFF = 0xffff;

const FLIP: Record<string, string> = {
  jeq: 'jeq', jne: 'jne', jgt: 'jlt', jlt: 'jgt', jge: 'jle', jle: 'jge', jsgt: 'jslt', jslt: 'jsgt',
  jsge: 'jsle', jsle: 'jsge', jset: 'jset', jset_not: 'jset_not',
};

interface B { smin: bigint; smax: bigint; umin: bigint; umax: bigint }
const b64 = (r: Reg): B => ({ smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax });
const b32 = (r: Reg): B => ({ smin: r.s32min, smax: r.s32max, umin: r.u32min, umax: r.u32max });

/** `is_scalar_branch_taken`: 1 always, 0 never, -1 unknown. */
function scalarTaken(a: Reg, b: Reg, op: string, is32: boolean): number {
  const x = is32 ? b32(a) : b64(a);
  const y = is32 ? b32(b) : b64(b);
  const ta = is32 ? tnumSubreg(a.varOff) : a.varOff;
  const tb = is32 ? tnumSubreg(b.varOff) : b.varOff;
  switch (op) {
    case 'jeq':
      if (ta.mask === 0n && tb.mask === 0n) return ta.value === tb.value ? 1 : 0;
      if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) return 0;
      if (((ta.value ^ tb.value) & ~(ta.mask | tb.mask)) !== 0n) return 0;
      return -1;
    case 'jne': {
      const r = scalarTaken(a, b, 'jeq', is32);
      return r < 0 ? r : 1 - r;
    }
    case 'jset': {
      if (tb.mask !== 0n) return -1;
      if ((ta.value & ~ta.mask & tb.value) !== 0n) return 1;
      if (((ta.mask | ta.value) & tb.value) === 0n) return 0;
      return -1;
    }
    case 'jgt': return x.umin > y.umax ? 1 : x.umax <= y.umin ? 0 : -1;
    case 'jsgt': return x.smin > y.smax ? 1 : x.smax <= y.smin ? 0 : -1;
    case 'jlt': return x.umax < y.umin ? 1 : x.umin >= y.umax ? 0 : -1;
    case 'jslt': return x.smax < y.smin ? 1 : x.smin >= y.smax ? 0 : -1;
    case 'jge': return x.umin >= y.umax ? 1 : x.umax < y.umin ? 0 : -1;
    case 'jsge': return x.smin >= y.smax ? 1 : x.smax < y.smin ? 0 : -1;
    case 'jle': return x.umax <= y.umin ? 1 : x.umin > y.umax ? 0 : -1;
    case 'jsle': return x.smax <= y.smin ? 1 : x.smin > y.smax ? 0 : -1;
  }
  return -1;
}

/**
 * `reg_not_null`: the pointer types the kernel knows cannot be NULL. ctx, stack and packet
 * pointers are not among them, so `if r1 == 0` on ctx explores both branches.
 */
function regNotNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  return r.type === 'PTR_TO_MAP_VALUE' || r.type === 'PTR_TO_MAP_KEY' || r.type === 'PTR_TO_MEM' || r.type === 'CONST_PTR_TO_MAP' ||
    r.type === 'PTR_TO_SOCKET' || r.type === 'PTR_TO_SOCK_COMMON' || r.type === 'PTR_TO_TCP_SOCK' ||
    // An acquired (hence trusted) BTF object is non-NULL once checked (`is_trusted_reg`).
    (r.type === 'PTR_TO_BTF_ID' && r.refObjId !== 0);
}

/** `is_branch_taken`, including non-null pointers compared with 0. */
export function branchTaken(a: Reg, b: Reg, op: string, is32: boolean): number {
  if (isPointer(a) && isConst(b) && b.varOff.value === 0n && regNotNull(a) && !is32) {
    if (op === 'jeq') return 0;
    if (op === 'jne') return 1;
    return -1;
  }
  if (isPointer(b) && isConst(a) && a.varOff.value === 0n && regNotNull(b) && !is32) {
    if (op === 'jeq') return 0;
    if (op === 'jne') return 1;
    return -1;
  }
  if (a.type !== 'SCALAR_VALUE' || b.type !== 'SCALAR_VALUE') return -1;
  return scalarTaken(a, b, op, is32);
}

const maxB = (x: bigint, y: bigint): bigint => (x > y ? x : y);
const minB = (x: bigint, y: bigint): bigint => (x < y ? x : y);

/** `regs_refine_cond_op`: learn from `r1 op r2` being true. */
function refine(r1: Reg, r2: Reg, op: string, is32: boolean): void {
  if (op === 'jle' || op === 'jlt' || op === 'jsle' || op === 'jslt') {
    refine(r2, r1, FLIP[op]!, is32);
    return;
  }
  switch (op) {
    case 'jeq':
      if (is32) {
        r1.u32min = r2.u32min = maxB(r1.u32min, r2.u32min);
        r1.u32max = r2.u32max = minB(r1.u32max, r2.u32max);
        r1.s32min = r2.s32min = maxB(r1.s32min, r2.s32min);
        r1.s32max = r2.s32max = minB(r1.s32max, r2.s32max);
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = r2.umin = maxB(r1.umin, r2.umin);
        r1.umax = r2.umax = minB(r1.umax, r2.umax);
        r1.smin = r2.smin = maxB(r1.smin, r2.smin);
        r1.smax = r2.smax = minB(r1.smax, r2.smax);
        r1.varOff = r2.varOff = tnumIntersect(r1.varOff, r2.varOff);
      }
      break;
    case 'jne': {
      let [a, b] = [r1, r2];
      if (!isConst32(b, is32)) [a, b] = [b, a];
      if (!isConst32(b, is32)) break;
      if (is32) {
        const v = BigInt.asUintN(32, b.varOff.value);
        const sv = BigInt.asIntN(32, v);
        if (a.u32min === v) a.u32min++;
        if (a.u32max === v) a.u32max--;
        if (a.s32min === sv) a.s32min++;
        if (a.s32max === sv) a.s32max--;
      } else {
        const v = b.varOff.value;
        const sv = BigInt.asIntN(64, v);
        if (a.umin === v) a.umin++;
        if (a.umax === v) a.umax--;
        if (a.smin === sv) a.smin++;
        if (a.smax === sv) a.smax--;
      }
      break;
    }
    case 'jset':
    case 'jset_not': {
      let [a, b] = [r1, r2];
      if (!isConst32(b, is32)) [a, b] = [b, a];
      if (!isConst32(b, is32)) break;
      const v = is32 ? BigInt.asUintN(32, b.varOff.value) : b.varOff.value;
      if (op === 'jset') {
        if (v & (v - 1n)) break;
        const t = tnumOr(is32 ? tnumSubreg(a.varOff) : a.varOff, tnumConst(v));
        a.varOff = is32 ? tnumWithSubreg(a.varOff, t) : t;
      } else {
        const t = tnumAnd(is32 ? tnumSubreg(a.varOff) : a.varOff, tnumConst(~v & ((1n << 64n) - 1n)));
        a.varOff = is32 ? tnumWithSubreg(a.varOff, t) : t;
      }
      break;
    }
    case 'jge':
      if (is32) { r1.u32min = maxB(r1.u32min, r2.u32min); r2.u32max = minB(r1.u32max, r2.u32max); }
      else { r1.umin = maxB(r1.umin, r2.umin); r2.umax = minB(r1.umax, r2.umax); }
      break;
    case 'jgt':
      if (is32) { r1.u32min = maxB(r1.u32min, r2.u32min + 1n); r2.u32max = minB(r1.u32max - 1n, r2.u32max); }
      else { r1.umin = maxB(r1.umin, r2.umin + 1n); r2.umax = minB(r1.umax - 1n, r2.umax); }
      break;
    case 'jsge':
      if (is32) { r1.s32min = maxB(r1.s32min, r2.s32min); r2.s32max = minB(r1.s32max, r2.s32max); }
      else { r1.smin = maxB(r1.smin, r2.smin); r2.smax = minB(r1.smax, r2.smax); }
      break;
    case 'jsgt':
      if (is32) { r1.s32min = maxB(r1.s32min, r2.s32min + 1n); r2.s32max = minB(r1.s32max - 1n, r2.s32max); }
      else { r1.smin = maxB(r1.smin, r2.smin + 1n); r2.smax = minB(r1.smax - 1n, r2.smax); }
      break;
  }
}

function isConst32(r: Reg, is32: boolean): boolean {
  return r.type === 'SCALAR_VALUE' && (is32 ? (r.varOff.mask & 0xffffffffn) === 0n : r.varOff.mask === 0n);
}

/** Applies `r1 op r2` to copies in a branch; returns false if the branch is impossible. */
export function refineBranch(s: VState, a: Reg, b: Reg, op: string, is32: boolean, bIsImm: boolean): boolean {
  if (a.type !== 'SCALAR_VALUE' || b.type !== 'SCALAR_VALUE') return true;
  refine(a, b, op, is32);
  regBoundsSync(a);
  if (!bIsImm) regBoundsSync(b);
  if (boundsInvalid(a) || (!bIsImm && boundsInvalid(b))) return false;
  // Registers sharing the source's, then the destination's id learn the same bounds.
  if (!bIsImm) syncLinkedRegs(s, b);
  syncLinkedRegs(s, a);
  return true;
}

/**
 * `sync_linked_regs`: every scalar linked to `known` (same id without the BPF_ADD_CONST flags)
 * becomes `known`, shifted by the difference of their constant deltas when one is a `+const`
 * twin (keeping its own id and off, so a later sync stays right; zero-extended when `known`
 * came from a 32-bit add).
 */
function syncLinkedRegs(s: VState, known: Reg): void {
  if (!known.id) return;
  const id = baseId(known.id);
  for (const r of allRegs(s)) {
    if (r === known || r.type !== 'SCALAR_VALUE' || baseId(r.id) !== id) continue;
    if ((!hasAddConst(r.id) && !hasAddConst(known.id)) || r.off === known.off) {
      Object.assign(r, copyReg(known));
      continue;
    }
    const off = r.off;
    const rid = r.id;
    Object.assign(r, copyReg(known));
    r.off = off;
    r.id = rid;
    addDelta(r, BigInt(off - known.off));
    if (hasAddConst32(known.id)) zext32to64(r);
    regBoundsSync(r);
  }
}

/** `mark_ptr_or_null_regs`: after `if rX == 0`, the null branch gets 0, the other the pointer. */
export function markPtrOrNull(s: VState, id: number, isNull: boolean, keepId?: (r: Reg) => boolean): void {
  for (const r of allRegs(s)) {
    if (r.id !== id || !r.maybeNull) continue;
    if (isNull) {
      Object.assign(r, constScalar(0n));
    } else {
      r.maybeNull = false;
      // mark_ptr_or_null_reg drops the id once non-null (a reference stays tracked by
      // ref_obj_id), except for a value that may hold a bpf_spin_lock: its id names the lock.
      if (!keepId?.(r)) r.id = 0;
    }
  }
  if (isNull) s.refs = s.refs.filter((x) => x.id !== id);
}

/** `find_good_pkt_pointers`. */
function goodPkt(s: VState, dst: Reg, rangeRightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rangeRightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  let nr = dst.off;
  if (rangeRightOpen) nr++;
  for (const r of allRegs(s)) if (r.type === dst.type && r.id === dst.id && nr > r.range) r.range = nr;
}

/** `mark_pkt_end`. */
function markPktEnd(r: Reg, rangeOpen: boolean): void {
  r.range = rangeOpen ? BEYOND_PKT_END : AT_PKT_END;
}

/**
 * `try_match_pkt_pointers` on `dst op src` (64-bit only). `take` and `fall` are the register
 * pairs of the two branch states (dst, src). Returns false when not a packet comparison.
 */
export function matchPktPointers(
  op: string,
  take: { s: VState; d: Reg; sr: Reg },
  fall: { s: VState; d: Reg; sr: Reg },
): boolean {
  const d = fall.d;
  const sr = fall.sr;
  const pktVsEnd = (x: Reg, y: Reg): boolean =>
    (x.type === 'PTR_TO_PACKET' && y.type === 'PTR_TO_PACKET_END') ||
    (x.type === 'PTR_TO_PACKET_META' && y.type === 'PTR_TO_PACKET' && y.off === 0 && y.id === 0 && y.varOff.mask === 0n);
  const dstPkt = pktVsEnd(d, sr);
  const srcPkt = pktVsEnd(sr, d);
  if (!dstPkt && !srcPkt) return false;
  switch (op) {
    case 'jgt':
      if (dstPkt) { goodPkt(fall.s, fall.d, false); markPktEnd(take.d, true); }
      else { goodPkt(take.s, take.sr, true); markPktEnd(fall.sr, false); }
      return true;
    case 'jlt':
      if (dstPkt) { goodPkt(take.s, take.d, true); markPktEnd(fall.d, false); }
      else { goodPkt(fall.s, fall.sr, false); markPktEnd(take.sr, true); }
      return true;
    case 'jge':
      if (dstPkt) { goodPkt(fall.s, fall.d, true); markPktEnd(take.d, false); }
      else { goodPkt(take.s, take.sr, false); markPktEnd(fall.sr, true); }
      return true;
    case 'jle':
      if (dstPkt) { goodPkt(take.s, take.d, false); markPktEnd(fall.d, true); }
      else { goodPkt(fall.s, fall.sr, true); markPktEnd(take.sr, false); }
      return true;
  }
  return false;
}

/** True for packet pointers (used by the caller to decide pointer comparisons). */
export const pktPtr = isPktPointer;

/**
 * `check_cond_jmp_op`: returns the next instruction of the current path; when both outcomes
 * are possible the jump-taken state is handed to `pushOther` to be explored later.
 */
export function condJump(
  env: Env,
  idx: number,
  ins: Instruction,
  k: { kind: 'jcond'; op: string; is64: boolean; useReg: boolean },
  pushOther: (state: VState, target: number) => void,
): number {
  if (k.useReg ? ins.imm !== 0 : ins.src !== 0) reject('BPF_JMP/JMP32 uses reserved fields', idx, 'EINVAL');
  const dst = readReg(env, idx, ins.dst);
  const src: Reg = k.useReg ? readReg(env, idx, ins.src) : constScalar(k.is64 ? BigInt(ins.imm) : BigInt(ins.imm >>> 0));
  if (!env.privileged && (isPointer(dst) || (k.useReg && isPointer(src)))) {
    const ok = !k.useReg && isPointer(dst) && dst.maybeNull && ins.imm === 0;
    if (!ok) reject(`R${isPointer(dst) ? ins.dst : ins.src} pointer comparison prohibited`, idx);
  }
  const target = idx + ins.off + 1;
  const is32 = !k.is64;
  // Stack pointers compared: backtracking must not follow them as scalars.
  const flags = (k.useReg && src.type === 'PTR_TO_STACK' ? HIST_SRC_STACK : 0) | (dst.type === 'PTR_TO_STACK' ? HIST_DST_STACK : 0);
  if (flags) pushHist(env, flags);
  const taken = branchTaken(dst, src, k.op, is32);
  if (taken >= 0) {
    // The path taken rests on the compared values: they must stay precise.
    if (dst.type === 'SCALAR_VALUE') markChainPrecision(env, ins.dst);
    if (k.useReg && src.type === 'SCALAR_VALUE') markChainPrecision(env, ins.src);
    return taken === 1 ? target : idx + 1;
  }
  // Registers sharing the compared scalars' ids learn the same bounds; precision must follow.
  const linked = linkedRegs(env.cur, k.useReg && src.type === 'SCALAR_VALUE' ? src.id : 0, dst.type === 'SCALAR_VALUE' ? dst.id : 0);
  if (linked.length > 1) pushHist(env, 0, 0, 0, linked);
  const other = copyState(env.cur);
  const of = curFrame(other);
  const cf = curFrame(env.cur);
  const od = of.regs[ins.dst]!;
  const os = k.useReg ? of.regs[ins.src]! : copyReg(src);
  const cd = cf.regs[ins.dst]!;
  const cs = k.useReg ? cf.regs[ins.src]! : copyReg(src);
  let otherOk = true;
  let fallOk = true;
  // A nullable pointer compared with one known not to be NULL (`reg_not_null`: map values and
  // keys, memory, map pointers; not the stack, ctx or packet): where they are equal it is not
  // NULL either (that register alone; its copies stay nullable).
  if (k.useReg && k.is64 && (k.op === 'jeq' || k.op === 'jne') && isPointer(dst) && isPointer(src) && dst.maybeNull !== src.maybeNull) {
    const [nullable, regno, other] = src.maybeNull ? [src, ins.src, dst] : [dst, ins.dst, src];
    if (nullable.maybeNull && NOT_NULL_TYPES.has(other.type)) (k.op === 'jeq' ? of : cf).regs[regno]!.maybeNull = false;
  }
  if (dst.type === 'SCALAR_VALUE' && src.type === 'SCALAR_VALUE') {
    otherOk = refineBranch(other, od, os, k.op, is32, !k.useReg);
    fallOk = refineBranch(env.cur, cd, cs, REV[k.op]!, is32, !k.useReg);
  } else if (!k.useReg && ins.imm === 0 && dst.maybeNull && (k.op === 'jeq' || k.op === 'jne') && k.is64) {
    // mark_ptr_or_null_regs on both branches.
    const lockValue = (r: Reg): boolean => r.type === 'PTR_TO_MAP_VALUE' && env.maps[r.map]?.spinLockOff !== undefined;
    markPtrOrNull(other, dst.id, k.op === 'jeq', lockValue);
    markPtrOrNull(env.cur, dst.id, k.op === 'jne', lockValue);
  } else if (k.useReg && k.is64) {
    matchPktPointers(k.op, { s: other, d: od, sr: os }, { s: env.cur, d: cd, sr: cs });
  }
  if (otherOk && fallOk) {
    pushOther(other, target);
    return idx + 1;
  }
  if (otherOk) {
    env.cur = other;
    return target;
  }
  return idx + 1;
}

/** `collect_linked_regs`: every register and spilled scalar of the state with id `a` or `b`. */
function linkedRegs(s: VState, a: number, b: number): LinkedReg[] {
  const out: LinkedReg[] = [];
  if (!a && !b) return out;
  a = baseId(a);
  b = baseId(b);
  s.frames.forEach((f, frame) => {
    f.regs.forEach((r, reg) => {
      if (r.type === 'SCALAR_VALUE' && r.id && (baseId(r.id) === a || baseId(r.id) === b)) out.push({ frame, reg, spi: 0 });
    });
    f.spills.forEach((r, spi) => {
      if (r && r.type === 'SCALAR_VALUE' && r.id && (baseId(r.id) === a || baseId(r.id) === b)) out.push({ frame, reg: -1, spi });
    });
  });
  return out;
}

const NOT_NULL_TYPES = new Set(['PTR_TO_MAP_VALUE', 'PTR_TO_MAP_KEY', 'PTR_TO_MEM', 'CONST_PTR_TO_MAP']);

const REV: Record<string, string> = {
  jeq: 'jne', jne: 'jeq', jgt: 'jle', jle: 'jgt', jge: 'jlt', jlt: 'jge', jsgt: 'jsle', jsle: 'jsgt',
  jsge: 'jslt', jslt: 'jsge', jset: 'jset_not',
};
