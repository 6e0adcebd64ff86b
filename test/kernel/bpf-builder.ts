/** A few instruction builders for kernel tests (no assembler dependency). */
import { insn, lddw, type Instruction } from '../../src/isa/instruction';
import { BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD } from '../../src/isa/opcodes';
import { helperId } from '../../src/isa/helpers';
import { compile, createSpace, type VmProgram, type VmSpace, type Engine } from '../../src/vm';
import { mapPointer, type KernelHelpers } from '../../src/kernel/helpers';

export const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;

export const mov = (d: number, imm: number): Instruction => insn(0xb7, d, 0, 0, imm);
export const movr = (d: number, s: number): Instruction => insn(0xbf, d, s);
export const mov32 = (d: number, imm: number): Instruction => insn(0xb4, d, 0, 0, imm);
export const add = (d: number, imm: number): Instruction => insn(0x07, d, 0, 0, imm);
export const addr = (d: number, s: number): Instruction => insn(0x0f, d, s);
export const stdw = (d: number, off: number, imm: number): Instruction => insn(0x7a, d, 0, off, imm);
export const stw = (d: number, off: number, imm: number): Instruction => insn(0x62, d, 0, off, imm);
export const stb = (d: number, off: number, imm: number): Instruction => insn(0x72, d, 0, off, imm);
export const stxdw = (d: number, s: number, off: number): Instruction => insn(0x7b, d, s, off);
export const stxw = (d: number, s: number, off: number): Instruction => insn(0x63, d, s, off);
export const stxb = (d: number, s: number, off: number): Instruction => insn(0x73, d, s, off);
export const ldxdw = (d: number, s: number, off: number): Instruction => insn(0x79, d, s, off);
export const ldxw = (d: number, s: number, off: number): Instruction => insn(0x61, d, s, off);
export const ldxb = (d: number, s: number, off: number): Instruction => insn(0x71, d, s, off);
export const xadddw = (d: number, s: number, off: number): Instruction => insn(0xdb, d, s, off, 0);
export const jeq = (d: number, imm: number, off: number): Instruction => insn(0x15, d, 0, off, imm);
export const jne = (d: number, imm: number, off: number): Instruction => insn(0x55, d, 0, off, imm);
export const ja = (off: number): Instruction => insn(0x05, 0, 0, off);
export const exit = (): Instruction => insn(0x95);
export const ld64 = (d: number, v: bigint): Instruction => lddw(d, v);
export const ldmap = (d: number, mapId: number): Instruction => insn(0x18, d, BPF_PSEUDO_MAP_FD, 0, mapId, 0);
/** lddw of a function address: `target` is the instruction slot relative to the next one. */
export const ldfunc = (d: number, rel: number): Instruction => insn(0x18, d, BPF_PSEUDO_FUNC, 0, rel, 0);
export const call = (name: string): Instruction => insn(0x85, 0, 0, 0, helperId(name)!);

const spaces = new WeakMap<KernelHelpers, VmSpace>();

/** Compiles `insns` against a kernel's helpers (map pointers resolved by id), one address space per kernel. */
export function build(insns: Instruction[], k: KernelHelpers, engine: Engine = 'interp'): VmProgram {
  let space = spaces.get(k);
  if (!space) spaces.set(k, (space = createSpace()));
  return compile(insns, {
    engine,
    helpers: k.table,
    space,
    resolvePseudo: (i) => (i.src === BPF_PSEUDO_MAP_FD ? mapPointer(i.imm) : [i.imm, i.imm2 ?? 0]),
  });
}

/** Builds a stack key: stores `v` as u32 at r10-off and points r2 at it. */
export function keyU32(v: number, off = -4): Instruction[] {
  return [stw(R10, off, v), movr(R2, R10), add(R2, off)];
}

/** A jump to a label, resolved by {@link withLabels}. */
export interface LabelJump {
  readonly jump: number;
  readonly dst?: number;
  readonly src?: number;
  readonly imm?: number;
  readonly to: string;
}

/** Resolves `{ label }` markers and {@link LabelJump}s into instructions (lddw counts 2 slots). */
export function withLabels(items: (Instruction | { label: string } | LabelJump)[]): Instruction[] {
  const slots = new Map<string, number>();
  let slot = 0;
  for (const it of items) {
    if ('label' in it) slots.set(it.label, slot);
    else slot += 'jump' in it ? 1 : it.opcode === 0x18 ? 2 : 1;
  }
  const out: Instruction[] = [];
  slot = 0;
  for (const it of items) {
    if ('label' in it) continue;
    if ('jump' in it) {
      const target = slots.get(it.to);
      if (target === undefined) throw new Error(`no label ${it.to}`);
      out.push(insn(it.jump, it.dst ?? 0, it.src ?? 0, target - slot - 1, it.imm ?? 0));
      slot += 1;
    } else {
      out.push(it);
      slot += it.opcode === 0x18 ? 2 : 1;
    }
  }
  return out;
}
