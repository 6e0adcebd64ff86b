/**
 * The eBPF instruction set as data (RFC 9669, "BPF Instruction Set Architecture", with the
 * v4 additions: sdiv/smod, movsx, ldsx, bswap, gotol). Every other part of xdpts reads these
 * tables; inverse maps are computed here, never typed twice.
 *
 * Opcode byte layout (RFC 9669 §3):
 *
 *   ALU/JMP:   +--------+----+-------+      load/store: +------+------+-------+
 *              |  code  | s  | class |                  | mode | size | class |
 *              +--------+----+-------+                  +------+------+-------+
 *               7..4     3    2..0                        7..5   4..3   2..0
 */

/** Instruction classes (RFC 9669 §3.1). */
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

/** Source operand bit (RFC 9669 §3.2): K = immediate, X = src register. */
export const BPF_K = 0x00;
export const BPF_X = 0x08;

/** Load/store size modifiers (RFC 9669 §5.1). */
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

/** Load/store mode modifiers (RFC 9669 §5.1). ABS/IND are the legacy packet loads. */
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

/** Byte-swap direction in the source bit of BPF_END (RFC 9669 §4.2). */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

/** Atomic operations in the imm field (RFC 9669 §5.3). */
export const BPF_FETCH = 0x01;
export const BPF_ATOMIC_ADD = 0x00;
export const BPF_ATOMIC_OR = 0x40;
export const BPF_ATOMIC_AND = 0x50;
export const BPF_ATOMIC_XOR = 0xa0;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

/** src_reg values of the 64-bit immediate load (RFC 9669 §5.4; kernel uapi BPF_PSEUDO_*). */
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

/** src_reg values of BPF_CALL (RFC 9669 §4.3.1). */
export const BPF_CALL_HELPER = 0;
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** The 8-bit opcode of the wide immediate load `lddw` (BPF_LD | BPF_IMM | BPF_DW). */
export const OP_LDDW = BPF_LD | BPF_IMM | BPF_DW;

/** Register numbers. r10 is the read-only frame pointer. */
export const R0 = 0;
export const R10 = 10;
export const MAX_REG = 10;

/** An arithmetic operation of the ALU/ALU64 classes. */
export interface AluOp {
  /** uBPF mnemonic stem (`add`, `sdiv`...) — also the canonical name used across xdpts. */
  readonly name: string;
  /** The code nibble, already shifted into bits 7..4. */
  readonly code: number;
  /** The `off` field that selects this variant (sdiv/smod use 1; 0 otherwise). */
  readonly off: number;
  /** LLVM's compound-assignment operator (`+=`); undefined for neg/mov/end (printed specially). */
  readonly llvm?: string;
}

/** ALU operations (RFC 9669 §4.1 Table 5). */
export const ALU_OPS: readonly AluOp[] = [
  { name: 'add', code: 0x00, off: 0, llvm: '+=' },
  { name: 'sub', code: 0x10, off: 0, llvm: '-=' },
  { name: 'mul', code: 0x20, off: 0, llvm: '*=' },
  { name: 'div', code: 0x30, off: 0, llvm: '/=' },
  { name: 'sdiv', code: 0x30, off: 1, llvm: 's/=' },
  { name: 'or', code: 0x40, off: 0, llvm: '|=' },
  { name: 'and', code: 0x50, off: 0, llvm: '&=' },
  { name: 'lsh', code: 0x60, off: 0, llvm: '<<=' },
  { name: 'rsh', code: 0x70, off: 0, llvm: '>>=' },
  { name: 'neg', code: 0x80, off: 0 },
  { name: 'mod', code: 0x90, off: 0, llvm: '%=' },
  { name: 'smod', code: 0x90, off: 1, llvm: 's%=' },
  { name: 'xor', code: 0xa0, off: 0, llvm: '^=' },
  { name: 'mov', code: 0xb0, off: 0 },
  { name: 'arsh', code: 0xc0, off: 0, llvm: 's>>=' },
];
export const ALU_NEG = 0x80;
export const ALU_MOV = 0xb0;
export const ALU_END = 0xd0;

/** A jump condition of the JMP/JMP32 classes. */
export interface JmpOp {
  readonly name: string;
  readonly code: number;
  /** LLVM's comparison operator (`==`, `s>`, `&`). */
  readonly llvm: string;
  /** Signed comparison. */
  readonly signed: boolean;
}

/** Conditional jumps (RFC 9669 §4.3 Table 7). */
export const JMP_COND_OPS: readonly JmpOp[] = [
  { name: 'jeq', code: 0x10, llvm: '==', signed: false },
  { name: 'jgt', code: 0x20, llvm: '>', signed: false },
  { name: 'jge', code: 0x30, llvm: '>=', signed: false },
  { name: 'jset', code: 0x40, llvm: '&', signed: false },
  { name: 'jne', code: 0x50, llvm: '!=', signed: false },
  { name: 'jsgt', code: 0x60, llvm: 's>', signed: true },
  { name: 'jsge', code: 0x70, llvm: 's>=', signed: true },
  { name: 'jlt', code: 0xa0, llvm: '<', signed: false },
  { name: 'jle', code: 0xb0, llvm: '<=', signed: false },
  { name: 'jslt', code: 0xc0, llvm: 's<', signed: true },
  { name: 'jsle', code: 0xd0, llvm: 's<=', signed: true },
];
export const JMP_JA = 0x00;
export const JMP_CALL = 0x80;
export const JMP_EXIT = 0x90;
/** LLVM 19's `may_goto` (BPF_JMP | BPF_JCOND, kernel 6.9+). */
export const JMP_JCOND = 0xe0;

