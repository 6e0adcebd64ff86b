/**
 * The LLVM instruction syntax, as `llvm-objdump -d` prints it and `llvm-mc -triple bpf`
 * accepts it (llvm/lib/Target/BPF/BPFInstrInfo.td asm strings, AsmParser/BPFAsmParser.cpp):
 * `r0 = 1`, `w1 += w2`, `r1 = *(u32 *)(r1 + 4)`, `if r0 == 0 goto +2`, `r1 = map ll`,
 * `lock *(u64 *)(r0 + 0) += r1`, `r0 = atomic_fetch_add((u64 *)(r1 + 0), r0)`...
 *
 * Immediates follow llvm-mc: any value that fits in 64 bits is accepted for a 32-bit immediate
 * and truncated to its low 32 bits (`r0 = 0xffffffff` is `r0 = -1`); offsets must be signed
 * 16-bit. xdpts is stricter than llvm-mc in two ways the kernel verifier would refuse anyway:
 * `r11` is not a register, and r10 (the read-only frame pointer) cannot be written.
 */
import {
  ALU_END,
  ALU_MOV,
  ALU_NEG,
  ALU_OPS,
  ATOMIC_OPS,
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_DW,
  BPF_IND,
  BPF_JMP,
  BPF_JMP32,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_ST,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  BPF_CMPXCHG,
  BPF_XCHG,
  JMP_BY_LLVM,
  JMP_CALL,
  JMP_EXIT,
  JMP_JA,
  JMP_JCOND,
  MEM_SIZES,
  OP_LDDW,
  type MemSize,
} from '../isa';
import { insn, type Instruction } from '../isa';
import type { ParseResult, SymbolicOperand } from './parsed';
import { isOp, isWord, tokenize, type Token } from './lexer';
import { evalLinear, parseExpr } from './expr';

/** A register operand: number and width (`r` 64-bit, `w` 32-bit). */
interface Reg {
  readonly n: number;
  readonly w: boolean;
  readonly col: number;
}

/** Thrown internally to abort a parse with a column; never escapes this module. */
class Fail {
  constructor(
    readonly col: number,
    readonly message: string,
  ) {}
}

const ALU_BY_LLVM = new Map(ALU_OPS.filter((o) => o.llvm).map((o) => [o.llvm!, o] as const));
const ATOMIC_BY_LLVM = new Map(ATOMIC_OPS.filter((o) => o.llvm).map((o) => [o.llvm!, o] as const));
const SIZE_BY_U = new Map(MEM_SIZES.map((s) => [s.llvm, s] as const));
const SIZE_BY_S = new Map(MEM_SIZES.filter((s) => s.bytes < 8).map((s) => [s.llvmSigned, s] as const));
const NEG_UINT64_MAX = -((1n << 64n) - 1n);
const UINT64_MAX = (1n << 64n) - 1n;

/** Every mnemonic-like word the LLVM syntax knows, for "did you mean" suggestions. */
export const LLVM_KEYWORDS: readonly string[] = [
  'exit', 'call', 'callx', 'goto', 'gotol', 'may_goto', 'if', 'lock', 'll', 'skb',
  'be16', 'be32', 'be64', 'le16', 'le32', 'le64', 'bswap16', 'bswap32', 'bswap64',
  'xchg_64', 'xchg32_32', 'cmpxchg_64', 'cmpxchg32_32', 'addr_space_cast',
  ...ATOMIC_OPS.filter((o) => o.fetch && o.alu).flatMap((o) => [`atomic_${o.name}`]),
];

