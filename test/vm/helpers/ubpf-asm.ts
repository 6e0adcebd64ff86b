/**
 * A small assembler for the uBPF / bpf_conformance text syntax used by the VM's execution
 * fixtures (`-- asm / -- mem / -- result`). Test-only: src/vm must not depend on src/asm, and this
 * keeps the VM's fixtures independent of the assembler being written in parallel.
 *
 * Syntax: `mov r0, 1` / `add32 r1, r2` / `neg r0` / `movsx8 r0, r1` / `movsx832 r0, r1` /
 * `le16 r0` / `be64 r0` / `bswap32 r0` / `lddw r0, 0x...` / `lddw r2, func label` /
 * `ldxw r0, [r1+4]` / `ldxsb r0, [r1]` / `stw [r1+2], 5` / `stxdw [r10-8], r1` /
 * `lock add32 [r1+0], r2` / `lock fetch xor [r1], r2` / `lock xchg` / `lock cmpxchg` / `ja +1` / `gotol +1` /
 * `jeq r1, 5, +2` / `jsgt32 r1, r2, label` / `may_goto +1` / `call 1` / `call local label` /
 * `callx r2` / `ldabsw 4` / `ldindh r1, 2` / `exit`. Labels are `name:` lines.
 */
import {
  ALU_BY_NAME, ATOMIC_BY_NAME, BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_B, BPF_DW, BPF_H, BPF_IND, BPF_JMP,
  BPF_JMP32, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_ST, BPF_STX, BPF_TO_BE,
  BPF_TO_LE, BPF_W, BPF_X, JMP_BY_NAME, insn, lddw, type Instruction,
} from '../../../src/isa';

const SIZES: Record<string, number> = { b: BPF_B, h: BPF_H, w: BPF_W, dw: BPF_DW };

function reg(t: string): number {
  const m = /^%?r(\d+)$/.exec(t.trim());
  if (!m) throw new Error(`bad register ${t}`);
  return Number(m[1]);
}
function num(t: string): number {
  return Number(BigInt.asIntN(32, bignum(t)));
}
function bignum(t: string): bigint {
  const s = t.trim().replace(/^\+/, '');
  return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
}
function memop(t: string): { r: number; off: number } {
  const m = /^\[\s*%?(r\d+)\s*(?:([+-])\s*(\w+))?\s*\]$/.exec(t.trim());
  if (!m) throw new Error(`bad memory operand ${t}`);
  return { r: reg(m[1]!), off: m[2] ? (m[2] === '-' ? -1 : 1) * Number(m[3]) : 0 };
}
const isReg = (t: string): boolean => /^%?r\d+$/.test(t.trim());