/** A load/store access size. */
export interface MemSize {
  readonly code: number;
  readonly bytes: 1 | 2 | 4 | 8;
  /** uBPF suffix: b, h, w, dw. */
  readonly suffix: 'b' | 'h' | 'w' | 'dw';
  /** LLVM unsigned type: u8..u64. */
  readonly llvm: 'u8' | 'u16' | 'u32' | 'u64';
  /** LLVM signed type: s8..s64 (for ldsx). */
  readonly llvmSigned: 's8' | 's16' | 's32' | 's64';
}

/** Access sizes (RFC 9669 §5.1). */
export const MEM_SIZES: readonly MemSize[] = [
  { code: BPF_B, bytes: 1, suffix: 'b', llvm: 'u8', llvmSigned: 's8' },
  { code: BPF_H, bytes: 2, suffix: 'h', llvm: 'u16', llvmSigned: 's16' },
  { code: BPF_W, bytes: 4, suffix: 'w', llvm: 'u32', llvmSigned: 's32' },
  { code: BPF_DW, bytes: 8, suffix: 'dw', llvm: 'u64', llvmSigned: 's64' },
];

/** An atomic operation (imm field of BPF_STX | BPF_ATOMIC). */
export interface AtomicOp {
  readonly name: string;
  readonly imm: number;
  /** The ALU operation applied (undefined for xchg/cmpxchg). */
  readonly alu?: 'add' | 'or' | 'and' | 'xor';
  readonly fetch: boolean;
  /** LLVM's operator for the non-fetch form (`+=`, `|=`...). */
  readonly llvm?: string;
}

/** Atomic operations (RFC 9669 §5.3 Tables 10-11). */
export const ATOMIC_OPS: readonly AtomicOp[] = [
  { name: 'add', imm: BPF_ATOMIC_ADD, alu: 'add', fetch: false, llvm: '+=' },
  { name: 'or', imm: BPF_ATOMIC_OR, alu: 'or', fetch: false, llvm: '|=' },
  { name: 'and', imm: BPF_ATOMIC_AND, alu: 'and', fetch: false, llvm: '&=' },
  { name: 'xor', imm: BPF_ATOMIC_XOR, alu: 'xor', fetch: false, llvm: '^=' },
  { name: 'fetch_add', imm: BPF_ATOMIC_ADD | BPF_FETCH, alu: 'add', fetch: true },
  { name: 'fetch_or', imm: BPF_ATOMIC_OR | BPF_FETCH, alu: 'or', fetch: true },
  { name: 'fetch_and', imm: BPF_ATOMIC_AND | BPF_FETCH, alu: 'and', fetch: true },
  { name: 'fetch_xor', imm: BPF_ATOMIC_XOR | BPF_FETCH, alu: 'xor', fetch: true },
  { name: 'xchg', imm: BPF_XCHG, fetch: true },
  { name: 'cmpxchg', imm: BPF_CMPXCHG, fetch: true },
];

/** Looks an ALU operation up by (code, off); undefined if none. */
export function aluOpOf(code: number, off: number): AluOp | undefined {
  return ALU_BY_CODE_OFF.get((code << 16) | (off & 0xffff));
}
const ALU_BY_CODE_OFF = new Map(ALU_OPS.map((o) => [(o.code << 16) | o.off, o] as const));

/** Looks a conditional jump up by its code; undefined if none. */
export function jmpCondOf(code: number): JmpOp | undefined {
  return JMP_BY_CODE.get(code);
}
const JMP_BY_CODE = new Map(JMP_COND_OPS.map((o) => [o.code, o] as const));

/** Looks an access size up by its code. */
export function memSizeOf(code: number): MemSize {
  return MEM_SIZES.find((s) => s.code === (code & 0x18))!;
}

/** Looks an atomic operation up by its imm; undefined if none. */
export function atomicOpOf(imm: number): AtomicOp | undefined {
  return ATOMIC_BY_IMM.get(imm);
}
const ATOMIC_BY_IMM = new Map(ATOMIC_OPS.map((o) => [o.imm, o] as const));

/** The by-name lookups the parsers use. */
export const ALU_BY_NAME: ReadonlyMap<string, AluOp> = new Map(ALU_OPS.map((o) => [o.name, o]));
export const JMP_BY_NAME: ReadonlyMap<string, JmpOp> = new Map(JMP_COND_OPS.map((o) => [o.name, o]));
export const JMP_BY_LLVM: ReadonlyMap<string, JmpOp> = new Map(JMP_COND_OPS.map((o) => [o.llvm, o]));
export const ATOMIC_BY_NAME: ReadonlyMap<string, AtomicOp> = new Map(ATOMIC_OPS.map((o) => [o.name, o]));
