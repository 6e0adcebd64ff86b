/**
 * A seeded generator of random (terminating) eBPF programs for the interpreter-vs-JIT
 * differential test: every ALU op in both widths and both source forms with operands biased
 * toward edge values, movsx, byte swaps, forward conditional jumps of every kind, stack and
 * memory loads/stores (some deliberately out of bounds), atomics, lddw, local calls, and an
 * epilogue that folds every register and the stack into r0.
 */
import {
  ALU_OPS, ATOMIC_OPS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_DW, BPF_JMP, BPF_JMP32, BPF_LDX, BPF_MEM, BPF_MEMSX,
  BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_ST, BPF_STX, BPF_W, BPF_X, JMP_COND_OPS, MEM_SIZES, insn, lddw, type Instruction,
} from '../../../src/isa';
import type { HelperCall, HelperFn, HelperTable } from '../../../src/vm';

/** mulberry32: a small, fast, seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EDGE32 = [0, 1, -1, 2, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0xffff, 0x8000, 0x80, 7, -7, 3];
const EDGE64 = [
  0n, 1n, -1n, -2n, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffffn, 0x100000000n, -0x80000000n, 0x80000000n,
  0x7fffffffn, 0x123456789abcdefn, 0xffffffff00000000n, 0x100000001n, 0xffffffff00000001n, 0x100000007n,
];

/** The helper id random programs call; {@link randomHelpers} implements it. */
export const RANDOM_HELPER = 7;

/** The helper table for random programs: helper 7 mixes all of r1..r5 (both halves) into r0. */
export const randomHelpers: HelperTable = {
  helpers: Object.assign([] as HelperFn[], {
    [RANDOM_HELPER]: (c: HelperCall) => {
      let h = 0x811c9dc5;
      for (let i = 0; i < 10; i++) h = Math.imul(h ^ c.args[i]!, 0x01000193);
      c.retPtr(h, h >>> 7);
    },
  }),
};

