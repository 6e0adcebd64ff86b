/**
 * The per-line parser of the uBPF mnemonic syntax, the one of the uBPF VM's assembler and of the
 * BPF conformance suite (iovisor/ubpf, Alan-Jowett/bpf_conformance): `mov32 %r0, 0`,
 * `ldxb %r0, [%r1+2]`, `jeq %r1, 0, +1`, `lock fetch xor32 [%r1], %r2`, `call local f`.
 *
 * Conventions: the plain mnemonic is 64-bit (a `64` suffix is accepted too), a `32` suffix
 * selects the 32-bit class; registers are written with or without `%`; immediates are decimal
 * (signed) or `0x` hex, a 32-bit hex immediate being a bit pattern (`0x80000000` is -2^31);
 * `lddw` takes a full 64-bit value or a symbol; jump offsets are `+N`/`-N` or labels.
 */
import {
  ALU_BY_NAME,
  ALU_END,
  ALU_MOV,
  ALU_NEG,
  ATOMIC_OPS,
  BPF_ABS,
  BPF_ALU,
  BPF_ALU64,
  BPF_ATOMIC,
  BPF_CALL_HELPER,
  BPF_DW,
  BPF_IND,
  BPF_JMP,
  BPF_JMP32,
  BPF_K,
  BPF_LD,
  BPF_LDX,
  BPF_MEM,
  BPF_MEMSX,
  BPF_PSEUDO_CALL,
  BPF_ST,
  BPF_STX,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_W,
  BPF_X,
  JMP_BY_NAME,
  JMP_CALL,
  JMP_EXIT,
  JMP_JA,
  MAX_REG,
  MEM_SIZES,
  helperId,
  insn,
  lddw,
  type Instruction,
} from '../isa';
import type { ParseResult, SymbolicOperand } from './parsed';

/** One comma-separated operand with its 1-based column. */
interface Operand {
  readonly text: string;
  readonly col: number;
}

/** A parse failure raised inside the parser and turned into a ParseFailure value. */
class Fail {
  constructor(
    readonly col: number,
    readonly message: string,
  ) {}
}

const SIZE_BY_SUFFIX = new Map(MEM_SIZES.map((s) => [s.suffix, s] as const));
const INT32_MIN = -0x80000000;

/** Splits `text` (after the mnemonic) into operands, keeping columns; brackets group. */
function splitOperands(text: string, base: number): Operand[] {
  const out: Operand[] = [];
  let start = 0;
  let depth = 0;
  const push = (end: number): void => {
    const raw = text.slice(start, end);
    const lead = raw.length - raw.trimStart().length;
    out.push({ text: raw.trim(), col: base + start + lead });
  };
  for (let k = 0; k < text.length; k++) {
    const c = text[k];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === ',' && depth === 0) {
      push(k);
      start = k + 1;
    }
  }
  if (text.trim() !== '' || out.length > 0) push(text.length);
  return out;
}

function register(op: Operand): number {
  const m = /^%?r(\d+)$/i.exec(op.text);
  if (!m || Number(m[1]) > MAX_REG || (m[1]!.length > 1 && m[1]!.startsWith('0'))) {
    throw new Fail(op.col, `expected register, found '${op.text}'`);
  }
  return Number(m[1]);
}

function isRegister(op: Operand): boolean {
  return /^%?r\d+$/i.test(op.text);
}