/** Cursor over the tokens of one statement. */
class Cursor {
  i = 0;
  constructor(
    readonly toks: readonly Token[],
    readonly endCol: number,
  ) {}
  peek(k = 0): Token | undefined {
    return this.toks[this.i + k];
  }
  next(): Token | undefined {
    return this.toks[this.i++];
  }
  col(): number {
    return this.peek()?.col ?? this.endCol;
  }
  op(text: string): void {
    const t = this.peek();
    if (!isOp(t, text)) throw new Fail(this.col(), t ? 'invalid operand for instruction' : `expected '${text}'`);
    this.i++;
  }
  word(text: string): void {
    if (!isWord(this.peek(), text)) throw new Fail(this.col(), 'invalid operand for instruction');
    this.i++;
  }
  end(): void {
    const t = this.peek();
    if (t) throw new Fail(t.col, 'invalid operand for instruction');
  }
  /** A register `rN`/`wN`. */
  reg(): Reg {
    const r = regOf(this.peek());
    if (!r) {
      const t = this.peek();
      if (t && t.kind === 'ident' && /^[rw]\d+$/i.test(t.text)) throw new Fail(t.col, `invalid register '${t.text}'`);
      throw new Fail(this.col(), 'invalid operand for instruction');
    }
    this.i++;
    return r;
  }
  /** A constant expression (the rest of an operand); returns the exact value. */
  constant(stop: (t: Token) => boolean = () => false): { value: bigint; col: number } {
    const start = this.i;
    let end = start;
    while (end < this.toks.length && !stop(this.toks[end]!)) end++;
    const slice = this.toks.slice(start, end);
    const col = this.col();
    if (slice.length === 0) throw new Fail(col, 'unexpected token');
    // BPFAsmParser::parseImmediate starts an expression only at an integer, identifier, + or -.
    const first = slice[0]!;
    if (first.kind === 'op' && first.text !== '-' && first.text !== '+') {
      throw new Fail(col, first.text === '(' ? 'invalid operand for instruction' : 'unexpected token');
    }
    const p = parseExpr(slice, 0);
    if ('message' in p) throw new Fail(p.col, p.message);
    if (p.next !== slice.length) throw new Fail(slice[p.next]!.col, 'invalid operand for instruction');
    const v = evalLinear(p.expr, () => undefined);
    if ('message' in v) throw new Fail(v.col, v.message);
    if (v.terms.size) throw new Fail(col, 'expected a constant');
    if (v.constant < NEG_UINT64_MAX || v.constant > UINT64_MAX) throw new Fail(col, 'unexpected token');
    this.i = end;
    return { value: v.constant, col };
  }
}

function regOf(t: Token | undefined): Reg | undefined {
  if (!t || t.kind !== 'ident') return undefined;
  const m = /^([rw])(\d{1,2})$/i.exec(t.text);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (n > 10 || (m[2]!.length > 1 && m[2]![0] === '0')) return undefined;
  return { n, w: m[1]!.toLowerCase() === 'w', col: t.col };
}

/** The low 32 bits of a value as a signed int32 (llvm-mc's truncation of imm32 operands). */
function imm32(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

function off16(v: bigint, col: number): number {
  if (v < -32768n || v > 32767n) throw new Fail(col, 'operand is not a 16-bit signed integer');
  return Number(v);
}

/** Writes to the frame pointer are refused: the kernel verifier says "frame pointer is read only". */
function writable(r: Reg): Reg {
  if (r.n === 10) throw new Fail(r.col, 'register r10 is the read-only frame pointer and cannot be written');
  return r;
}

/**
 * Parses one LLVM-syntax instruction. Columns in a failure are 1-based within `text`.
 * Symbolic operands (labels, `call name`, `name ll`) are returned unresolved.
 */
export function parseLlvmInstruction(text: string): ParseResult {
  const toks = tokenize(text);
  if (!Array.isArray(toks)) return { ok: false, col: toks.col, message: toks.message };
  if (toks.length === 0) return { ok: false, col: 1, message: 'empty instruction' };
  const c = new Cursor(toks, text.length + 1);
  try {
    const r = parseStatement(c);
    c.end();
    return r.operand ? { ok: true, insn: r.insn, operand: r.operand } : { ok: true, insn: r.insn };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, col: e.col, message: e.message };
    throw e;
  }
}

interface Parsed {
  insn: Instruction;
  operand?: SymbolicOperand;
}

