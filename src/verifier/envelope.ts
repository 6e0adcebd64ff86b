/**
 * The verifier's envelope of a program: for every instruction, the abstract values each register
 * had in the states the walk reached there (`run --trace --verifier`), and a check that a
 * concrete run stays inside them. The walk is the verifier's own (an observer of
 * {@link verifyProgram}); nothing here changes a verdict.
 *
 * Soundness is what the check tests: on a path the verifier followed, every concrete register
 * lies inside the abstract value of the same path's state, so inside one of the values at that
 * instruction. Pruning weakens this exactly as the kernel's regsafe() does: a state pruned at a
 * checkpoint was compared only on live registers and on precise scalars, so after the concrete
 * path went through an instruction where a state was pruned, an imprecise scalar or a dead
 * register may hold a value the explored states never had. Those are reported as `untracked`;
 * anything else outside is a `mismatch` (a bug in xdpts' verifier or VM).
 */
import type { MapSpec, ProgramSpec } from '../object';
import type { Reg } from './reg-state';
import { copyReg } from './reg-state';
import { regString } from './print';
import { MAX_BPF_STACK, curFrame } from './state';
import { U32_MAX, U64_MAX, type Tnum } from './tnum';
import { verifyProgram, type VerifyOptions, type VerifyResult } from './verifier';

/** Distinct values kept per register and instruction; beyond, only their join. */
const MAX_VALUES = 32;

/** What the verifier knew of one register at one instruction. */
export interface RegEnvelope {
  /** The distinct abstract values (at most 32). */
  readonly values: readonly Reg[];
  /** More values were seen than kept: the union of all is only known as `join`. */
  readonly overflow: boolean;
  /** Some state had the register uninitialised (the program cannot read it on that path). */
  readonly uninit: boolean;
  /** The join of every value when one kernel-style value can hold them all. */
  readonly join: Reg | undefined;
}

/** What the verifier knew at one instruction. */
export interface InsnEnvelope {
  /** States that reached the instruction, and how many of them were pruned there. */
  visits: number;
  pruned: number;
  /** Registers live before the instruction (bit r). */
  live: number;
  /** Per register r0..r10; a register never initialised in any state is absent. */
  readonly regs: (RegEnvelope | undefined)[];
}

/** A concrete register as the VM holds it: its 64 bits and the region its high half names. */
export interface ConcreteReg {
  readonly value: bigint;
  /**
   * `packet`, `stack`, `ctx`, `map value NAME`, `map` (a map handle), `func`, or `` when
   * the high half names no region (a scalar).
   */
  readonly region: string;
  /** How to show it (`fp-8`); the unsigned number when absent. */
  readonly text?: string;
}

/** The concrete machine at one instruction, as the envelope check needs it. */
export interface ConcreteState {
  /** r0..r10; undefined for a register the program never names (nothing can observe it). */
  readonly regs: readonly (ConcreteReg | undefined)[];
  /** Packet region offsets of data_meta, data, data_end. */
  readonly packet: { readonly meta: number; readonly data: number; readonly end: number };
  /**
   * Region offset of the current frame's r10. Frames count from it: the verifier's frame k,
   * seen from its frame `cur`, is `cur - k` frames up (a global function, verified on its own
   * from frame 0, runs deeper).
   */
  readonly fp: number;
}

/** The result of checking one register. */
export interface RegCheck {
  readonly reg: number;
  /** `mismatch`: outside on a path the verifier followed (a bug); `untracked`: see the header. */
  readonly kind: 'mismatch' | 'untracked';
  readonly why: string;
}

type Slot = { values: Reg[]; curs: number[]; keys: Set<string>; overflow: boolean; join: Reg | undefined; joinable: boolean; uninit: boolean };

/** The envelope of one program, with the verifier's verdict. */
export class Envelope {
  private readonly insns = new Map<number, { visits: number; pruned: number; live: number; frameno: number; regs: (Slot | undefined)[] }>();

  /** The verifier's verdict on the program. */
  readonly result: VerifyResult;

  /** Runs the verifier on `prog` and records every state it reaches. */
  constructor(
    prog: ProgramSpec,
    private readonly maps: readonly MapSpec[],
    opts: Omit<VerifyOptions, 'observer'> = {},
  ) {
    this.result = verifyProgram(prog, maps, { ...opts, observer: (idx, st, pruned, live) => this.add(idx, curFrame(st).regs, curFrame(st).frameno, pruned, live) });
  }

