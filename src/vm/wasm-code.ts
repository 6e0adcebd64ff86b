/**
 * The WebAssembly engine at run time: instantiates a translated program (./wasm.ts) against the
 * space's linear memory and the imports that give it the interpreter's slow paths — helper
 * calls, accesses to regions outside the linear memory and the context, atomics, tail calls,
 * ld_abs, callx and faults — so every fault is the same VmFault the other engines raise.
 */
import { T } from './alu64';
import { specializedCalls, type Decoded } from './decode';
import { atomicOp } from './interp';
import type { Code, Run } from './runtime';
import { HEAP_EARGS, type Space } from './space';
import { VmFault, type HelperFn, type HelperTable } from './types';
import { wasmApi, type WasmGlobal } from './wasm-api';
import { translate } from './wasm';
import { FAULT_DEEP, FAULT_END, FAULT_STEPS } from './wasm-mem';

type Entry = (top: number, r1lo: number, r1hi: number, n: number) => number;

/** Compiles `dec` for the WebAssembly engine, or returns why it cannot. */
export function wasmCode(dec: Decoded, space: Space, helpers: HelperTable, maxSteps: number): Code | string {
  if (space.memory === undefined) return 'WebAssembly is not available';
  const budgeted = Number.isFinite(maxSteps);
  const tr = translate(dec, budgeted);
  if ('reason' in tr) return tr.reason;
  const H = helpers.helpers.slice();
  const special = specializedCalls(dec, helpers);
  const FNS: HelperFn[] = tr.callSites.map((pc) => (special.get(pc) ?? H[dec.imm[pc]!])!);
  const I32 = space.heap32;
  const RG = space.regions;
  const run = (): Run => space.runState as Run;
  const AR = new Int32Array(4);
  const stepMsg = `step limit of ${maxSteps} backward jumps and calls exceeded`;
  const x = {
    mem: space.memory,
    call(fi: number, pc: number, top: number): void {
      const r = run();
      r.pc = pc;
      r.rlo = 0;
      r.rhi = 0;
      r.wasmFrame(top);
      (fi >= 0 ? FNS[fi]! : H[-1 - fi]!)(r);
      I32[0] = r.rlo;
      I32[1] = r.rhi;
    },
    sload(pc: number, lo: number, hi: number, off: number, size: number, sx: number): void {
      const g = RG[hi];
      const a = lo + off;
      if (g !== undefined && a >= g.start && a + size <= g.len) {
        const dv = g.dv;
        let l: number;
        let h = 0;
        if (size === 8) {
          l = dv.getInt32(a, true);
          h = dv.getInt32(a + 4, true);
        } else {
          l = size === 4 ? dv.getInt32(a, true) : size === 2 ? (sx ? dv.getInt16(a, true) : dv.getUint16(a, true)) : sx ? dv.getInt8(a) : dv.getUint8(a);
          if (sx) h = l >> 31;
        }
        I32[0] = l;
        I32[1] = h;
        return;
      }
      const r = run();
      r.slowLoad(pc, lo, hi, off, size);
      if (sx) r.badCall(pc, 'sign-extending load from the context');
      I32[0] = T[0]!;
      I32[1] = T[1]!;
    },
    sstore(pc: number, lo: number, hi: number, off: number, size: number, vl: number, vh: number): void {
      const g = RG[hi];
      const a = lo + off;
      if (g === undefined || a < g.start || a + size > g.wlen) run().badAccess(pc, lo, hi, off, size, true);
      const dv = g.dv;
      if (size === 4) dv.setInt32(a, vl, true);
      else if (size === 2) dv.setInt16(a, vl, true);
      else if (size === 1) dv.setInt8(a, vl);
      else {
        dv.setInt32(a, vl, true);
        dv.setInt32(a + 4, vh, true);
      }
    },
    atomic(pc: number, lo: number, hi: number, off: number, size: number, k: number, vl: number, vh: number, r0l: number, r0h: number): void {
      const g = RG[hi];
      const a = lo + off;
      if (g === undefined || a < g.start || a + size > g.wlen) run().badAccess(pc, lo, hi, off, size, true);
      // The interpreter's own operation on a register file of r0 and the fetch target.
      AR[0] = r0l;
      AR[1] = r0h;
      atomicOp(AR, g.dv, a, size, k, 2, vl, vh);
      const at = (k & ~1) === 0xf0 ? 0 : 2;
      I32[0] = AR[at]!;
      I32[1] = AR[at + 1]!;
    },
    tail(pc: number, top: number): number {
      const r = run();
      r.pc = pc;
      r.wasmFrame(top);
      if (!r.tailCall()) return 0;
      I32[0] = r.xlo;
      I32[1] = r.xhi;
      return 1;
    },
    fault(pc: number, kind: number, arg: number): void {
      if (kind === FAULT_DEEP) throw new VmFault(pc, `the call stack of ${10 - (arg >> 9)} frames is too deep`);
      if (kind === FAULT_STEPS) throw new VmFault(pc, stepMsg);
      if (kind === FAULT_END) throw new VmFault(pc, 'execution fell off the end of the program');
      throw new VmFault(pc, `kfunc calls are not supported (btf id ${arg})`);
    },
    ldabs(offset: number, size: number): number {
      if (!run().ldAbs(offset, size)) return 0;
      I32[0] = T[0]!;
      return 1;
    },
    callx(pc: number, lo: number, hi: number): number {
      return run().callxTarget(pc, lo, hi);
    },
  };
  const api = wasmApi!;
  let instance: { readonly exports: Record<string, unknown> };
  try {
    instance = new api.Instance(new api.Module(tr.module), { x });
  } catch (e) {
    return `the WebAssembly module did not compile: ${(e as Error).message}`;
  }
  const ex = instance.exports as Record<string, unknown>;
  const fns: Entry[] = [];
  for (const [slot, name] of tr.entries) fns[slot] = ex[name] as Entry;
  const budget = ex.budget as WasmGlobal | undefined;
  const low = ex.low as WasmGlobal | undefined;
  const steps = Math.min(maxSteps, 0x7fffffff);
  const ea = HEAP_EARGS >> 2;
  const hasCalls = tr.hasCalls;
  let eargsSet = false;
  const execRepeat = (r: Run, entry: number, args: ArrayLike<number>, n: number): void => {
    const base = r.depth;
    const top = r.enterFrame(entry);
    // r1 goes in parameters; r2..r5 through EARGS, written only when some are set (an XDP
    // run has r1 = ctx alone: copying ten words cost more than the call of a small program).
    const m = args.length;
    let rest = 0;
    for (let i = 2; i < m; i++) rest |= args[i]!;
    if (rest !== 0 || eargsSet) {
      for (let i = 2; i < 10; i++) I32[ea + i] = i < m ? args[i]! : 0;
      eargsSet = rest !== 0;
    }
    let saved = 0;
    if (budgeted) {
      saved = budget!.value;
      budget!.value = steps;
    }
    const lo = fns[entry]!(top, m > 0 ? args[0]! : 0, m > 1 ? args[1]! : 0, n);
    if (budgeted) budget!.value = saved;
    r.xlo = lo;
    r.xhi = I32[1]!;
    if (hasCalls) r.wasmFrame(low!.value);
    r.depth = base;
  };
  const exec = (r: Run, entry: number, args: ArrayLike<number>): void => execRepeat(r, entry, args, 1);
  return { dec, space, helpers, exec, execRepeat };
}
