/**
 * libxdp's multi-program dispatcher (xdp-tools lib/libxdp/xdp-dispatcher.c.in, libxdp.c): the
 * one XDP program the kernel sees attached, with up to ten component programs run in order.
 *
 * Execution (the dispatcher's C logic): for each enabled slot i, `ret = prog_i(ctx)`; when bit
 * `ret` is NOT set in `chain_call_actions[i]` the dispatcher returns `ret`; after the last slot
 * it returns XDP_PASS. Component order: ascending run prio, then program name (strcmp), then
 * already-loaded before new, then (two new) fewer instructions, then tag bytes, then load time
 * (libxdp `cmp_xdp_programs`).
 */
import type { ProgramSpec } from '../../object/types';
import { BPF_ALU, BPF_ALU64, BPF_JMP, BPF_K, BPF_PSEUDO_CALL, BPF_X, JMP_CALL, JMP_EXIT, insn, type Instruction } from '../../isa';
import { MAX_DISPATCHER_ACTIONS, XDP_DISPATCHER_RETVAL, XDP_PASS } from './actions';

/** One component of a dispatcher, as plain data. */
export interface DispatcherComponent {
  /** The component program's id (it keeps it across dispatcher rebuilds). */
  progId: number;
  /** Full BTF function name (status shows it whole). */
  name: string;
  runPrio: number;
  /** Chain-call bitmask (bit N = verdict N continues the chain). */
  chainCallActions: number;
  /** Instruction count and tag, for libxdp's tie-breaks. */
  insnCount: number;
  tag: string;
  /** Load time (ms since the epoch). */
  loadTime: number;
}