  /** Instructions (slots) where some state was pruned. */
  get prunedAt(): Set<number> {
    return new Set([...this.insns].filter(([, e]) => e.pruned > 0).map(([i]) => i));
  }

  /** What the verifier knew at instruction slot `idx`; undefined where it never went. */
  at(idx: number): InsnEnvelope | undefined {
    const e = this.insns.get(idx);
    if (!e) return undefined;
    return { visits: e.visits, pruned: e.pruned, live: e.live, regs: e.regs.map((s) => (s ? { values: s.values, overflow: s.overflow, uninit: s.uninit, join: s.join } : undefined)) };
  }

  /**
   * Register `reg` at `idx` as the kernel's log prints values (`pkt(off=14,r=34)`): one value, or
   * the join of several, or the distinct values joined by ` | ` when no single value holds them.
   */
  text(idx: number, reg: number): string | undefined {
    const e = this.insns.get(idx);
    const s = e?.regs[reg];
    if (!e || !s || s.values.length === 0) return undefined;
    const str = (r: Reg): string => regString(r, this.maps, e.frameno);
    if (s.values.length === 1 && !s.overflow) return str(s.values[0]!);
    if (s.join) return str(s.join);
    const texts = s.values.slice(0, 4).map(str);
    return texts.join(' | ') + (s.values.length > 4 || s.overflow ? ' | …' : '');
  }

  /**
   * Checks the concrete machine at instruction `idx` against the envelope. `afterPrune` tells
   * that the concrete path went through an instruction where a state was pruned.
   */
  check(idx: number, c: ConcreteState, afterPrune: boolean): RegCheck[] {
    const e = this.insns.get(idx);
    if (!e) return [{ reg: -1, kind: 'mismatch', why: `the verifier never reached instruction ${idx}` }];
    const out: RegCheck[] = [];
    for (let r = 0; r <= 10; r++) {
      const s = e.regs[r];
      if (!s || s.uninit) continue;
      const cr = c.regs[r];
      if (!cr) continue;
      // Past the kept values with no join, nothing is known to check against.
      if (s.overflow ? !s.join || contains(s.join, cr, c, e.frameno) : s.values.some((v, i) => contains(v, cr, c, s.curs[i]!))) continue;
      const scalarOnly = s.values.every((v) => v.type === 'SCALAR_VALUE' || v.type === 'NOT_INIT');
      const dead = (e.live & (1 << r)) === 0;
      const shown = cr.text ?? BigInt.asUintN(64, cr.value).toString();
      const why = `r${r}=${shown} is outside ${this.text(idx, r)}`;
      out.push({ reg: r, kind: afterPrune && (scalarOnly || dead) ? 'untracked' : 'mismatch', why: why + (afterPrune && (scalarOnly || dead) ? (dead ? ' (r' + r + ' is dead here)' : ' (an imprecise scalar after a pruned path)') : '') });
    }
    return out;
  }

  private add(idx: number, regs: readonly Reg[], frameno: number, pruned: boolean, live: number): void {
    let e = this.insns.get(idx);
    if (!e) this.insns.set(idx, (e = { visits: 0, pruned: 0, live, frameno, regs: [] }));
    e.visits++;
    if (pruned) e.pruned++;
    regs.forEach((r, k) => {
      let s = e.regs[k];
      if (!s) e.regs[k] = s = { values: [], curs: [], keys: new Set(), overflow: false, join: undefined, joinable: true, uninit: false };
      // Some state had it uninitialised: the program cannot read it there, any value may be in it.
      if (r.type === 'NOT_INIT') {
        s.uninit = true;
        return;
      }
      const key = `${regString(r, this.maps, frameno)}/${r.map}/${r.frameno}/${frameno}`;
      if (s.keys.has(key)) return;
      const copy = copyReg(r);
      if (s.joinable) {
        s.join = s.join ? joinRegs(s.join, copy) : copy;
        if (!s.join) s.joinable = false;
      }
      if (s.values.length >= MAX_VALUES) {
        s.overflow = true;
        return;
      }
      s.keys.add(key);
      s.values.push(copy);
      s.curs.push(frameno);
    });
  }
}

