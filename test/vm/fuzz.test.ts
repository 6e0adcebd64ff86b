/**
 * Robustness: random instruction streams (valid opcodes with random fields, plus some random
 * bytes) must either be refused by compile() with a VmCompileError, or run on both engines to
 * the same r0 or the same fault. No host exception may escape in any case (seeded, bounded).
 */
import { describe, expect, test } from 'vitest';
import { decode, insn, type Instruction } from '../../src/isa';
import { compile, VmCompileError, type VmProgram } from '../../src/vm';
import { prng, randomHelpers } from './helpers/random-program';

const OPCODES = [
  0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c,
  0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc, 0xd4, 0xdc, 0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57,
  0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7, 0x05, 0x06, 0x15, 0x1d,
  0x25, 0x2d, 0x35, 0x3d, 0x45, 0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd, 0xd5,
  0xdd, 0x16, 0x1e, 0x26, 0x56, 0x66, 0xc6, 0xde, 0x85, 0x8d, 0x95, 0xe5, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50,
  0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb,
];
const IMMS = [0, 1, -1, 2, 7, 8, 16, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0x00000001, 0xe1, 0xf1, 0x41, 0x51, 0xa1];

function randomStream(rnd: () => number): Instruction[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const n = 1 + Math.floor(rnd() * 24);
  if (rnd() < 0.1) {
    // Raw random bytes through the decoder.
    const bytes = new Uint8Array(8 * n).map(() => Math.floor(rnd() * 256));
    return decode(bytes).insns;
  }
  const out: Instruction[] = [];
  for (let i = 0; i < n; i++) {
    const reg = () => (rnd() < 0.97 ? Math.floor(rnd() * 11) : Math.floor(rnd() * 16));
    const dst = rnd() < 0.97 ? Math.floor(rnd() * 10) : reg();
    const opcode = pick(OPCODES);
    const isJump = (opcode & 7) === 5 || (opcode & 7) === 6;
    // Jumps mostly land inside the program (forward, or a little backward: loops hit maxSteps).
    const off = isJump && rnd() < 0.9 ? Math.floor(rnd() * (n - i + 2)) - 2 : rnd() < 0.7 ? Math.floor(rnd() * 7) - 3 : Math.floor(rnd() * 65536) - 32768;
    const imm = opcode === 0x85 || opcode === 0x06 ? (rnd() < 0.5 ? 7 : Math.floor(rnd() * (n - i)) - 1) : rnd() < 0.6 ? pick(IMMS) : Math.floor(rnd() * 2 ** 32) | 0;
    const src = opcode === 0x85 ? pick([0, 0, 1, 2]) : opcode === 0x18 ? pick([0, 0, 0, 1, 2, 4]) : reg();
    const cls = opcode & 7;
    const code = opcode & 0xf0;
    let o = off;
    let k = imm;
    if (cls === 4 || cls === 7) {
      // ALU: off selects sdiv/smod (1) and movsx (8/16/32); END takes 16/32/64 in imm.
      o = code === 0x30 || code === 0x90 ? pick([0, 0, 1]) : code === 0xb0 && (opcode & 8) ? pick([0, 0, 8, 16, 32]) : 0;
      if (code === 0xd0) k = pick([16, 32, 64]);
    }
    if (opcode === 0xc3 || opcode === 0xdb) k = pick([0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
    if (opcode === 0x85 && src === 0) k = 7;
    out.push(insn(opcode, dst, src, o, k, imm));
  }
  out.push(insn(0x95));
  return out;
}

const describeResult = (p: VmProgram, mem: Uint8Array): string => {
  const r = p.runRaw({ mem });
  return r.fault ? `fault@${r.fault.pc}: ${r.fault.reason}` : `r0=${r.r0.toString(16)}`;
};

describe('fuzzing both engines with random instruction streams', () => {
  test('compile errors are VmCompileError; runs agree; nothing escapes', () => {
    const rnd = prng(0xf00d);
    let compiled = 0;
    let refused = 0;
    for (let k = 0; k < 1500; k++) {
      const insns = randomStream(rnd);
      let a: VmProgram;
      let b: VmProgram;
      try {
        a = compile(insns, { engine: 'interp', helpers: randomHelpers, maxSteps: 200 });
      } catch (e) {
        expect(e).toBeInstanceOf(VmCompileError);
        expect(() => compile(insns, { engine: 'jit', helpers: randomHelpers, maxSteps: 200 })).toThrow(VmCompileError);
        refused++;
        continue;
      }
      b = compile(insns, { engine: 'jit', helpers: randomHelpers, maxSteps: 200 });
      const mem = new Uint8Array(32).map(() => Math.floor(rnd() * 256));
      const ra = describeResult(a, mem);
      const rb = describeResult(b, mem);
      if (ra !== rb) expect({ k, interp: ra, jit: rb, insns }).toBeUndefined();
      compiled++;
    }
    expect(compiled).toBeGreaterThan(300);
    expect(refused).toBeGreaterThan(100);
  });
});