function strcmp(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

/**
 * libxdp's `cmp_xdp_programs`: negative when `a` runs before `b`. `aLoaded`/`bLoaded` say
 * whether the program was already on the interface before this change.
 */
export function compareComponents(a: DispatcherComponent, aLoaded: boolean, b: DispatcherComponent, bLoaded: boolean): number {
  if (a.runPrio !== b.runPrio) return a.runPrio < b.runPrio ? -1 : 1;
  const n = strcmp(a.name, b.name);
  if (n) return n;
  if (aLoaded !== bLoaded) return aLoaded ? -1 : 1;
  if (!aLoaded && !bLoaded && a.insnCount !== b.insnCount) return a.insnCount < b.insnCount ? -1 : 1;
  const t = strcmp(a.tag, b.tag);
  if (t) return t;
  return a.loadTime - b.loadTime;
}

/** The execution order of the existing components plus new ones (a stable sort, as qsort on distinct keys). */
export function orderComponents(existing: readonly DispatcherComponent[], added: readonly DispatcherComponent[]): DispatcherComponent[] {
  const all = [...existing.map((c) => ({ c, loaded: true })), ...added.map((c) => ({ c, loaded: false }))];
  all.sort((x, y) => compareComponents(x.c, x.loaded, y.c, y.loaded) || 0);
  return all.map((x) => x.c);
}

/**
 * Runs the dispatcher's logic over `components` in order; `run(i)` runs component i and returns
 * its verdict. Returns the final verdict and the index of the component that decided it (-1
 * when every program continued and the dispatcher returned XDP_PASS).
 */
export function runChain(components: readonly DispatcherComponent[], run: (index: number) => number): { verdict: number; decidedBy: number } {
  for (let i = 0; i < components.length && i < MAX_DISPATCHER_ACTIONS; i++) {
    const ret = run(i);
    const mask = chainMask(components[i]!.chainCallActions);
    // `(1U << ret) & mask` in C: a shift by 32 or more is 0 on the BPF target (verdicts out of range end the chain).
    const bit = ret >>> 0 < 32 ? (1 << ret) >>> 0 : 0;
    if (!(bit & mask)) return { verdict: ret, decidedBy: i };
  }
  return { verdict: XDP_PASS, decidedBy: -1 };
}

/** The mask libxdp stores in the dispatcher config: the actions plus the empty-slot return value. */
export function chainMask(actions: number): number {
  return (actions | (1 << XDP_DISPATCHER_RETVAL)) >>> 0;
}

/**
 * The dispatcher's bytecode for a configuration, in the shape clang gives xdp-dispatcher.c:
 * `r6 = ctx`; per enabled slot a bpf-to-bpf call of a stub `prog<i>` (returning
 * XDP_DISPATCHER_RETVAL, the function freplace replaces), `(1 << r0) & mask`, return r0 when
 * clear; finally `return XDP_PASS`. The configuration is baked into the immediates (where libxdp
 * keeps it in a frozen .rodata the verifier folds into constants), so each rebuilt dispatcher
 * has its own tag, as the reference observes.
 */
export function dispatcherInsns(components: readonly DispatcherComponent[]): Instruction[] {
  const n = Math.min(components.length, MAX_DISPATCHER_ACTIONS);
  const MOV = BPF_ALU64 | 0xb0;
  const body: Instruction[] = [insn(MOV | BPF_X, 6, 1)];
  // Per slot: r1 = r6; call prog_i; r1 = 1; r1 <<= r0; r1 &= mask (via r2); if r1 == 0 goto ret.
  const perSlot = 7;
  const exitAt = 1 + n * perSlot + 2; // index of the shared `exit` that returns r0
  for (let i = 0; i < n; i++) {
    const base = 1 + i * perSlot;
    const mask = chainMask(components[i]!.chainCallActions);
    // Stub i sits after the shared exit: exitAt + 1 + 2*i.
    const stubAt = exitAt + 1 + 2 * i;
    body.push(insn(MOV | BPF_X, 1, 6));
    body.push(insn(BPF_JMP | JMP_CALL, 0, BPF_PSEUDO_CALL, 0, stubAt - (base + 1) - 1));
    body.push(insn(MOV | BPF_K, 1, 0, 0, 1));
    body.push(insn(BPF_ALU64 | 0x60 | BPF_X, 1, 0)); // r1 <<= r0
    body.push(insn(BPF_ALU | 0xb0 | BPF_K, 2, 0, 0, mask | 0)); // w2 = mask (zero-extended)
    body.push(insn(BPF_ALU64 | 0x50 | BPF_X, 1, 2)); // r1 &= r2
    body.push(insn(BPF_JMP | 0x10 | BPF_K, 1, 0, exitAt - (base + 6) - 1, 0)); // if r1 == 0 goto ret
  }
  body.push(insn(MOV | BPF_K, 0, 0, 0, XDP_PASS));
  body.push(insn(BPF_JMP | JMP_EXIT));
  body.push(insn(BPF_JMP | JMP_EXIT)); // ret: return r0
  for (let i = 0; i < n; i++) {
    body.push(insn(MOV | BPF_K, 0, 0, 0, XDP_DISPATCHER_RETVAL));
    body.push(insn(BPF_JMP | JMP_EXIT));
  }
  return body;
}


/**
 * The dispatcher as a program spec (section `xdp`, GPL, its stubs `prog0`.. as subprograms), so
 * the kernel loads it through the verifier like libxdp's compiled dispatcher.
 */
export function dispatcherSpec(components: readonly DispatcherComponent[]): ProgramSpec {
  const insns = dispatcherInsns(components);
  const n = Math.min(components.length, MAX_DISPATCHER_ACTIONS);
  const firstStub = insns.length - 2 * n;
  return {
    name: 'xdp_dispatcher',
    section: 'xdp',
    type: 6, // BPF_PROG_TYPE_XDP
    attachType: 37, // BPF_XDP
    insns,
    references: new Map(),
    lineInfo: new Map(),
    subprograms: Array.from({ length: n }, (_, i) => ({ name: `prog${i}`, start: firstStub + 2 * i })),
    license: 'GPL',
    btfFuncId: 0,
  };
}
