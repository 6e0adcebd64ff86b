/**
 * The WebAssembly engine's translator: one wasm function per BPF function (bpf-to-bpf calls are
 * wasm calls), registers r0..r9 as i64 parameters/locals and r10 as a local, control flow as
 * nested blocks and loops (./wasm-cfg.ts), memory accesses through the space's region table in
 * the linear memory (./space.ts): the tag in a pointer's high half selects an entry, one bounds
 * check against it, then a plain wasm load or store. Regions that do not live in the linear
 * memory (map values, raw memory), the context and every fault take the slow path, an import
 * that runs the interpreter's own checks — so a fault is the same VmFault on every engine.
 * Helpers are imports called with r1..r5 in the linear memory (the run's `args` view).
 *
 * Semantics are the interpreter's (the differential tests hold them equal), including what a
 * raw program can observe: a callee starts with its caller's r0 and r6..r9 and its r1..r5 are
 * visible to the caller after it returns (functions return r0..r5).
 */
import {
  OP_CALLX, OP_CALL_HELPER, OP_CALL_KFUNC, OP_CALL_LOCAL, OP_CALL_TAIL, OP_EXIT, OP_JA, OP_LDDW, OP_MAY_GOTO, exitTail, type Decoded,
} from './decode';
import { structure, type Construct, type Structure } from './wasm-cfg';
import { L_DISP, L_MG, L_R10, L_T, L_TOP, reg } from './wasm-alu';
import { FAULT_DEEP, FAULT_END, FAULT_KFUNC, FAULT_STEPS, IMP_CALL, IMP_CALLX, IMP_FAULT, IMP_LDABS, IMP_TAIL, MemAsm } from './wasm-mem';
import { Bytes, I32, I64, OP, VOID, encodeModule, type FuncType } from './wasm-encode';
import { HEAP_ARGS, HEAP_EARGS, HEAP_PAGES, HEAP_RET } from './space';
import { BPF_MAX_LOOPS, MAX_BPF_STACK, TAG_STACK } from './types';

const T_FN = 0;
const T_V3 = 1;
const T_V6 = 2;
const T_V7 = 3;
const T_V10 = 4;
const T_I2 = 5;
const T_I3 = 6;
const T_ENTRY = 7;
const TYPES: FuncType[] = [
  { params: [...Array<number>(10).fill(I64), I32], results: Array<number>(6).fill(I64) },
  { params: [I32, I32, I32], results: [] },
  { params: Array<number>(6).fill(I32), results: [] },
  { params: Array<number>(7).fill(I32), results: [] },
  { params: Array<number>(10).fill(I32), results: [] },
  { params: [I32, I32], results: [I32] },
  { params: [I32, I32, I32], results: [I32] },
  { params: [I32, I32, I32, I32], results: [I32] },
];
const IMPORTS = [
  ['call', T_V3], ['sload', T_V6], ['sstore', T_V7], ['atomic', T_V10],
  ['tail', T_I2], ['fault', T_V3], ['ldabs', T_I2], ['callx', T_I3],
] as const;


/** Global 0: the step budget of raw programs; global 1: the lowest frame top reached. */
const G_BUDGET = 0;
const G_LOW = 1;

/** What the translator produced, or why it could not. */
export type Translation =
  | {
    readonly module: Uint8Array;
    /** Export name of the entry wrapper of each function entry slot. */
    readonly entries: ReadonlyMap<number, string>;
    /** Call-site function index → helper call slot (the `fi` the `call` import receives). */
    readonly callSites: readonly number[];
    readonly hasCalls: boolean;
  }
  | { readonly reason: string };

/**
 * Translates a decoded program. `budgeted` = count backward jumps and calls against the step
 * budget (raw programs); verified ones run without counting.
 */