/** Assembles uBPF-syntax text into instructions. Throws Error with the line on a bad line. */
export function assembleUbpf(text: string): Instruction[] {
  const lines = text.split('\n').map((l) => l.replace(/[#;].*$/, '').trim()).filter((l) => l.length > 0);
  // Pass 1: slot index of each label.
  const labels = new Map<string, number>();
  let slot = 0;
  for (const l of lines) {
    const lm = /^(\w+):$/.exec(l);
    if (lm) { labels.set(lm[1]!, slot); continue; }
    slot += /^lddw\b/.test(l) ? 2 : 1;
  }
  const out: Instruction[] = [];
  slot = 0;
  for (const line of lines) {
    if (/^\w+:$/.test(line)) continue;
    try {
      const i = one(line, slot, labels);
      out.push(i);
      slot += i.opcode === 0x18 ? 2 : 1;
    } catch (e) {
      throw new Error(`${(e as Error).message} in: ${line}`);
    }
  }
  return out;
}

function one(line: string, slot: number, labels: Map<string, number>): Instruction {
  const sp = line.indexOf(' ');
  const mn = sp < 0 ? line : line.slice(0, sp);
  const rest = sp < 0 ? '' : line.slice(sp + 1).trim();
  const ops = rest.length ? splitOps(rest) : [];
  const target = (t: string): number => {
    const s = t.trim();
    if (!labels.has(s) && /^[+-]?(0x[0-9a-f]+|\d+)$/i.test(s)) return num(s);
    const l = labels.get(s);
    if (l === undefined) throw new Error(`unknown label ${s}`);
    return l - slot - 1;
  };
  if (mn === 'exit') return insn(BPF_JMP | 0x90);
  if (mn === 'ja') return insn(BPF_JMP, 0, 0, target(ops[0]!));
  if (mn === 'gotol') return insn(BPF_JMP32, 0, 0, 0, target(ops[0]!));
  if (mn === 'may_goto') return insn(BPF_JMP | 0xe0, 0, 0, target(ops[0]!));
  if (mn === 'call') {
    const m = /^local\s+(.*)$/.exec(rest);
    if (m) return insn(BPF_JMP | 0x80, 0, BPF_PSEUDO_CALL, 0, target(m[1]!));
    return insn(BPF_JMP | 0x80, 0, 0, 0, num(rest));
  }
  if (mn === 'callx') return insn(BPF_JMP | 0x80 | BPF_X, reg(ops[0]!));
  if (mn === 'lddw') {
    const m = /^func\s+(.*)$/.exec(ops[1]!.trim());
    if (m) return insn(0x18, reg(ops[0]!), BPF_PSEUDO_FUNC, 0, target(m[1]!), 0);
    return lddw(reg(ops[0]!), bignum(ops[1]!));
  }
  let m = /^(le|be|bswap)(16|32|64)$/.exec(mn);
  if (m) {
    const cls = m[1] === 'bswap' ? BPF_ALU64 : BPF_ALU;
    return insn(cls | 0xd0 | (m[1] === 'be' ? BPF_TO_BE : BPF_TO_LE), reg(ops[0]!), 0, 0, Number(m[2]));
  }
  m = /^movsx(8|16|32)(32)?$/.exec(mn);
  if (m) return insn((m[2] ? BPF_ALU : BPF_ALU64) | 0xb0 | BPF_X, reg(ops[0]!), reg(ops[1]!), Number(m[1]));
  m = /^ldx(s?)(b|h|w|dw)$/.exec(mn);
  if (m) {
    const a = memop(ops[1]!);
    return insn(BPF_LDX | (m[1] ? BPF_MEMSX : BPF_MEM) | SIZES[m[2]!]!, reg(ops[0]!), a.r, a.off);
  }
  m = /^st(x?)(b|h|w|dw)$/.exec(mn);
  if (m) {
    const a = memop(ops[0]!);
    if (m[1]) return insn(BPF_STX | BPF_MEM | SIZES[m[2]!]!, a.r, reg(ops[1]!), a.off);
    return insn(BPF_ST | BPF_MEM | SIZES[m[2]!]!, a.r, 0, a.off, num(ops[1]!));
  }
  m = /^ld(abs|ind)(b|h|w)$/.exec(mn);
  if (m) {
    if (m[1] === 'abs') return insn(BPF_LD | BPF_ABS | SIZES[m[2]!]!, 0, 0, 0, num(ops[0]!));
    return insn(BPF_LD | BPF_IND | SIZES[m[2]!]!, 0, reg(ops[0]!), 0, num(ops[1]!));
  }
  if (mn === 'lock') {
    // `lock add32 [r1+0], r2`, `lock fetch add [r1], r2` (uBPF / bpf_conformance), `lock xchg ...`.
    const lm = /^((?:fetch\s+)?\w+?)(32)?\s+(\[[^\]]*\])\s*,\s*(\S+)$/.exec(rest);
    if (!lm) throw new Error('bad lock syntax');
    const op = ATOMIC_BY_NAME.get(lm[1]!.replace(/^fetch\s+/, 'fetch_'));
    if (!op) throw new Error(`unknown atomic ${lm[1]}`);
    const a = memop(lm[3]!);
    return insn(BPF_STX | BPF_ATOMIC | (lm[2] ? BPF_W : BPF_DW), a.r, reg(lm[4]!), a.off, op.imm);
  }
  m = /^(j\w+?)(32)?$/.exec(mn);
  if (m && JMP_BY_NAME.has(m[1]!)) {
    const j = JMP_BY_NAME.get(m[1]!)!;
    const cls = m[2] ? BPF_JMP32 : BPF_JMP;
    if (isReg(ops[1]!)) return insn(cls | j.code | BPF_X, reg(ops[0]!), reg(ops[1]!), target(ops[2]!));
    return insn(cls | j.code, reg(ops[0]!), 0, target(ops[2]!), num(ops[1]!));
  }
  m = /^(\w+?)(32)?$/.exec(mn);
  if (m && ALU_BY_NAME.has(m[1]!)) {
    const a = ALU_BY_NAME.get(m[1]!)!;
    const cls = m[2] ? BPF_ALU : BPF_ALU64;
    if (a.name === 'neg') return insn(cls | a.code, reg(ops[0]!));
    if (isReg(ops[1]!)) return insn(cls | a.code | BPF_X, reg(ops[0]!), reg(ops[1]!), a.off);
    return insn(cls | a.code, reg(ops[0]!), 0, a.off, num(ops[1]!));
  }
  throw new Error(`unknown mnemonic ${mn}`);
}

function splitOps(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[') depth++;
    if (ch === ']') depth--;
    if (ch === ',' && depth === 0) { out.push(cur.trim()); cur = ''; continue; }
    cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** One execution fixture: program, input memory, and either the expected r0 or a fault. */
export interface ExecFixture {
  readonly name: string;
  readonly asm: string;
  readonly mem: Uint8Array;
  /** Expected r0 (unsigned 64-bit). */
  readonly result?: bigint;
  /** Expected fault reason (substring). */
  readonly error?: string;
}

/** Parses the `-- asm / -- mem / -- result / -- error` text format. */
export function parseFixture(name: string, text: string): ExecFixture {
  const sections = new Map<string, string>();
  let cur: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^--\s*(\w+)\s*$/.exec(line);
    if (m) { cur = m[1]!; sections.set(cur, ''); continue; }
    if (cur) sections.set(cur, sections.get(cur)! + line + '\n');
  }
  const asm = sections.get('asm');
  if (asm === undefined) throw new Error(`${name}: no -- asm section`);
  const memText = (sections.get('mem') ?? '').replace(/#.*$/gm, '').trim();
  const mem = memText ? Uint8Array.from(memText.split(/\s+/).map((b) => parseInt(b, 16))) : new Uint8Array();
  const res = sections.get('result')?.replace(/#.*$/gm, '').trim();
  const err = sections.get('error')?.trim();
  if (res === undefined && err === undefined) throw new Error(`${name}: needs -- result or -- error`);
  return {
    name, asm, mem,
    ...(res !== undefined ? { result: BigInt.asUintN(64, res.startsWith('-') ? -BigInt(res.slice(1)) : BigInt(res)) } : {}),
    ...(err !== undefined ? { error: err } : {}),
  };
}