function parseStatement(c: Cursor): Parsed {
  const t = c.peek()!;
  const word = t.kind === 'ident' ? t.text.toLowerCase() : '';
  if (word === 'exit') {
    c.next();
    return { insn: insn(BPF_JMP | JMP_EXIT) };
  }
  if (word === 'call') {
    c.next();
    const n = c.peek();
    if (n && n.kind === 'ident' && !regOf(n)) {
      c.next();
      return { insn: insn(BPF_JMP | JMP_CALL, 0, 0, 0, 0), operand: { kind: 'call', label: n.text } };
    }
    const v = c.constant();
    return { insn: insn(BPF_JMP | JMP_CALL, 0, 0, 0, imm32(v.value)) };
  }
  if (word === 'callx') {
    c.next();
    const r = c.reg();
    if (r.w) throw new Fail(r.col, 'invalid operand for instruction');
    return { insn: insn(BPF_JMP | BPF_X | JMP_CALL, r.n) };
  }
  if (word === 'goto' || word === 'gotol' || word === 'may_goto') {
    c.next();
    const op = word === 'goto' ? BPF_JMP | JMP_JA : word === 'gotol' ? BPF_JMP32 | JMP_JA : BPF_JMP | JMP_JCOND;
    return jumpTarget(c, insn(op), word === 'gotol');
  }
  if (word === 'if') {
    c.next();
    const a = c.reg();
    const opTok = c.next();
    const cond = opTok && opTok.kind === 'op' ? JMP_BY_LLVM.get(opTok.text) : undefined;
    if (!cond) throw new Fail(opTok?.col ?? c.endCol, 'invalid operand for instruction');
    const cls = a.w ? BPF_JMP32 : BPF_JMP;
    const b = regOf(c.peek());
    let i: Instruction;
    if (b) {
      c.next();
      if (b.w !== a.w) throw new Fail(b.col, 'invalid operand for instruction');
      i = insn(cls | cond.code | BPF_X, a.n, b.n);
    } else {
      const v = c.constant((x) => isWord(x, 'goto'));
      i = insn(cls | cond.code, a.n, 0, 0, imm32(v.value));
    }
    c.word('goto');
    return jumpTarget(c, i, false);
  }
  if (word === 'lock') {
    c.next();
    const m = memRef(c, false);
    const opTok = c.next();
    const aop = opTok && opTok.kind === 'op' ? ATOMIC_BY_LLVM.get(opTok.text) : undefined;
    if (!aop) throw new Fail(opTok?.col ?? c.endCol, 'invalid operand for instruction');
    if (m.size.bytes < 4) throw new Fail(m.sizeCol, 'invalid operand for instruction');
    const s = c.reg();
    if (s.w && m.size.bytes === 8) throw new Fail(s.col, 'invalid operand for instruction');
    return { insn: insn(BPF_STX | BPF_ATOMIC | m.size.code, m.base.n, s.n, m.off, aop.imm) };
  }
  if (isOp(t, '*')) {
    const m = memRef(c, false);
    c.op('=');
    const s = regOf(c.peek());
    if (s) {
      c.next();
      if (s.w && m.size.bytes === 8) throw new Fail(s.col, 'invalid operand for instruction');
      return { insn: insn(BPF_STX | BPF_MEM | m.size.code, m.base.n, s.n, m.off) };
    }
    const v = c.constant();
    return { insn: insn(BPF_ST | BPF_MEM | m.size.code, m.base.n, 0, m.off, imm32(v.value)) };
  }
  const d = regOf(t);
  if (!d) {
    if (t.kind === 'ident' && /^[rw]\d+$/i.test(t.text)) throw new Fail(t.col, `invalid register '${t.text}'`);
    throw new Fail(t.col, t.kind === 'ident' ? `unknown instruction '${t.text}'` : 'unexpected token at start of statement');
  }
  c.next();
  const opTok = c.next();
  if (!opTok || opTok.kind !== 'op') throw new Fail(opTok?.col ?? c.endCol, 'unexpected token');
  const cls = d.w ? BPF_ALU : BPF_ALU64;
  if (opTok.text !== '=') {
    const alu = ALU_BY_LLVM.get(opTok.text);
    if (!alu) throw new Fail(opTok.col, 'invalid operand for instruction');
    writable(d);
    const s = regOf(c.peek());
    if (s) {
      c.next();
      if (s.w !== d.w) throw new Fail(s.col, 'invalid operand for instruction');
      return { insn: insn(cls | alu.code | BPF_X, d.n, s.n, alu.off) };
    }
    const v = c.constant();
    return { insn: insn(cls | alu.code, d.n, 0, alu.off, imm32(v.value)) };
  }
  return parseAssign(c, d);
}