export function translate(dec: Decoded, budgeted: boolean): Translation {
  const { op, n } = dec;
  const starts = [...dec.entries].sort((a, b) => a - b);
  const fnIndex = new Map<number, number>();
  starts.forEach((s, i) => fnIndex.set(s, IMPORTS.length + i));
  let hasCalls = false;
  let hasLdAbs = false;
  for (let pc = 0; pc < n; pc++) {
    const o = op[pc]!;
    if (o === OP_CALL_LOCAL || o === OP_CALLX) hasCalls = true;
    if (o >= 0 && o < 0x100 && (o & 7) === 0 && o !== OP_LDDW) hasLdAbs = true;
  }
  // Legacy packet loads end the whole run on a miss: simple only without nested frames.
  if (hasLdAbs && hasCalls) return { reason: 'ld_abs/ld_ind in a program with bpf-to-bpf calls' };
  const callSites: number[] = [];
  const funcs: { type: number; body: Bytes }[] = [];
  for (let f = 0; f < starts.length; f++) {
    const s0 = starts[f]!;
    const s1 = f + 1 < starts.length ? starts[f + 1]! : n;
    const st = structure(dec, s0, s1);
    if ('reason' in st) return st;
    const body = new FnEmitter(dec, s0, s1, st, fnIndex, callSites, budgeted, s1 === n).emit();
    if (typeof body === 'string') return { reason: body };
    funcs.push({ type: T_FN, body });
  }
  const entries = new Map<number, string>();
  const exports: { name: string; func?: number; global?: number }[] = [
    { name: 'budget', global: G_BUDGET }, { name: 'low', global: G_LOW },
  ];
  for (const s of starts) {
    // e<slot>(top, r1lo, r1hi, n): runs the function n >= 1 times (BPF_PROG_TEST_RUN's repeat
    // loop inside wasm: one JS-to-wasm call per test run instead of per packet); r0 of the last.
    const w = new Bytes();
    w.u32(1).u32(1).byte(I64); // one i64 local (index 4, after the parameters): r0
    w.byte(OP.loop).byte(VOID);
    w.byte(OP.i64_const).s32(0);
    // r1 = (hi << 32) | lo from the parameters, r2..r5 from EARGS.
    w.byte(OP.local_get).u32(2).byte(OP.i64_extend_i32_u).byte(OP.i64_const).s32(32).byte(OP.i64_shl);
    w.byte(OP.local_get).u32(1).byte(OP.i64_extend_i32_u).byte(OP.i64_or);
    for (let r = 2; r <= 5; r++) w.byte(OP.i32_const).s32(0).byte(OP.i64_load).u32(3).u32(HEAP_EARGS + 8 * (r - 1));
    for (let r = 6; r <= 9; r++) w.byte(OP.i64_const).s32(0);
    w.byte(OP.local_get).u32(0).byte(OP.call).u32(fnIndex.get(s)!);
    for (let r = 0; r < 5; r++) w.byte(OP.drop);
    w.byte(OP.local_set).u32(4);
    w.byte(OP.local_get).u32(3).byte(OP.i32_const).s32(1).byte(OP.i32_sub).byte(OP.local_tee).u32(3);
    w.byte(OP.i32_const).s32(0).byte(OP.i32_gt_s).byte(OP.br_if).u32(0).byte(OP.end);
    w.byte(OP.i32_const).s32(0).byte(OP.local_get).u32(4).byte(OP.i64_store).u32(3).u32(HEAP_RET);
    w.byte(OP.local_get).u32(4).byte(OP.i32_wrap_i64).byte(OP.end);
    const name = `e${s}`;
    entries.set(s, name);
    exports.push({ name, func: IMPORTS.length + funcs.length });
    funcs.push({ type: T_ENTRY, body: w });
  }
  const module = encodeModule({
    types: TYPES,
    imports: IMPORTS.map(([name, type]) => ({ module: 'x', name, type })),
    memory: { module: 'x', name: 'mem', pages: HEAP_PAGES },
    globals: [0, 1 << 30],
    funcs,
    exports,
  });
  return { module, entries, callSites, hasCalls };
}

/** Emits the body of one BPF function. */
class FnEmitter extends MemAsm {
  /** Open constructs, innermost last. */
  private readonly open: Construct[] = [];

  constructor(
    dec: Decoded,
    private readonly s0: number,
    private readonly s1: number,
    private readonly st: Exclude<Structure, { reason: string }>,
    private readonly fnIndex: ReadonlyMap<number, number>,
    private readonly callSites: number[],
    private readonly budgeted: boolean,
    private readonly last: boolean,
  ) {
    super(dec);
  }