/** Makes one random program; r1 points to `memLen` bytes of input memory. */
export function randomProgram(rnd: () => number, memLen: number, items?: number, oobRate = 0.1): Instruction[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const int = (n: number): number => Math.floor(rnd() * n);
  const imm = (): number => (rnd() < 0.6 ? pick(EDGE32) : (int(0x100000000) | 0));
  const body: Instruction[][] = [];
  // r6 keeps the memory pointer; r1..r5, r7..r9 and r0 hold data.
  const dataRegs = [0, 2, 3, 4, 5, 7, 8, 9];
  const prologue: Instruction[] = [insn(BPF_ALU64 | 0xb0 | BPF_X, 6, 1)];
  for (const r of dataRegs) prologue.push(rnd() < 0.3 ? lddw(r, pick(EDGE64)) : insn(BPF_ALU64 | 0xb0, r, 0, 0, imm()));
  const n = items ?? 10 + int(30);
  for (let k = 0; k < n; k++) {
    const choice = rnd();
    const d = pick(dataRegs);
    const s = pick(dataRegs);
    if (choice < 0.45) {
      const op = pick(ALU_OPS);
      const cls = rnd() < 0.5 ? BPF_ALU64 : BPF_ALU;
      if (op.name === 'neg') body.push([insn(cls | op.code, d)]);
      else if (rnd() < 0.5) body.push([insn(cls | op.code | BPF_X, d, s, op.off)]);
      else body.push([insn(cls | op.code, d, 0, op.off, imm())]);
    } else if (choice < 0.5) {
      const bits = pick([8, 16, 32]);
      body.push([insn((bits === 32 || rnd() < 0.5 ? BPF_ALU64 : BPF_ALU) | 0xb0 | BPF_X, d, s, bits)]);
    } else if (choice < 0.55) {
      const bits = pick([16, 32, 64]);
      body.push([insn(pick([BPF_ALU | 0xd0, BPF_ALU | 0xd8, BPF_ALU64 | 0xd0]), d, 0, 0, bits)]);
    } else if (choice < 0.62) {
      body.push([lddw(d, pick(EDGE64))]);
    } else if (choice < 0.72) {
      // Store then load on the stack (aligned inside the frame) or memory (sometimes out of bounds).
      const sz = pick(MEM_SIZES);
      const onStack = rnd() < 0.6;
      const base = onStack ? 10 : 6;
      const off = onStack ? -8 * (1 + int(8)) : rnd() >= oobRate ? int(Math.max(1, memLen - sz.bytes + 1)) : memLen - int(3);
      if (rnd() < 0.5) body.push([insn(BPF_STX | BPF_MEM | sz.code, base, s, off)]);
      else body.push([insn(BPF_ST | BPF_MEM | sz.code, base, 0, off, imm())]);
      const signed = sz.bytes < 8 && rnd() < 0.3;
      body.push([insn(BPF_LDX | (signed ? BPF_MEMSX : BPF_MEM) | sz.code, d, base, off)]);
    } else if (choice < 0.77) {
      const op = pick(ATOMIC_OPS);
      const size = rnd() < 0.5 ? BPF_W : BPF_DW;
      const off = -8 * (1 + int(8));
      body.push([insn(BPF_STX | BPF_MEM | BPF_DW, 10, s, off), insn(BPF_STX | BPF_ATOMIC | size, 10, d, off, op.imm)]);
    } else if (choice < 0.8) {
      // A bounded loop (r1 counts down) around a few ALU ops: exercises backward jumps.
      const inner: Instruction[] = [insn(BPF_ALU64 | 0xb0, 1, 0, 0, 1 + int(5))];
      const m = 1 + int(3);
      for (let j = 0; j < m; j++) {
        const op = pick(ALU_OPS.filter((o) => o.name !== 'neg'));
        inner.push(insn((rnd() < 0.5 ? BPF_ALU64 : BPF_ALU) | op.code | BPF_X, pick(dataRegs), pick(dataRegs), op.off));
      }
      inner.push(insn(BPF_ALU64 | 0x10, 1, 0, 0, 1));
      inner.push(insn(BPF_JMP | 0x50, 1, 0, -(m + 2), 0));
      body.push(inner.map((i) => ({ ...i, loop: true }) as Instruction));
    } else if (choice < 0.92) {
      // A forward conditional jump over the next 1..3 body items (patched below).
      const op = pick(JMP_COND_OPS);
      const cls = rnd() < 0.5 ? BPF_JMP : BPF_JMP32;
      const form = rnd();
      const skip = -(1 + int(3));
      if (form < 0.15 && s !== d) {
        // Same low half, different high half: only the 64-bit forms tell them apart.
        body.push([insn(BPF_ALU | 0xb0 | BPF_X, s, d), { ...insn(cls | op.code | BPF_X, d, s, 0), off: skip }]);
      } else if (form < 0.3 && s !== d) {
        // High-half-only operand (jset, unsigned/signed order decided by the high word).
        body.push([lddw(s, pick([0xffffffff00000000n, 0x100000000n, 0x8000000000000000n])), { ...insn(cls | op.code | BPF_X, d, s, 0), off: skip }]);
      } else if (form < 0.35) {
        body.push([{ ...insn(BPF_JMP | 0xe0), off: skip }]); // may_goto: its budget is never exhausted here
      } else {
        const j = rnd() < 0.5 ? insn(cls | op.code | BPF_X, d, s, 0) : insn(cls | op.code, d, 0, 0, imm());
        body.push([{ ...j, off: skip }]);
      }
    } else if (choice < 0.95) {
      body.push([insn(BPF_JMP | 0x80, 0, BPF_PSEUDO_CALL, 0, 0)]); // call the subprogram (patched)
    } else if (choice < 0.975) {
      // callx through a function pointer to the subprogram (lddw src = BPF_PSEUDO_FUNC, patched).
      body.push([insn(0x18, d, BPF_PSEUDO_FUNC, 0, 0, 0), insn(BPF_JMP | 0x80 | BPF_X, d)]);
    } else {
      body.push([insn(BPF_JMP | 0x80, 0, 0, 0, RANDOM_HELPER)]); // a helper that mixes r1..r5 into r0
    }
  }
  // Epilogue: fold registers and the stack into r0.
  const epilogue: Instruction[] = [];
  for (const r of [2, 3, 4, 5, 7, 8, 9]) {
    epilogue.push(insn(BPF_ALU64 | 0x20, 0, 0, 0, 0x9e3779b1 | 0), insn(BPF_ALU64 | 0xa0 | BPF_X, 0, r));
  }
  for (let i = 1; i <= 8; i++) {
    epilogue.push(insn(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8 * i), insn(BPF_ALU64 | 0x00 | BPF_X, 0, 1), insn(BPF_ALU64 | 0x70, 0, 0, 0, 3));
  }
  epilogue.push(insn(BPF_JMP | 0x90));
  // Subprogram: mixes r1..r5 into r0, touches its own stack, returns.
  const sub: Instruction[] = [
    insn(BPF_STX | BPF_MEM | BPF_DW, 10, 2, -8),
    insn(BPF_ALU64 | 0x00 | BPF_X, 0, 2),
    insn(BPF_ALU64 | 0xa0 | BPF_X, 0, 3),
    insn(BPF_ALU64 | 0xb0, 7, 0, 0, 12345),
    insn(BPF_LDX | BPF_MEM | BPF_DW, 4, 10, -8),
    insn(BPF_JMP | 0x90),
  ];
  // Lay out and patch: jump offsets (negative placeholder = number of items to skip) and calls.
  const flat: Instruction[] = [...prologue];
  const slotOfItem: number[] = [];
  const slots = (xs: readonly Instruction[]): number => xs.reduce((a, i) => a + (i.opcode === 0x18 ? 2 : 1), 0);
  let slot = slots(prologue);
  for (const item of body) {
    slotOfItem.push(slot);
    slot += slots(item);
  }
  const epilogueSlot = slot;
  const subSlot = epilogueSlot + slots(epilogue);
  body.forEach((item, idx) => {
    let next = slotOfItem[idx]!;
    for (const i of item) {
      const at = next;
      next += i.opcode === 0x18 ? 2 : 1;
      const cls = i.opcode & 7;
      if ((i as { loop?: boolean }).loop) {
        const { loop: _l, ...plain } = i as Instruction & { loop?: boolean };
        void _l;
        flat.push(plain);
      } else if ((cls === BPF_JMP || cls === BPF_JMP32) && i.off < 0 && (i.opcode & 0xf0) !== 0x80) {
        const to = idx + 1 - i.off;
        const t = to < body.length ? slotOfItem[to]! : epilogueSlot;
        flat.push({ ...i, off: t - at - 1 });
      } else if ((i.opcode === (BPF_JMP | 0x80) && i.src === BPF_PSEUDO_CALL) || (i.opcode === 0x18 && i.src === BPF_PSEUDO_FUNC)) {
        flat.push({ ...i, imm: subSlot - at - 1 });
      } else {
        flat.push(i);
      }
    }
  });
  return [...flat, ...epilogue, ...sub];
}
