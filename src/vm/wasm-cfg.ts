/**
 * Structured control flow for the WebAssembly engine: turns the jumps of one BPF function into
 * properly nested wasm `block`s (forward jumps: a `br` out to the block's end, placed right
 * before the target) and `loop`s (backward jumps: a `br` to the loop's head), keeping the
 * instructions in program order. This is the "stackify" approach of LLVM's WebAssembly backend
 * in its simplest form: every construct is an interval of slots, intervals that partly overlap
 * are widened until they nest. It covers every reducible CFG laid out the way clang lays BPF
 * code out (a loop's blocks contiguous from its head); a jump into the middle of a loop from
 * outside (irreducible flow) is reported so the caller falls back to another engine.
 */
import { OP_CALL_LOCAL, exitTail, type Decoded } from './decode';

/** One wasm construct over slots [start, end). Blocks are the target of jumps to `end`. */
export interface Construct {
  readonly kind: 'block' | 'loop';
  start: number;
  end: number;
}

/** At a loop's first slot: when the dispatch variable holds `target`, go on to `next`. */
export interface Hop {
  readonly target: number;
  /** `target` itself, or the first slot of the next loop on the way to it. */
  readonly next: number;
  /** True when `next` is the target (the variable is cleared). */
  readonly last: boolean;
}

/**
 * The constructs of a function, or why it has no structured form. `redirect` lists forward
 * jumps into the middle of loops (clang rotates loops: the header sits after part of the body):
 * each goes to the first slot of the outermost loop it enters instead, with its real target in
 * a dispatch variable that the code at each loop's first slot reads (`dispatch`: loop start →
 * hops) to go on, loop by loop, to the target.
 */
export type Structure =
  | { readonly constructs: Construct[]; readonly redirect: ReadonlyMap<number, number>; readonly dispatch: ReadonlyMap<number, readonly Hop[]> }
  | { readonly reason: string };

/**
 * Computes nested constructs for the function occupying slots [s0, s1) of `dec`. Constructs
 * that start at the same slot come outermost first (the one that ends later).
 */
export function structure(dec: Decoded, s0: number, s1: number): Structure {
  const { op, tgt } = dec;
  const jumps: [number, number][] = [];
  for (let pc = s0; pc < s1; pc++) {
    const t = tgt[pc]!;
    if (t < 0 || op[pc] === OP_CALL_LOCAL) continue;
    if (t < s0 || t >= s1) return { reason: `jump at ${pc} to ${t} leaves its function` };
    jumps.push([pc, t]);
  }
  // Loops: one per back-edge target (jumps back to an exit tail are copies, not loops), widened
  // until they nest.
  const loops = new Map<number, Construct>();
  for (const [pc, t] of jumps) {
    if (t > pc || exitTail(dec, t) >= 0) continue;
    const l = loops.get(t);
    if (l === undefined) loops.set(t, { kind: 'loop', start: t, end: pc + 1 });
    else if (pc + 1 > l.end) l.end = pc + 1;
  }
  const ls = [...loops.values()];
  while (nestLoops(ls));
  // Blocks: one per forward-jump target, from the earliest jump to it. A forward jump from
  // before a loop into its middle enters through the loop's first slot instead.
  const blocks = new Map<number, Construct>();
  const addBlock = (from: number, to: number): void => {
    const b = blocks.get(to);
    if (b === undefined) blocks.set(to, { kind: 'block', start: from, end: to });
    else if (from < b.start) b.start = from;
  };
  const redirect = new Map<number, number>();
  const dispatch = new Map<number, Hop[]>();
  for (const [pc, t] of jumps) {
    if (t <= pc) continue;
    // The loops the jump enters, outermost first (they nest: all contain t).
    const chain = ls.filter((l) => pc < l.start && l.start < t && t < l.end).sort((a, b) => a.start - b.start);
    if (chain.length === 0) {
      addBlock(pc, t);
      continue;
    }
    redirect.set(pc, chain[0]!.start);
    addBlock(pc, chain[0]!.start);
    chain.forEach((l, i) => {
      const next = i + 1 < chain.length ? chain[i + 1]!.start : t;
      const hops = dispatch.get(l.start) ?? [];
      if (!hops.some((h) => h.target === t)) hops.push({ target: t, next, last: i + 1 === chain.length });
      dispatch.set(l.start, hops);
      addBlock(l.start, next);
    });
  }
  const bs = [...blocks.values()];
  // Widen until every pair nests. Each step only moves a start earlier or an end later, so
  // this ends; the passes are few for real programs (intervals rarely chain).
  for (let changed = true; changed;) {
    changed = nestLoops(ls);
    for (const b of bs) {
      for (const l of ls) {
        if (b.start < l.start && l.start < b.end && b.end < l.end) {
          // The block ends inside the loop and starts before it: some jump enters the loop's
          // body from outside it.
          return { reason: `a jump to ${b.end} enters the loop at ${l.start} in its middle (irreducible control flow)` };
        } else if (l.start < b.start && b.start < l.end && l.end < b.end) {
          b.start = l.start;
          changed = true;
        }
      }
      for (const c of bs) {
        if (b.start < c.start && c.start < b.end && b.end < c.end) {
          c.start = b.start;
          changed = true;
        }
      }
    }
  }
  // Widening moved starts only earlier and ends only later: every block still contains the
  // jumps to it and every loop its back edges.
  const constructs = [...bs, ...ls];
  constructs.sort((a, b) => a.start - b.start || b.end - a.end || (a.kind === 'block' ? -1 : 1));
  return { constructs, redirect, dispatch };
}

/** One pass making partly overlapping loops nest (the earlier one grows); true if any grew. */
function nestLoops(ls: Construct[]): boolean {
  let changed = false;
  for (const a of ls) {
    for (const b of ls) {
      if (a.start < b.start && b.start < a.end && a.end < b.end) {
        a.end = b.end;
        changed = true;
      }
    }
  }
  return changed;
}