const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** The smallest tnum holding both (`tnum_union`). */
function tnumUnion(a: Tnum, b: Tnum): Tnum {
  const mu = a.mask | b.mask | (a.value ^ b.value);
  return { value: a.value & ~mu & U64_MAX, mask: mu & U64_MAX };
}

/**
 * One value holding both, when they are of one kind (scalars, or pointers of one type, map and
 * fixed offset); undefined otherwise. A packet pointer keeps the smaller proven range.
 */
export function joinRegs(a: Reg, b: Reg): Reg | undefined {
  if (a.type !== b.type || a.maybeNull !== b.maybeNull || a.map !== b.map || a.frameno !== b.frameno) return undefined;
  if (a.type !== 'SCALAR_VALUE' && a.off !== b.off) return undefined;
  const j = copyReg(a);
  j.varOff = tnumUnion(a.varOff, b.varOff);
  j.smin = minB(a.smin, b.smin);
  j.smax = maxB(a.smax, b.smax);
  j.umin = minB(a.umin, b.umin);
  j.umax = maxB(a.umax, b.umax);
  j.s32min = minB(a.s32min, b.s32min);
  j.s32max = maxB(a.s32max, b.s32max);
  j.u32min = minB(a.u32min, b.u32min);
  j.u32max = maxB(a.u32max, b.u32max);
  j.range = Math.min(a.range, b.range);
  j.memSize = Math.min(a.memSize, b.memSize);
  if (a.id !== b.id) j.id = 0;
  if (a.refObjId !== b.refObjId) j.refObjId = 0;
  j.precise = a.precise && b.precise;
  return j;
}

/** True when the 64-bit `x` is one of the values the scalar part of `r` allows. */
function scalarHolds(r: Reg, x: bigint): boolean {
  const u = BigInt.asUintN(64, x);
  const s = BigInt.asIntN(64, x);
  const u32 = u & U32_MAX;
  const s32 = BigInt.asIntN(32, u32);
  if (u < r.umin || u > r.umax || s < r.smin || s > r.smax) return false;
  if (u32 < r.u32min || u32 > r.u32max || s32 < r.s32min || s32 > r.s32max) return false;
  return (u & ~r.varOff.mask & U64_MAX) === r.varOff.value;
}

/**
 * True when the concrete register is one of the values the abstract `r` stands for; `cur` is the
 * verifier's current frame number in the state `r` comes from.
 */
function contains(r: Reg, c: ConcreteReg, m: ConcreteState, cur: number): boolean {
  if (r.type === 'NOT_INIT') return true;
  if (r.type === 'SCALAR_VALUE') return scalarHolds(r, c.value);
  if (r.maybeNull && c.value === 0n) return true;
  const lo = Number(c.value & 0xffffffffn) | 0;
  // The variable part of a pointer: its offset from the base the verifier counts from.
  const varPart = (base: number): boolean => scalarHolds(r, BigInt(lo - base - r.off));
  switch (r.type) {
    case 'PTR_TO_CTX':
      return c.region === 'ctx' && varPart(0);
    case 'PTR_TO_PACKET':
      // r=N: [base, base + N) proven inside the packet (base = the pointer minus its fixed off).
      return c.region === 'packet' && varPart(m.packet.data) && (r.range <= 0 || lo - r.off + r.range <= m.packet.end);
    case 'PTR_TO_PACKET_META':
      return c.region === 'packet' && varPart(m.packet.meta) && (r.range <= 0 || lo - r.off + r.range <= m.packet.data);
    case 'PTR_TO_PACKET_END':
      return c.region === 'packet' && lo === m.packet.end;
    case 'PTR_TO_STACK':
      return c.region === 'stack' && varPart(m.fp + (cur - r.frameno) * MAX_BPF_STACK);
    case 'PTR_TO_MAP_VALUE':
      return c.region.startsWith('map value') && varPart(0);
    case 'CONST_PTR_TO_MAP':
      return c.region === 'map';
    case 'PTR_TO_FUNC':
      return c.region === 'func';
    default:
      // map keys, helper memory: some region, no offset model here.
      return c.region !== '';
  }
}
