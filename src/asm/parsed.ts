/**
 * What the per-line instruction parsers of both syntaxes (llvm.ts, ubpf.ts) return to the
 * assembler driver: an instruction whose symbolic parts (jump labels, call targets, map
 * references) are not resolved yet.
 */
import type { Instruction } from '../isa/instruction';

/** A symbolic operand the driver resolves after all labels are known. */
export type SymbolicOperand =
  /** Jump target label: the driver computes the offset (into `off`, or `imm` for gotol/ja32). */
  | { kind: 'jump'; label: string }
  /** `call label` / `call local label`: a bpf-to-bpf call, BPF_PSEUDO_CALL, R_BPF_64_32 relocation. */
  | { kind: 'call'; label: string }
  /** `r1 = name ll` / `lddw r1, name`: a map or global reference, R_BPF_64_64 relocation. */
  | { kind: 'symbol'; name: string; addend: number };

/** A successfully parsed instruction line. */
export interface ParsedInstruction {
  readonly ok: true;
  /** The instruction with symbolic fields left 0. */
  readonly insn: Instruction;
  readonly operand?: SymbolicOperand;
}

/** A parse failure: `col` is 1-based within the text given to the parser. */
export interface ParseFailure {
  readonly ok: false;
  readonly col: number;
  readonly message: string;
}

export type ParseResult = ParsedInstruction | ParseFailure;