/** `dst = ...`: mov, neg, movsx, loads, byte swaps, fetching atomics, lddw, addr_space_cast. */
function parseAssign(c: Cursor, d: Reg): Parsed {
  const cls = d.w ? BPF_ALU : BPF_ALU64;
  const t = c.peek();
  if (!t) throw new Fail(c.endCol, 'unexpected token');
  const word = t.kind === 'ident' ? t.text.toLowerCase() : '';
  // r1 = -r1 (neg): the operand must be the destination itself ("additional inst constraint").
  if (isOp(t, '-') && regOf(c.peek(1))) {
    c.next();
    const s = c.reg();
    if (s.w !== d.w) throw new Fail(s.col, 'invalid operand for instruction');
    if (s.n !== d.n) throw new Fail(d.col, 'additional inst constraint not met');
    writable(d);
    return { insn: insn(cls | ALU_NEG, d.n) };
  }
  // r1 = (s8)r2 (movsx); `(` followed by a size type.
  if (isOp(t, '(') && c.peek(1)?.kind === 'ident' && SIZE_BY_S.has(c.peek(1)!.text.toLowerCase() as never)) {
    c.next();
    const sizeTok = c.next()!;
    const bits = SIZE_BY_S.get(sizeTok.text.toLowerCase() as never)!.bytes * 8;
    c.op(')');
    const s = c.reg();
    if (s.w !== d.w || (d.w && bits === 32)) throw new Fail(s.col, 'invalid operand for instruction');
    writable(d);
    return { insn: insn(cls | ALU_MOV | BPF_X, d.n, s.n, bits) };
  }
  if (isOp(t, '*')) {
    // Legacy packet loads `r0 = *(u8 *)skb[4]` / `skb[r1]` (BPF_ABS/BPF_IND).
    if (isWord(c.peek(5), 'skb')) {
      c.next();
      c.op('(');
      const sz = c.next();
      const size = sz && sz.kind === 'ident' ? SIZE_BY_U.get(sz.text.toLowerCase() as never) : undefined;
      if (!size || size.bytes === 8) throw new Fail(sz?.col ?? c.endCol, 'invalid operand for instruction');
      c.op('*');
      c.op(')');
      if (d.n !== 0 || d.w) throw new Fail(c.col(), 'invalid operand for instruction');
      c.word('skb');
      c.op('[');
      const r = regOf(c.peek());
      if (r) {
        c.next();
        if (r.w) throw new Fail(r.col, 'invalid operand for instruction');
        c.op(']');
        return { insn: insn(BPF_LD | BPF_IND | size.code, 0, r.n) };
      }
      const v = c.constant((x) => isOp(x, ']'));
      c.op(']');
      return { insn: insn(BPF_LD | BPF_ABS | size.code, 0, 0, 0, imm32(v.value)) };
    }
    const m = memRef(c, true);
    if (d.w && (m.signed || m.size.bytes === 8)) throw new Fail(m.sizeCol, 'invalid operand for instruction');
    writable(d);
    const mode = m.signed ? BPF_MEMSX : BPF_MEM;
    return { insn: insn(BPF_LDX | mode | m.size.code, d.n, m.base.n, m.off) };
  }
  const swap = /^(be|le|bswap)(16|32|64)$/.exec(word);
  if (swap) {
    c.next();
    const s = c.reg();
    if (d.w) throw new Fail(t.col, 'invalid operand for instruction');
    if (s.w) throw new Fail(s.col, 'invalid operand for instruction');
    if (s.n !== d.n) throw new Fail(d.col, 'additional inst constraint not met');
    writable(d);
    const op =
      swap[1] === 'bswap' ? BPF_ALU64 | ALU_END : BPF_ALU | ALU_END | (swap[1] === 'be' ? BPF_TO_BE : BPF_TO_LE);
    return { insn: insn(op, d.n, 0, 0, Number(swap[2])) };
  }
  const fetch = /^atomic_fetch_(add|or|and|xor)$/.exec(word);
  if (fetch) {
    c.next();
    c.op('(');
    const m = memRef(c, false);
    c.op(',');
    const s = c.reg();
    c.op(')');
    const want8 = m.size.bytes === 8;
    if (m.size.bytes < 4) throw new Fail(m.sizeCol, 'invalid operand for instruction');
    if (d.w === want8) throw new Fail(m.sizeCol, 'invalid operand for instruction');
    if (s.w === want8) throw new Fail(s.col, 'invalid operand for instruction');
    if (s.n !== d.n) throw new Fail(d.col, 'additional inst constraint not met');
    writable(d);
    const op = ATOMIC_OPS.find((o) => o.name === `fetch_${fetch[1]}`)!;
    return { insn: insn(BPF_STX | BPF_ATOMIC | m.size.code, m.base.n, s.n, m.off, op.imm) };
  }
  const xchg = /^(xchg|cmpxchg)(_64|32_32)$/.exec(word);
  if (xchg) {
    c.next();
    const is64 = xchg[2] === '_64';
    if (d.w === is64) throw new Fail(d.col, 'invalid operand for instruction');
    c.op('(');
    const base = c.reg();
    if (base.w) throw new Fail(base.col, 'invalid operand for instruction');
    const off = offset(c);
    c.op(',');
    const a = c.reg();
    if (a.w === is64) throw new Fail(a.col, 'invalid operand for instruction');
    const size = is64 ? BPF_DW : BPF_W;
    if (xchg[1] === 'xchg') {
      c.op(')');
      if (a.n !== d.n) throw new Fail(d.col, 'additional inst constraint not met');
      writable(d);
      return { insn: insn(BPF_STX | BPF_ATOMIC | size, base.n, a.n, off, BPF_XCHG) };
    }
    // cmpxchg compares with and returns into r0 (RFC 9669 §5.3.2).
    if (d.n !== 0) throw new Fail(d.col, 'invalid operand for instruction');
    if (a.n !== 0) throw new Fail(a.col, 'invalid operand for instruction');
    c.op(',');
    const s = c.reg();
    if (s.w === is64) throw new Fail(s.col, 'invalid operand for instruction');
    c.op(')');
    return { insn: insn(BPF_STX | BPF_ATOMIC | size, base.n, s.n, off, BPF_CMPXCHG) };
  }
  if (word === 'addr_space_cast') {
    c.next();
    if (d.w) throw new Fail(d.col, 'invalid operand for instruction');
    c.op('(');
    const s = c.reg();
    if (s.w) throw new Fail(s.col, 'invalid operand for instruction');
    c.op(',');
    const a = c.constant((x) => isOp(x, ','));
    c.op(',');
    const b = c.constant((x) => isOp(x, ')'));
    c.op(')');
    writable(d);
    // LLVM packs the two address spaces as imm = dst_as << 16 | src_as (BPFInstrInfo.td ADDR_SPACE_CAST).
    const imm = (Number(BigInt.asUintN(16, a.value)) << 16) | Number(BigInt.asUintN(16, b.value));
    return { insn: insn(BPF_ALU64 | ALU_MOV | BPF_X, d.n, s.n, 1, imm) };
  }
  const s = regOf(t);
  if (s) {
    c.next();
    if (s.w !== d.w) throw new Fail(s.col, 'invalid operand for instruction');
    writable(d);
    return { insn: insn(cls | ALU_MOV | BPF_X, d.n, s.n) };
  }
  // `r1 = 0x1122334455667788 ll` / `r1 = map ll` / `r1 = map + 8 ll`: lddw.
  const llAt = c.toks.findIndex((x, k) => k >= c.i && x.kind === 'ident' && x.text === 'll');
  if (llAt >= 0) {
    if (d.w) throw new Fail(c.toks[llAt]!.col, 'invalid operand for instruction');
    writable(d);
    const slice = c.toks.slice(c.i, llAt);
    const p = parseExpr(slice, 0);
    if ('message' in p) throw new Fail(p.col, p.message);
    if (p.next !== slice.length) throw new Fail(slice[p.next]!.col, 'invalid operand for instruction');
    const v = evalLinear(p.expr, () => undefined);
    if ('message' in v) throw new Fail(v.col, v.message);
    c.i = llAt + 1;
    if (v.terms.size === 0) {
      if (v.constant < NEG_UINT64_MAX || v.constant > UINT64_MAX) throw new Fail(t.col, 'unexpected token');
      const u = BigInt.asUintN(64, v.constant);
      return {
        insn: insn(OP_LDDW, d.n, 0, 0, Number(BigInt.asIntN(32, u)), Number(BigInt.asIntN(32, u >> 32n))),
      };
    }
    const [[name, coeff]] = [...v.terms];
    if (v.terms.size !== 1 || coeff !== 1n) throw new Fail(t.col, 'expected relocatable expression');
    return {
      insn: insn(OP_LDDW, d.n, 0, 0, 0, 0),
      operand: { kind: 'symbol', name: name!, addend: Number(BigInt.asIntN(32, v.constant)) },
    };
  }
  const v = c.constant();
  writable(d);
  return { insn: insn(cls | ALU_MOV, d.n, 0, 0, imm32(v.value)) };
}