  emit(): Bytes | string {
    const { w, dec } = this;
    const { op } = dec;
    // Locals after the 11 parameters: r10, two i64 and five i32 temporaries.
    w.u32(2).u32(3).byte(I64).u32(5).byte(I32);
    // r10 = (TAG_STACK, top); the frame's may_goto budget.
    w.byte(OP.i64_const).s64(0, TAG_STACK).byte(OP.local_get).u32(L_TOP).byte(OP.i64_extend_i32_u).byte(OP.i64_or);
    this.set(L_R10);
    w.byte(OP.i32_const).s32(BPF_MAX_LOOPS);
    this.set(L_MG);
    let ci = 0;
    let prevFalls = true;
    for (let pc = this.s0; pc < this.s1; pc++) {
      const o = op[pc]!;
      if (o === -1) continue;
      let label = pc === this.s0;
      while (this.open.length > 0 && this.open[this.open.length - 1]!.end === pc) {
        this.open.pop();
        w.byte(OP.end);
        label = true;
      }
      if (this.open.some((c) => c.end === pc)) return `constructs ending at ${pc} do not nest`;
      while (ci < this.st.constructs.length && this.st.constructs[ci]!.start === pc) {
        const c = this.st.constructs[ci++]!;
        w.byte(c.kind === 'block' ? OP.block : OP.loop).byte(VOID);
        this.open.push(c);
        label = true;
      }
      if (label || (pc > this.s0 && (op[pc - 1] === OP_CALL_LOCAL || op[pc - 1] === OP_CALLX))) this.SK.fill(undefined);
      const hops = this.st.dispatch.get(pc);
      if (hops !== undefined) {
        // Entries into the middle of this loop (see Structure): on to the next hop.
        this.get(L_DISP);
        w.byte(OP.if).byte(VOID);
        for (const h of hops) {
          this.get(L_DISP);
          this.i32(h.target);
          w.byte(OP.i32_eq).byte(OP.if).byte(VOID);
          if (h.last) {
            this.i32(0);
            this.set(L_DISP);
          }
          w.byte(OP.br).u32(this.depth(h.next, false) + 2).byte(OP.end);
        }
        w.byte(OP.end);
      }
      const r = this.insn(pc);
      if (r !== undefined) return r;
      this.track(pc);
      prevFalls = o !== OP_EXIT && o !== OP_JA;
    }
    while (this.open.length > 0) {
      this.open.pop();
      w.byte(OP.end);
    }
    if (prevFalls) {
      if (!this.last) return `function at ${this.s0} falls through into the next one`;
      this.fault(dec.n, FAULT_END, 0);
    }
    w.byte(OP.unreachable).byte(OP.end);
    return w;
  }


  /** The r0..r5 results of a function on the stack, then `return`. */
  private ret(): void {
    for (let r = 0; r <= 5; r++) this.get(r);
    this.w.byte(OP.return);
  }

  /** Branch depth of the construct a jump to `t` targets (extra = enclosing `if`s). */
  private depth(t: number, back: boolean): number {
    for (let i = this.open.length - 1; i >= 0; i--) {
      const c = this.open[i]!;
      if (back ? c.kind === 'loop' && c.start === t : c.kind === 'block' && c.end === t) return this.open.length - 1 - i;
    }
    throw new Error(`no construct for a jump to ${t}`);
  }

  /** Counts one step (a backward jump or a call) against the budget; faults when it runs out. */
  private step(pc: number): void {
    if (!this.budgeted) return;
    const { w } = this;
    w.byte(OP.global_get).u32(G_BUDGET);
    this.i32(1);
    w.byte(OP.i32_sub).byte(OP.global_set).u32(G_BUDGET).byte(OP.global_get).u32(G_BUDGET);
    this.i32(0);
    w.byte(OP.i32_lt_s).byte(OP.if).byte(VOID);
    this.fault(pc, FAULT_STEPS, 0);
    w.byte(OP.end);
  }

  /** An unconditional jump from `pc` to `t`, `extra` `if`s deep. */
  private goto(pc: number, t: number, extra: number): void {
    const back = t <= pc;
    if (back) this.step(pc);
    const via = back ? undefined : this.st.redirect.get(pc);
    if (via !== undefined) {
      this.i32(t);
      this.set(L_DISP);
      this.w.byte(OP.br).u32(this.depth(via, false) + extra);
      return;
    }
    const end = back ? exitTail(this.dec, t) : -1;
    if (end >= 0) {
      // A copy of the exit tail (see exitTail); it ends in `return`.
      const saved = this.SK;
      this.SK = new Array<number | undefined>(11).fill(undefined);
      for (let p = t; p <= end; p++) {
        if (this.dec.op[p] === -1) continue;
        this.insn(p);
        this.track(p);
      }
      this.SK = saved;
      return;
    }
    this.w.byte(OP.br).u32(this.depth(t, back) + extra);
  }

