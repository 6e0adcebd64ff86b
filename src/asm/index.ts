/**
 * Public surface of src/asm: the assembler (both syntaxes, directives, diagnostics), the
 * per-line instruction parsers, and the LLVM-syntax printer and llvm-objdump-style disassembler.
 */
export { assemble, type AssembleOptions, type AssembleResult } from './assembler';
export { detectDialect, UBPF_MNEMONICS, type Dialect } from './dialect';
export { parseLlvmInstruction, LLVM_KEYWORDS } from './llvm';
export { parseUbpfInstruction } from './ubpf';
export { splitStatements, tokenize, type Statement, type Token } from './lexer';
export { suggest, editDistance } from './suggest';
export { DIRECTIVES } from './directives';
export type { ParseResult, ParsedInstruction, ParseFailure, SymbolicOperand } from './parsed';
export { formatInstruction, formatOrUndefined, branchDisplacement, hexImm, UNKNOWN_TEXT, type FormatOptions } from './printer';
export { disassemble, type DisassembleOptions } from './disasm';
export { formatUbpf } from './ubpf-printer';
