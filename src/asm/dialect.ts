/**
 * Which of the two assembly syntaxes a file is written in: LLVM's (`r0 = 1`, what clang -S and
 * llvm-objdump print) or uBPF's (`mov32 %r0, 0`, `ldxb`, `jeq r1, 0, +1`). Decided per file by a
 * vote of its instruction lines; ties (and files with only `exit`/`call`) go to LLVM.
 */
import { ALU_OPS, ATOMIC_OPS, JMP_COND_OPS, MEM_SIZES } from '../isa';
import type { Statement } from './lexer';

/** An assembly syntax. */
export type Dialect = 'llvm' | 'ubpf';

/** Every uBPF mnemonic, computed from the isa tables (uBPF's assembler.py / ebpf.h naming). */
export const UBPF_MNEMONICS: readonly string[] = (() => {
  const out = new Set<string>();
  for (const op of ALU_OPS) {
    out.add(op.name);
    out.add(`${op.name}32`);
    out.add(`${op.name}64`);
  }
  out.add('movsx8');
  out.add('movsx16');
  out.add('movsx32');
  out.add('movsx832');
  out.add('movsx1632');
  for (const s of MEM_SIZES) {
    for (const p of ['ldx', 'st', 'stx', 'ldabs', 'ldind', 'ldxs']) out.add(`${p}${s.suffix}`);
  }
  for (const j of JMP_COND_OPS) {
    out.add(j.name);
    out.add(`${j.name}32`);
  }
  for (const a of ATOMIC_OPS) {
    out.add(`${a.name}`);
    out.add(`${a.name}32`);
    out.add(`lock_${a.name}`);
  }
  for (const b of [16, 32, 64]) {
    out.add(`be${b}`);
    out.add(`le${b}`);
    out.add(`bswap${b}`);
  }
  for (const w of ['lddw', 'ja', 'ja32', 'jmp', 'jmp32', 'call', 'callx', 'exit', 'neg', 'neg32', 'neg64']) out.add(w);
  return [...out].sort();
})();

const UBPF_SET = new Set(UBPF_MNEMONICS);
const SHARED = new Set(['call', 'exit', 'callx']);

/** Detects the dialect of a file from its statements (directives and labels are ignored). */
export function detectDialect(stmts: readonly Statement[]): Dialect {
  let llvm = 0;
  let ubpf = 0;
  for (const s of stmts) {
    let text = s.text;
    const label = /^[A-Za-z_.$][\w.$]*:\s*/.exec(text);
    if (label) text = text.slice(label[0].length);
    if (text === '' || text.startsWith('.')) continue;
    const first = /^[A-Za-z_][\w]*/.exec(text)?.[0]?.toLowerCase() ?? '';
    if (/^(if|goto|gotol|may_goto|lock)$/.test(first) || text.startsWith('*') || /^[rw]\d+\s*[-+*/%|&^<>s]*=/i.test(text)) {
      llvm++;
    } else if (UBPF_SET.has(first) && !SHARED.has(first)) {
      ubpf++;
    }
  }
  return ubpf > llvm ? 'ubpf' : 'llvm';
}