  /** A conditional jump: the i32 condition is on the stack. */
  private gotoIf(pc: number, t: number): void {
    if ((t <= pc && (this.budgeted || exitTail(this.dec, t) >= 0)) || this.st.redirect.has(pc)) {
      this.w.byte(OP.if).byte(VOID);
      this.goto(pc, t, 1);
      this.w.byte(OP.end);
    } else {
      this.w.byte(OP.br_if).u32(this.depth(t, t <= pc));
    }
  }

  /** Stores r1..r5 into the linear memory's ARGS (what helpers and tail calls read). */
  private storeArgs(): void {
    for (let r = 1; r <= 5; r++) {
      this.i32(0);
      this.get(r);
      this.mem(OP.i64_store, 3, HEAP_ARGS + 8 * (r - 1));
    }
  }

  /** Emits one instruction; returns a reason when it cannot be translated. */
  private insn(pc: number): string | undefined {
    const { w, dec } = this;
    const o = dec.op[pc]!;
    const d = dec.dst[pc]!;
    const s = dec.src[pc]!;
    const k = dec.imm[pc]!;
    const rd = reg(d);
    const x = (o & 8) !== 0;
    const cls = o & 7;
    if (o < 0x100 && cls === 7) return this.alu64(pc, o & 0xf0, rd, x, k);
    if (o < 0x100 && cls === 4) return this.alu32(pc, o & 0xf0, rd, x, k);
    if (o === OP_JA) {
      this.goto(pc, dec.tgt[pc]!, 0);
      return;
    }
    if (o === OP_EXIT) {
      this.ret();
      return;
    }
    if (o === OP_CALL_HELPER) {
      this.storeArgs();
      this.i32(this.callSites.length);
      this.callSites.push(pc);
      this.i32(pc);
      this.get(L_TOP);
      w.byte(OP.call).u32(IMP_CALL);
      this.loadRet(0);
      return;
    }
    if (o === OP_CALL_LOCAL) {
      this.localCall(pc, dec.tgt[pc]!);
      return;
    }
    if (o === OP_CALLX) {
      this.storeArgs();
      this.i32(pc);
      this.get(rd);
      w.byte(OP.i32_wrap_i64);
      this.get(rd);
      this.i64(32, 0);
      w.byte(OP.i64_shr_u).byte(OP.i32_wrap_i64).byte(OP.call).u32(IMP_CALLX);
      this.set(L_T);
      // A negative result names a helper (-1 - id): the `call` import runs it.
      this.get(L_T);
      this.i32(0);
      w.byte(OP.i32_lt_s).byte(OP.if).byte(VOID);
      this.get(L_T);
      this.i32(pc);
      this.get(L_TOP);
      w.byte(OP.call).u32(IMP_CALL);
      this.loadRet(0);
      w.byte(OP.else);
      for (const e of this.fnIndex.keys()) {
        this.get(L_T);
        this.i32(e);
        w.byte(OP.i32_eq).byte(OP.if).byte(VOID);
        this.localCall(pc, e);
        w.byte(OP.end);
      }
      w.byte(OP.end);
      return;
    }
    if (o === OP_CALL_TAIL) {
      this.storeArgs();
      this.i32(pc);
      this.get(L_TOP);
      w.byte(OP.call).u32(IMP_TAIL).byte(OP.if).byte(VOID);
      this.loadRet(0);
      this.ret();
      w.byte(OP.end);
      return;
    }
    if (o === OP_CALL_KFUNC) {
      this.fault(pc, FAULT_KFUNC, k);
      return;
    }
    if (o === OP_MAY_GOTO) {
      this.get(L_MG);
      w.byte(OP.i32_eqz).byte(OP.if).byte(VOID);
      this.goto(pc, dec.tgt[pc]!, 1);
      w.byte(OP.end);
      this.get(L_MG);
      this.i32(1);
      w.byte(OP.i32_sub);
      this.set(L_MG);
      return;
    }
    if (o < 0x100 && (cls === 5 || cls === 6)) return this.jcond(pc, o, rd, cls === 5);
    if (o < 0x100 && cls === 1) return this.load(pc, o, rd, reg(s));
    if (o < 0x100 && (cls === 2 || cls === 3)) return this.store(pc, o, rd, reg(s), k, cls === 2);
    if (o === OP_LDDW) {
      this.i64(k, dec.imm2[pc]!);
      this.set(rd);
      return;
    }
    if (o < 0x100 && cls === 0) {
      // Legacy BPF_LD | BPF_ABS / BPF_IND: a miss ends the run with r0 = 0.
      const sz = (o & 0x18) === 0 ? 4 : (o & 0x18) === 8 ? 2 : 1;
      if ((o & 0xe0) === 0x40) {
        this.get(reg(s));
        w.byte(OP.i32_wrap_i64);
        this.i32(k);
        w.byte(OP.i32_add);
      } else {
        this.i32(k);
      }
      this.i32(sz);
      w.byte(OP.call).u32(IMP_LDABS).byte(OP.i32_eqz).byte(OP.if).byte(VOID);
      this.i64(0, 0);
      this.set(0);
      this.ret();
      w.byte(OP.end);
      this.i32(0);
      this.mem(OP.i64_load32_u, 2, HEAP_RET);
      this.set(0);
      return;
    }
    return this.ext(o, rd, reg(s), k);
  }