/** Parses a decimal or hex integer literal (optional sign) as a BigInt; undefined if not one. */
function intLiteral(text: string): bigint | undefined {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(text);
  if (!m) return undefined;
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/** A 32-bit immediate: signed decimal, or hex as a 32-bit pattern (RFC 9669 §3: imm is int32). */
function imm32(op: Operand): number {
  const v = intLiteral(op.text);
  if (v === undefined) throw new Fail(op.col, `expected immediate, found '${op.text}'`);
  const isHex = /^[+-]?0x/i.test(op.text);
  const max = isHex && v >= 0n ? 0xffffffffn : 0x7fffffffn;
  if (v < BigInt(INT32_MIN) || v > max) throw new Fail(op.col, `immediate ${op.text} out of range for a 32-bit field`);
  return Number(BigInt.asIntN(32, v));
}

/** A signed 16-bit offset. */
function off16(text: string, col: number): number {
  const v = intLiteral(text);
  if (v === undefined) throw new Fail(col, `expected offset, found '${text}'`);
  if (v < -0x8000n || v > 0x7fffn) throw new Fail(col, `offset ${text} out of range for a 16-bit field`);
  return Number(v);
}

/** `[%r1+8]`, `[%r10-0x8]`, `[%r1]`: base register and signed 16-bit offset. */
function memory(op: Operand): { reg: number; off: number } {
  const m = /^\[\s*(%?r\d+)\s*(?:([+-])\s*(\w+)\s*)?\]$/i.exec(op.text);
  if (!m) throw new Fail(op.col, `expected memory operand like [%r1+8], found '${op.text}'`);
  const reg = register({ text: m[1]!, col: op.col + op.text.indexOf(m[1]!) });
  if (m[2] === undefined) return { reg, off: 0 };
  return { reg, off: off16(m[2] + m[3]!, op.col + op.text.indexOf(m[2])) };
}

const LABEL = /^[A-Za-z_.$][\w.$]*$/;

/** A jump target: `+N`/`-N` (into off, or imm for ja32), or a label left symbolic. */
function jumpTarget(op: Operand, wide: boolean): { value: number; operand?: SymbolicOperand } {
  if (/^[+-]/.test(op.text)) {
    if (!wide) return { value: off16(op.text, op.col) };
    return { value: imm32(op) };
  }
  if (LABEL.test(op.text)) return { value: 0, operand: { kind: 'jump', label: op.text } };
  throw new Fail(op.col, `expected jump offset (+N, -N) or label, found '${op.text}'`);
}

function expectCount(name: string, ops: readonly Operand[], n: number, endCol: number): void {
  if (ops.length === n) return;
  const col = ops.length > n ? ops[n]!.col : endCol;
  const what = n === 0 ? 'no operands' : n === 1 ? '1 operand' : `${n} operands`;
  throw new Fail(col, `'${name}' takes ${what}, found ${ops.length}`);
}

/** Strips the width suffix: `add32` → 32-bit, `add`/`add64` → 64-bit. */
function width(m: string): { stem: string; is32: boolean } {
  if (m.endsWith('32')) return { stem: m.slice(0, -2), is32: true };
  if (m.endsWith('64')) return { stem: m.slice(0, -2), is32: false };
  return { stem: m, is32: false };
}

type Parsed = { insn: Instruction; operand?: SymbolicOperand };

function parseLock(rest: string, restCol: number, endCol: number): Parsed {
  // `lock [fetch] op[32] [%rD+off], %rS`
  const m = /^(fetch\s+)?([a-z]+?)(32|64)?(?=\s|$)/i.exec(rest);
  if (!m) throw new Fail(restCol, `expected atomic operation after 'lock', found '${rest}'`);
  const fetch = m[1] !== undefined;
  const name = m[2]!.toLowerCase();
  const is32 = m[3] === '32';
  const atomicName = fetch && name !== 'xchg' && name !== 'cmpxchg' ? `fetch_${name}` : name;
  const op = ATOMIC_OPS.find((a) => a.name === atomicName);
  if (!op || (fetch && (name === 'xchg' || name === 'cmpxchg'))) {
    throw new Fail(restCol, `unknown atomic operation '${fetch ? 'fetch ' : ''}${name}'`);
  }
  const operands = splitOperands(rest.slice(m[0].length), restCol + m[0].length);
  expectCount(`lock ${m[0].trim()}`, operands, 2, endCol);
  const mem = memory(operands[0]!);
  const src = register(operands[1]!);
  return { insn: insn(BPF_STX | BPF_ATOMIC | (is32 ? BPF_W : BPF_DW), mem.reg, src, mem.off, op.imm) };
}

function parseInner(text: string): Parsed {
  const lead = text.length - text.trimStart().length;
  const body = text.trim();
  const endCol = lead + body.length + 1;
  const mm = /^[A-Za-z_][\w]*/.exec(body);
  if (!mm) throw new Fail(lead + 1, `expected instruction, found '${body.split(/\s/)[0] ?? ''}'`);
  const m = mm[0].toLowerCase();
  const col = lead + 1;
  const restRaw = body.slice(mm[0].length);
  const restCol = col + mm[0].length;

  if (m === 'lock') {
    const r = restRaw.trimStart();
    return parseLock(r, restCol + (restRaw.length - r.length), endCol);
  }
  const ops = splitOperands(restRaw, restCol);
  const count = (n: number): void => expectCount(m, ops, n, endCol);

  if (m === 'exit') {
    count(0);
    return { insn: insn(BPF_JMP | JMP_EXIT) };
  }
  if (m === 'call' || m === 'callx') {
    if (ops.length === 1 && /^local\s+/i.test(ops[0]!.text)) {
      const label = ops[0]!.text.replace(/^local\s+/i, '');
      if (!LABEL.test(label)) throw new Fail(ops[0]!.col + ops[0]!.text.indexOf(label), `expected function name, found '${label}'`);
      return { insn: insn(BPF_JMP | JMP_CALL, 0, BPF_PSEUDO_CALL, 0, 0), operand: { kind: 'call', label } };
    }
    count(1);
    const op = ops[0]!;
    // callx: LLVM's encoding, the target register in the dst field.
    if (isRegister(op) || m === 'callx') return { insn: insn(BPF_JMP | BPF_X | JMP_CALL, register(op)) };
    if (intLiteral(op.text) !== undefined) return { insn: insn(BPF_JMP | JMP_CALL, 0, BPF_CALL_HELPER, 0, imm32(op)) };
    const id = helperId(op.text);
    if (id === undefined) throw new Fail(op.col, `unknown helper '${op.text}' (use 'call local ${op.text}' for a function)`);
    return { insn: insn(BPF_JMP | JMP_CALL, 0, BPF_CALL_HELPER, 0, id) };
  }
  if (m === 'ja' || m === 'jmp' || m === 'ja32' || m === 'jmp32') {
    count(1);
    const wide = m.endsWith('32');
    const t = jumpTarget(ops[0]!, wide);
    const i = wide ? insn(BPF_JMP32 | JMP_JA, 0, 0, 0, t.value) : insn(BPF_JMP | JMP_JA, 0, 0, t.value);
    return t.operand ? { insn: i, operand: t.operand } : { insn: i };
  }
  if (m === 'lddw') {
    count(2);
    const dst = register(ops[0]!);
    const v = intLiteral(ops[1]!.text);
    if (v !== undefined) {
      if (v < -(2n ** 63n) || v > 2n ** 64n - 1n) throw new Fail(ops[1]!.col, `immediate ${ops[1]!.text} out of range for a 64-bit field`);
      return { insn: lddw(dst, v) };
    }
    const sym = /^([A-Za-z_.$][\w.$]*)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+))?$/i.exec(ops[1]!.text);
    if (!sym) throw new Fail(ops[1]!.col, `expected immediate or symbol, found '${ops[1]!.text}'`);
    const addend = sym[2] === undefined ? 0 : Number(sym[2] === '-' ? -BigInt(sym[3]!) : BigInt(sym[3]!));
    return { insn: lddw(dst, 0n), operand: { kind: 'symbol', name: sym[1]!, addend } };
  }
  const abs = /^ld(abs|ind)(b|h|w)$/.exec(m);
  if (abs) {
    const size = SIZE_BY_SUFFIX.get(abs[2] as 'b')!.code;
    if (abs[1] === 'abs') {
      count(1);
      return { insn: insn(BPF_LD | BPF_ABS | size, 0, 0, 0, imm32(ops[0]!)) };
    }
    count(2);
    return { insn: insn(BPF_LD | BPF_IND | size, 0, register(ops[0]!), 0, imm32(ops[1]!)) };
  }
  const mem = /^(ldxs|ldx|stx|st)(b|h|w|dw)$/.exec(m);
  if (mem) {
    const size = SIZE_BY_SUFFIX.get(mem[2] as 'b')!.code;
    count(2);
    if (mem[1] === 'ldx' || mem[1] === 'ldxs') {
      if (mem[1] === 'ldxs' && size === BPF_DW) throw new Fail(col, `unknown instruction '${mm[0]}'`);
      const dst = register(ops[0]!);
      const a = memory(ops[1]!);
      return { insn: insn(BPF_LDX | (mem[1] === 'ldxs' ? BPF_MEMSX : BPF_MEM) | size, dst, a.reg, a.off) };
    }
    const a = memory(ops[0]!);
    if (mem[1] === 'st') return { insn: insn(BPF_ST | BPF_MEM | size, a.reg, 0, a.off, imm32(ops[1]!)) };
    return { insn: insn(BPF_STX | BPF_MEM | size, a.reg, register(ops[1]!), a.off) };
  }
  // swapN is the conformance suite's (and RFC 9669's) spelling of the unconditional byte
  // swap (BPF_END in the ALU64 class); bswapN is LLVM's, accepted too.
  const end = /^(le|be|bswap|swap)(16|32|64)$/.exec(m);
  if (end) {
    count(1);
    const dst = register(ops[0]!);
    const opc = end[1] === 'bswap' || end[1] === 'swap' ? BPF_ALU64 | BPF_TO_LE | ALU_END : BPF_ALU | (end[1] === 'be' ? BPF_TO_BE : BPF_TO_LE) | ALU_END;
    return { insn: insn(opc, dst, 0, 0, Number(end[2])) };
  }
  // movsx{8,16,32}{64,32} (sign-extending move, RFC 9669 §4.1): 32-bit only from 8/16.
  const sx = /^movsx(8|16|32)(64|32)?$/.exec(m);
  if (sx) {
    const bits = Number(sx[1]);
    const is32 = sx[2] === '32';
    if (is32 && bits === 32) throw new Fail(col, `unknown instruction '${mm[0]}'`);
    count(2);
    return { insn: insn((is32 ? BPF_ALU : BPF_ALU64) | BPF_X | ALU_MOV, register(ops[0]!), register(ops[1]!), bits) };
  }
  const w = width(m);
  const jop = JMP_BY_NAME.get(w.stem);
  if (jop) {
    count(3);
    const dst = register(ops[0]!);
    const t = jumpTarget(ops[2]!, false);
    const cls = (w.is32 ? BPF_JMP32 : BPF_JMP) | jop.code;
    const i = isRegister(ops[1]!)
      ? insn(cls | BPF_X, dst, register(ops[1]!), t.value)
      : insn(cls | BPF_K, dst, 0, t.value, imm32(ops[1]!));
    return t.operand ? { insn: i, operand: t.operand } : { insn: i };
  }
  const aop = ALU_BY_NAME.get(w.stem);
  if (aop) {
    const cls = w.is32 ? BPF_ALU : BPF_ALU64;
    if (aop.code === ALU_NEG) {
      count(1);
      return { insn: insn(cls | BPF_K | ALU_NEG, register(ops[0]!)) };
    }
    count(2);
    const dst = register(ops[0]!);
    if (isRegister(ops[1]!)) return { insn: insn(cls | BPF_X | aop.code, dst, register(ops[1]!), aop.off) };
    return { insn: insn(cls | BPF_K | aop.code, dst, 0, aop.off, imm32(ops[1]!)) };
  }
  throw new Fail(col, `unknown instruction '${mm[0]}'`);
}

/**
 * Parses one instruction in uBPF syntax (no label, no comment). Columns in failures are 1-based
 * within `text`; symbolic jump, call and lddw operands are returned unresolved.
 */
export function parseUbpfInstruction(text: string): ParseResult {
  try {
    const p = parseInner(text);
    return p.operand ? { ok: true, insn: p.insn, operand: p.operand } : { ok: true, insn: p.insn };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, col: e.col, message: e.message };
    throw e;
  }
}