/** `+N`, `-N`, `N` or a label, into `off` (or `imm` for gotol). */
function jumpTarget(c: Cursor, i: Instruction, long: boolean): Parsed {
  const t = c.peek();
  const bad = 'operand is not an identifier or 16-bit signed integer';
  if (!t) throw new Fail(c.endCol, bad);
  if (t.kind === 'ident' && !regOf(t)) {
    c.next();
    return { insn: i, operand: { kind: 'jump', label: t.text } };
  }
  let neg = false;
  if (isOp(t, '+') || isOp(t, '-')) {
    neg = t.text === '-';
    c.next();
  }
  const n = c.next();
  if (!n || n.kind !== 'number') throw new Fail(t.col, bad);
  const v = neg ? -n.value! : n.value!;
  // llvm-mc 19 takes only 16-bit literals even for gotol; xdpts accepts gotol's whole imm32 range.
  if (long) {
    if (v < -(1n << 31n) || v >= 1n << 31n) throw new Fail(t.col, 'operand is not an identifier or 32-bit signed integer');
    return { insn: insn(i.opcode, i.dst, i.src, i.off, Number(v)) };
  }
  if (v < -32768n || v > 32767n) throw new Fail(t.col, bad);
  return { insn: insn(i.opcode, i.dst, i.src, Number(v), i.imm) };
}