  /** A bpf-to-bpf call of the function at slot `t`: a new frame 512 bytes down. */
  private localCall(pc: number, t: number): void {
    const { w } = this;
    this.step(pc);
    this.get(L_TOP);
    this.i32(MAX_BPF_STACK);
    w.byte(OP.i32_sub).byte(OP.local_tee).u32(L_T);
    this.i32(MAX_BPF_STACK);
    w.byte(OP.i32_lt_s).byte(OP.if).byte(VOID);
    this.i32(pc);
    this.i32(FAULT_DEEP);
    this.get(L_TOP);
    w.byte(OP.call).u32(IMP_FAULT).byte(OP.end);
    w.byte(OP.global_get).u32(G_LOW);
    this.get(L_T);
    w.byte(OP.i32_gt_s).byte(OP.if).byte(VOID);
    this.get(L_T);
    w.byte(OP.global_set).u32(G_LOW).byte(OP.end);
    for (let r = 0; r <= 9; r++) this.get(r);
    this.get(L_T);
    w.byte(OP.call).u32(this.fnIndex.get(t)!);
    for (let r = 5; r >= 0; r--) this.set(r);
  }

  private jcond(pc: number, o: number, rd: number, wide: boolean): undefined {
    const { w } = this;
    const code = o & 0xf0;
    const a = (): void => {
      this.get(rd);
      if (!wide) w.byte(OP.i32_wrap_i64);
    };
    const b = (): void => (wide ? this.b64(pc) : this.b32(pc));
    a();
    b();
    if (code === 0x40) {
      w.byte(wide ? OP.i64_and : OP.i32_and).byte(wide ? OP.i64_eqz : OP.i32_eqz).byte(OP.i32_eqz);
    } else {
      const ops64: Record<number, number> = {
        0x10: OP.i64_eq, 0x50: OP.i64_ne, 0x20: OP.i64_gt_u, 0x30: OP.i64_ge_u, 0xa0: OP.i64_lt_u, 0xb0: OP.i64_le_u,
        0x60: OP.i64_gt_s, 0x70: OP.i64_ge_s, 0xc0: OP.i64_lt_s, 0xd0: OP.i64_le_s,
      };
      const ops32: Record<number, number> = {
        0x10: OP.i32_eq, 0x50: OP.i32_ne, 0x20: OP.i32_gt_u, 0x30: OP.i32_ge_u, 0xa0: OP.i32_lt_u, 0xb0: OP.i32_le_u,
        0x60: OP.i32_gt_s, 0x70: OP.i32_ge_s, 0xc0: OP.i32_lt_s, 0xd0: OP.i32_le_s,
      };
      w.byte((wide ? ops64 : ops32)[code]!);
    }
    this.gotoIf(pc, this.dec.tgt[pc]!);
    return;
  }
}
