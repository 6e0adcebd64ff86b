/**
 * Soundness fuzz: random XDP programs (packet bounds checks, loads/stores at random offsets,
 * scalar ALU, variable packet offsets, stack spills, forward branches); whatever the verifier
 * accepts must run on random packets in the VM (both engines) without a single fault.
 */
import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../src/isa';
import { compile, runXdp } from '../../src/vm';
import { verifyProgram } from '../../src/verifier';
import {
  BPF_ALU64_IMM, BPF_ALU64_REG, BPF_ALU32_IMM, BPF_EXIT_INSN, BPF_JMP_IMM, BPF_JMP_REG, BPF_LDX_MEM, BPF_MOV64_IMM,
  BPF_MOV64_REG, BPF_STX_MEM, BPF_ST_MEM, toSpec,
} from './builder';
import { rng } from './random-xdp';

const SIZES = ['b', 'h', 'w', 'dw'] as const;
const ALU = ['add', 'sub', 'and', 'or', 'xor', 'lsh', 'rsh', 'mul', 'arsh'];

/** A random program; `null` in the list marks a jump to the common exit, patched at the end. */
function randomProgram(r: () => number): Instruction[] {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const regs = [0, 5, 6, 7, 8, 9];
  const out: (Instruction | 'exit')[] = [BPF_LDX_MEM('w', 2, 1, 0), BPF_LDX_MEM('w', 3, 1, 4), BPF_MOV64_IMM(0, 0)];
  // Initialise the scratch registers (a known constant or an unknown ctx field) so that most
  // programs get past uninitialised-register checks and exercise the memory checks.
  for (const reg of [5, 6, 7, 8, 9]) out.push(r() < 0.5 ? BPF_MOV64_IMM(reg, int(64)) : BPF_LDX_MEM('w', reg, 1, 16));
  const n = 4 + int(16);
  for (let k = 0; k < n; k++) {
    switch (int(9)) {
      case 0: out.push(BPF_MOV64_REG(4, 2), BPF_ALU64_IMM('add', 4, 1 + int(40)), BPF_JMP_REG(pick(['jgt', 'jge']), 4, 3, 0), 'exit'); break;
      case 1: out.push(BPF_LDX_MEM(pick(SIZES), pick(regs), 2, int(40))); break;
      case 2: out.push(BPF_ST_MEM(pick(SIZES), 2, int(40), int(256))); break;
      case 3: out.push(BPF_ALU64_IMM(pick(ALU), pick(regs), int(64))); break;
      case 4: out.push(r() < 0.5 ? BPF_ALU64_REG(pick(ALU), pick(regs), pick(regs)) : BPF_ALU32_IMM(pick(ALU), pick(regs), int(32))); break;
      case 5: out.push(BPF_ST_MEM('dw', 10, -8 * (1 + int(4)), int(100)), BPF_LDX_MEM(pick(SIZES), pick(regs), 10, -8 * (1 + int(4)))); break;
      case 6: out.push(BPF_ALU64_IMM('and', 5, pick([3, 7, 15, 31, 255])), BPF_ALU64_REG('add', 2, 5)); break;
      case 7: out.push(BPF_JMP_IMM(pick(['jgt', 'jlt', 'jeq', 'jset', 'jsgt']), pick(regs), int(20), 0), 'exit'); break;
      case 8: out.push(BPF_STX_MEM('dw', 10, pick([0, 2, 5]), -8 * (1 + int(4))), BPF_LDX_MEM('dw', pick(regs), 10, -8 * (1 + int(4)))); break;
    }
  }
  out.push(BPF_EXIT_INSN());
  const exitAt = out.length;
  out.push(BPF_MOV64_IMM(0, 2), BPF_EXIT_INSN());
  // Resolve the jumps before each 'exit' marker to the common exit block.
  const res: Instruction[] = [];
  const idx: number[] = [];
  for (const x of out) if (x !== 'exit') { idx.push(res.length); res.push(x); }
  let pos = 0;
  for (let k = 0; k < out.length; k++) {
    if (out[k] === 'exit') {
      const j = res[pos - 1]!;
      const target = exitAt - out.slice(0, exitAt).filter((y) => y === 'exit').length;
      res[pos - 1] = { ...j, off: target - pos };
    } else pos++;
  }
  return res;
}

describe('verifier robustness fuzz', () => {
  it('answers every random instruction stream with a verdict, never a host exception', () => {
    const r = rng(99);
    // A fixed number of streams (not a time budget), so a loaded machine runs the same cases.
    let n = 0;
    while (n < 400) {
      const len = 1 + Math.floor(r() * 12);
      const insns: Instruction[] = [];
      for (let k = 0; k < len; k++) {
        const op = Math.floor(r() * 256);
        const i = { opcode: op, dst: Math.floor(r() * 12), src: Math.floor(r() * 12), off: Math.floor(r() * 16) - 8, imm: Math.floor(r() * 64) - 16 };
        insns.push(op === 0x18 ? { ...i, imm2: 0 } : i);
      }
      if (r() < 0.5) insns.push(BPF_EXIT_INSN());
      const { prog, maps } = toSpec({ name: 'rnd', insns });
      const v = verifyProgram(prog, maps, { logLevel: 2 });
      expect(typeof v.accepted).toBe('boolean');
      if (!v.accepted) expect(v.error).toBeTruthy();
      n++;
    }
    expect(n).toBe(400);
  });
});

describe('verifier soundness fuzz', () => {
  it('never accepts a program that faults in the VM', () => {
    const r = rng(20260126);
    let accepted = 0;
    let total = 0;
    // A fixed count, not a time budget: on a loaded machine a time budget ran too few programs.
    while (total < 800) {
      const insns = randomProgram(r);
      total++;
      const { prog, maps } = toSpec({ name: 'fuzz', insns });
      const v = verifyProgram(prog, maps, {});
      if (!v.accepted) continue;
      accepted++;
      for (const engine of ['interp', 'jit'] as const) {
        const p = compile(insns, { engine });
        for (let k = 0; k < 12; k++) {
          const len = k < 4 ? k * 7 : Math.floor(r() * 80);
          const packet = Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
          const res = runXdp(p, { packet, rxQueueIndex: Math.floor(r() * 8) });
          expect(res.fault?.message, `accepted program faulted:\n${JSON.stringify(insns)}`).toBeUndefined();
        }
      }
    }
    console.log(`soundness fuzz: ${total} programs, ${accepted} accepted and run without a fault`);
    expect(accepted).toBeGreaterThan(50);
  });
});