/** `(rN + off)` / `(rN - off)`: the offset after the base register. */
function offset(c: Cursor): number {
  const t = c.peek();
  if (!isOp(t, '+') && !isOp(t, '-')) throw new Fail(c.col(), 'operand is not a 16-bit signed integer');
  c.next();
  const n = c.peek();
  if (!n || n.kind !== 'number') throw new Fail(t!.col, 'operand is not a 16-bit signed integer');
  c.next();
  return off16(t!.text === '-' ? -n.value! : n.value!, t!.col);
}

/** `*(u32 *)(r1 + 4)` (or, for `allowSigned`, `*(s16 *)(...)`). */
function memRef(
  c: Cursor,
  allowSigned: boolean,
): { size: MemSize; signed: boolean; sizeCol: number; base: Reg; off: number } {
  if (isOp(c.peek(), '*')) c.next();
  else if (!isOp(c.peek(), '(')) throw new Fail(c.col(), 'invalid operand for instruction');
  c.op('(');
  const sz = c.next();
  const name = sz && sz.kind === 'ident' ? sz.text.toLowerCase() : '';
  let size = SIZE_BY_U.get(name as never);
  let signed = false;
  if (!size && allowSigned) {
    size = SIZE_BY_S.get(name as never);
    signed = size !== undefined;
  }
  if (!size) throw new Fail(sz?.col ?? c.endCol, sz && /^s64$/i.test(sz.text) ? 'unknown token in expression' : 'invalid operand for instruction');
  c.op('*');
  c.op(')');
  c.op('(');
  const base = c.reg();
  if (base.w) throw new Fail(base.col, 'invalid operand for instruction');
  const off = offset(c);
  c.op(')');
  return { size, signed, sizeCol: sz!.col, base, off };
}
