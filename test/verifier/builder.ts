/**
 * Instruction builders named like the kernel's selftest macros (include/linux/filter.h,
 * tools/testing/selftests/bpf/verifier/*.c): BPF_MOV64_IMM, BPF_LDX_MEM, BPF_JMP_IMM,
 * BPF_LD_MAP_FD... so corpus cases read like the kernel's own verifier tests.
 */
import { ALU_OPS, ATOMIC_OPS, JMP_COND_OPS, type Instruction, insn, lddw, OP_LDDW } from '../../src/isa';
import type { MapSpec, ProgramSpec, InsnReference } from '../../src/object/types';

type Size = 'b' | 'h' | 'w' | 'dw';
const SIZE: Record<Size, number> = { w: 0x00, h: 0x08, b: 0x10, dw: 0x18 };
const alu = (op: string): number => ALU_OPS.find((o) => o.name === op)!.code;
const aluOff = (op: string): number => ALU_OPS.find((o) => o.name === op)!.off;
const jmp = (op: string): number => JMP_COND_OPS.find((o) => o.name === op)!.code;

export const BPF_MOV64_IMM = (d: number, imm: number): Instruction => insn(0x07 | 0xb0, d, 0, 0, imm);
export const BPF_MOV32_IMM = (d: number, imm: number): Instruction => insn(0x04 | 0xb0, d, 0, 0, imm);
export const BPF_MOV64_REG = (d: number, s: number): Instruction => insn(0x07 | 0xb0 | 0x08, d, s);
export const BPF_MOV32_REG = (d: number, s: number): Instruction => insn(0x04 | 0xb0 | 0x08, d, s);
export const BPF_ALU64_IMM = (op: string, d: number, imm: number): Instruction => insn(0x07 | alu(op), d, 0, aluOff(op), imm);
export const BPF_ALU64_REG = (op: string, d: number, s: number): Instruction => insn(0x07 | alu(op) | 0x08, d, s, aluOff(op));
export const BPF_ALU32_IMM = (op: string, d: number, imm: number): Instruction => insn(0x04 | alu(op), d, 0, aluOff(op), imm);
export const BPF_ALU32_REG = (op: string, d: number, s: number): Instruction => insn(0x04 | alu(op) | 0x08, d, s, aluOff(op));
export const BPF_NEG64 = (d: number): Instruction => insn(0x87, d);
export const BPF_ENDIAN = (be: boolean, d: number, bits: number): Instruction => insn(0xd4 | (be ? 8 : 0), d, 0, 0, bits);
export const BPF_LDX_MEM = (sz: Size, d: number, s: number, off: number): Instruction => insn(0x61 | SIZE[sz], d, s, off);
export const BPF_LDX_MEMSX = (sz: Size, d: number, s: number, off: number): Instruction => insn(0x81 | SIZE[sz], d, s, off);
export const BPF_STX_MEM = (sz: Size, d: number, s: number, off: number): Instruction => insn(0x63 | SIZE[sz], d, s, off);
export const BPF_ST_MEM = (sz: Size, d: number, off: number, imm: number): Instruction => insn(0x62 | SIZE[sz], d, 0, off, imm);
export const BPF_ATOMIC_OP = (sz: 'w' | 'dw', op: string, d: number, s: number, off: number): Instruction =>
  insn(0xc3 | SIZE[sz], d, s, off, ATOMIC_OPS.find((o) => o.name === op)!.imm);
export const BPF_JMP_IMM = (op: string, d: number, imm: number, off: number): Instruction => insn(0x05 | jmp(op), d, 0, off, imm);
export const BPF_JMP_REG = (op: string, d: number, s: number, off: number): Instruction => insn(0x05 | jmp(op) | 0x08, d, s, off);
export const BPF_JMP32_IMM = (op: string, d: number, imm: number, off: number): Instruction => insn(0x06 | jmp(op), d, 0, off, imm);
export const BPF_JMP32_REG = (op: string, d: number, s: number, off: number): Instruction => insn(0x06 | jmp(op) | 0x08, d, s, off);
export const BPF_JMP_A = (off: number): Instruction => insn(0x05, 0, 0, off);
export const BPF_LD_IMM64 = (d: number, v: bigint): Instruction => lddw(d, v);
/** lddw of map number `m` of the case (BPF_PSEUDO_MAP_FD). */
export const BPF_LD_MAP_FD = (d: number, m: number): Instruction => insn(OP_LDDW, d, 1, 0, m, 0);
/** lddw of a pointer into map `m`'s value at `off` (BPF_PSEUDO_MAP_VALUE). */
export const BPF_LD_MAP_VALUE = (d: number, m: number, off: number): Instruction => insn(OP_LDDW, d, 2, 0, m, off);
/** lddw of a subprogram address (BPF_PSEUDO_FUNC), `off` relative to the next slot. */
export const BPF_LD_FUNC = (d: number, off: number): Instruction => insn(OP_LDDW, d, 4, 0, off, 0);
export const BPF_EMIT_CALL = (id: number): Instruction => insn(0x85, 0, 0, 0, id);
export const BPF_CALL_REL = (off: number): Instruction => insn(0x85, 0, 1, 0, off);
export const BPF_EXIT_INSN = (): Instruction => insn(0x95);
export const BPF_RAW_INSN = (code: number, d: number, s: number, off: number, imm: number): Instruction => insn(code, d, s, off, imm);

/** A map of a corpus case, as `bpf_map_create` takes it. */
export interface CaseMap {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags?: number;
}

/** One verifier corpus case. */
export interface Case {
  name: string;
  insns: Instruction[];
  maps?: CaseMap[];
  /** What it exercises (documentation only). */
  note?: string;
}

/** The case as a ProgramSpec + MapSpecs for xdpts. */
export function toSpec(c: Case): { prog: ProgramSpec; maps: MapSpec[] } {
  const maps: MapSpec[] = (c.maps ?? []).map((m, k) => ({
    name: `m${k}`, type: m.type, keySize: m.keySize, valueSize: m.valueSize, maxEntries: m.maxEntries,
    flags: m.flags ?? 0, pinning: 0, keyTypeId: 0, valueTypeId: 0, section: '.maps',
  }));
  const references = new Map<number, InsnReference>();
  c.insns.forEach((i, k) => {
    if (i.opcode === OP_LDDW && (i.src === 1 || i.src === 2)) {
      references.set(k, { kind: 'map', map: `m${i.imm}`, value: i.src === 2, offset: i.src === 2 ? (i.imm2 ?? 0) : 0 });
    }
  });
  const prog: ProgramSpec = {
    name: c.name, section: 'xdp', type: 6, attachType: 37, insns: c.insns, references,
    lineInfo: new Map(), subprograms: [], license: 'GPL', btfFuncId: 0,
  };
  return { prog, maps };
}

/** The case in bpf-verify.c's input format. */
export function toLoaderInput(c: Case): string {
  const out = [`prog ${c.name}`];
  for (const m of c.maps ?? []) out.push(`map ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags ?? 0}`);
  for (const i of c.insns) {
    out.push(`insn ${i.opcode} ${i.dst} ${i.src} ${i.off} ${i.imm}`);
    if (i.opcode === OP_LDDW) out.push(`insn 0 0 0 0 ${i.src === 2 ? (i.imm2 ?? 0) : (i.imm2 ?? 0)}`);
  }
  out.push('end');
  return out.join('\n') + '\n';
}
