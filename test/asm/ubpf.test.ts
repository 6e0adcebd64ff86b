import { describe, expect, it } from 'vitest';
import { formatInstruction } from '../../src/asm/printer';
import { parseUbpfInstruction } from '../../src/asm/ubpf';
import { formatUbpf } from '../../src/asm/ubpf-printer';
import { encode, insn, lddw, type Instruction } from '../../src/isa';
import { needs, tools } from '../helpers/tools';
import { allForms } from './forms';
import { llvmMcShow } from './oracle';

function ok(text: string): { insn: Instruction; operand?: unknown } {
  const r = parseUbpfInstruction(text);
  if (!r.ok) throw new Error(`${text}: ${r.message} (col ${r.col})`);
  return r;
}

function hex(i: Instruction): string {
  return Array.from(encode([i]), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** uBPF text, the same instruction built from fields, and its LLVM spelling (for llvm-mc). */
const CASES: [string, Instruction, string][] = [
  ['mov32 %r0, 0', insn(0xb4, 0, 0, 0, 0), 'w0 = 0'],
  ['add %r0, -3', insn(0x07, 0, 0, 0, -3), 'r0 += -3'],
  ['add64 r0, r1', insn(0x0f, 0, 1), 'r0 += r1'],
  ['sdiv32 %r1, %r2', insn(0x3c, 1, 2, 1), 'w1 s/= w2'],
  ['smod %r1, 7', insn(0x97, 1, 0, 1, 7), 'r1 s%= 7'],
  ['neg %r0', insn(0x87, 0), 'r0 = -r0'],
  ['neg32 %r3', insn(0x84, 3), 'w3 = -w3'],
  ['arsh32 %r3, 0x1f', insn(0xc4, 3, 0, 0, 31), 'w3 s>>= 31'],
  ['mov %r1, 0x80000000', insn(0xb7, 1, 0, 0, -0x80000000), 'r1 = -2147483648'],
  ['mov %r1, 0xffffffff', insn(0xb7, 1, 0, 0, -1), 'r1 = -1'],
  ['ldxb %r0, [%r1+0x2]', insn(0x71, 0, 1, 2), 'w0 = *(u8 *)(r1 + 2)'],
  ['ldxdw %r0, [%r10-8]', insn(0x79, 0, 10, -8), 'r0 = *(u64 *)(r10 - 8)'],
  ['ldxsh %r0, [%r1]', insn(0x89, 0, 1, 0), 'r0 = *(s16 *)(r1 + 0)'],
  ['ldxsw %r2, [ %r3 + 4 ]', insn(0x81, 2, 3, 4), 'r2 = *(s32 *)(r3 + 4)'],
  ['stxdw [%r10-8], %r1', insn(0x7b, 10, 1, -8), '*(u64 *)(r10 - 8) = r1'],
  ['stxb [%r1+1], %r2', insn(0x73, 1, 2, 1), '*(u8 *)(r1 + 1) = w2'],
  ['stw [%r1+4], 7', insn(0x62, 1, 0, 4, 7), '*(u32 *)(r1 + 4) = 7'],
  ['sth [%r1-0x8000], -1', insn(0x6a, 1, 0, -0x8000, -1), '*(u16 *)(r1 - 32768) = -1'],
  ['lddw %r0, 0x1122334455667788', lddw(0, 0x1122334455667788n), 'r0 = 0x1122334455667788 ll'],
  ['lddw %r0, -1', lddw(0, -1n), 'r0 = -1 ll'],
  ['lddw %r0, 0xffffffffffffffff', lddw(0, -1n), 'r0 = -1 ll'],
  ['jeq %r1, 0, +1', insn(0x15, 1, 0, 1, 0), 'if r1 == 0 goto +1'],
  ['jsgt32 %r1, %r2, -3', insn(0x6e, 1, 2, -3), 'if w1 s> w2 goto -3'],
  ['jset %r1, 0x7fffffff, +0', insn(0x45, 1, 0, 0, 0x7fffffff), 'if r1 & 2147483647 goto +0'],
  ['jle32 %r9, -1, +0x7fff', insn(0xb6, 9, 0, 0x7fff, -1), 'if w9 <= -1 goto +32767'],
  ['ja +5', insn(0x05, 0, 0, 5), 'goto +5'],
  ['ja32 -2', insn(0x06, 0, 0, 0, -2), 'gotol -2'],
  ['be16 %r0', insn(0xdc, 0, 0, 0, 16), 'r0 = be16 r0'],
  ['le32 %r0', insn(0xd4, 0, 0, 0, 32), 'r0 = le32 r0'],
  ['bswap64 %r4', insn(0xd7, 4, 0, 0, 64), 'r4 = bswap64 r4'],
  // RFC 9669's unconditional byte swap as the conformance suite spells it.
  ['swap16 %r1', insn(0xd7, 1, 0, 0, 16), 'r1 = bswap16 r1'],
  ['swap32 %r2', insn(0xd7, 2, 0, 0, 32), 'r2 = bswap32 r2'],
  ['swap64 %r3', insn(0xd7, 3, 0, 0, 64), 'r3 = bswap64 r3'],
  ['movsx1664 %r0, %r1', insn(0xbf, 0, 1, 16), 'r0 = (s16)r1'],
  ['movsx832 %r0, %r1', insn(0xbc, 0, 1, 8), 'w0 = (s8)w1'],
  ['movsx3264 %r2, %r3', insn(0xbf, 2, 3, 32), 'r2 = (s32)r3'],
  ['lock add [%r1+8], %r2', insn(0xdb, 1, 2, 8, 0x00), 'lock *(u64 *)(r1 + 8) += r2'],
  ['lock or32 [%r1], %r2', insn(0xc3, 1, 2, 0, 0x40), 'lock *(u32 *)(r1 + 0) |= w2'],
  ['lock fetch xor32 [%r1], %r2', insn(0xc3, 1, 2, 0, 0xa1), 'w2 = atomic_fetch_xor((u32 *)(r1 + 0), w2)'],
  ['lock fetch and [%r1-8], %r3', insn(0xdb, 1, 3, -8, 0x51), 'r3 = atomic_fetch_and((u64 *)(r1 - 8), r3)'],
  ['lock xchg [%r1], %r2', insn(0xdb, 1, 2, 0, 0xe1), 'r2 = xchg_64(r1 + 0, r2)'],
  ['lock cmpxchg [%r1], %r2', insn(0xdb, 1, 2, 0, 0xf1), 'r0 = cmpxchg_64(r1 + 0, r0, r2)'],
  ['lock cmpxchg32 [%r1+4], %r2', insn(0xc3, 1, 2, 4, 0xf1), 'w0 = cmpxchg32_32(r1 + 4, w0, w2)'],
  ['call 1', insn(0x85, 0, 0, 0, 1), 'call 1'],
  ['call bpf_map_lookup_elem', insn(0x85, 0, 0, 0, 1), 'call 1'],
  ['call %r2', insn(0x8d, 2), 'callx r2'],
  ['exit', insn(0x95), 'exit'],
  ['ldabsw 4', insn(0x20, 0, 0, 0, 4), 'r0 = *(u32 *)skb[4]'],
  ['ldabsb 0x10', insn(0x30, 0, 0, 0, 16), 'r0 = *(u8 *)skb[16]'],
  ['ldindb %r1, 0', insn(0x50, 0, 1, 0, 0), 'r0 = *(u8 *)skb[r1]'],
];

describe('parseUbpfInstruction', () => {
  it.each(CASES)('%s', (text, expected) => {
    expect(hex(ok(text).insn)).toBe(hex(expected));
  });
  it('keeps labels, calls and symbols symbolic', () => {
    expect(ok('ja exit')).toEqual({ ok: true, insn: insn(0x05), operand: { kind: 'jump', label: 'exit' } });
    expect(ok('ja32 label')).toEqual({ ok: true, insn: insn(0x06), operand: { kind: 'jump', label: 'label' } });
    expect(ok('jsgt32 %r1, %r2, label').operand).toEqual({ kind: 'jump', label: 'label' });
    expect(ok('call local func1')).toEqual({ ok: true, insn: insn(0x85, 0, 1), operand: { kind: 'call', label: 'func1' } });
    expect(ok('lddw %r1, pkt_count')).toEqual({ ok: true, insn: lddw(1, 0n), operand: { kind: 'symbol', name: 'pkt_count', addend: 0 } });
    expect(ok('lddw %r1, data+8').operand).toEqual({ kind: 'symbol', name: 'data', addend: 8 });
  });
  it('reports the column of the bad token with a precise message', () => {
    const cases: [string, number, string][] = [
      ['movv %r0, 1', 1, "unknown instruction 'movv'"],
      ['  mov %r11, 1', 7, "expected register, found '%r11'"],
      ['add %r0, 0x100000000', 10, 'immediate 0x100000000 out of range for a 32-bit field'],
      ['add %r0, 2147483648', 10, 'immediate 2147483648 out of range for a 32-bit field'],
      ['add %r0, -2147483649', 10, 'immediate -2147483649 out of range for a 32-bit field'],
      ['jeq %r1, 0, +40000', 13, 'offset +40000 out of range for a 16-bit field'],
      ['ldxw %r0, %r1', 11, "expected memory operand like [%r1+8], found '%r1'"],
      ['stxw [%r1+0x8000], %r2', 10, 'offset +0x8000 out of range for a 16-bit field'],
      ['add %r0, 1, 2', 13, "'add' takes 2 operands, found 3"],
      ['exit %r0', 6, "'exit' takes no operands, found 1"],
      ['neg', 4, "'neg' takes 1 operand, found 0"],
      ['lddw %r0, 0x10000000000000000', 11, 'immediate 0x10000000000000000 out of range for a 64-bit field'],
      ['lock sub [%r1], %r2', 6, "unknown atomic operation 'sub'"],
      ['lock fetch xchg [%r1], %r2', 6, "unknown atomic operation 'fetch xchg'"],
      ['ldxsdw %r0, [%r1]', 1, "unknown instruction 'ldxsdw'"],
      ['movsx3232 %r0, %r1', 1, "unknown instruction 'movsx3232'"],
      ['call nosuchhelper', 6, "unknown helper 'nosuchhelper' (use 'call local nosuchhelper' for a function)"],
      ['mov %r0, %x', 10, "expected immediate, found '%x'"],
      ['ja 5', 4, "expected jump offset (+N, -N) or label, found '5'"],
    ];
    for (const [text, col, message] of cases) {
      expect(parseUbpfInstruction(text), text).toEqual({ ok: false, col, message });
    }
  });
  it('round-trips every uBPF-expressible form through formatUbpf', () => {
    let n = 0;
    for (const i of allForms()) {
      const text = formatUbpf(i);
      if (text === undefined) continue;
      n++;
      expect(hex(ok(text).insn), text).toBe(hex(i));
    }
    expect(n).toBeGreaterThan(900);
  });
});

describe.skipIf(!tools.llvmMc)(`uBPF and LLVM spellings give the same bytes (llvm-mc)${needs('llvmMc')}`, () => {
  it('for every table case', () => {
    const { stdout, stderr } = llvmMcShow(CASES.map((c) => '\t' + c[2] + '\n').join(''));
    expect(stderr).toBe('');
    const enc = [...stdout.matchAll(/encoding: \[([^\]]*)\]/g)].map((m) =>
      m[1]!.split(',').map((b) => b.trim().replace(/^0x/, '').padStart(2, '0')).join(' '),
    );
    expect(enc.length).toBe(CASES.length);
    CASES.forEach(([text], k) => expect(hex(ok(text).insn), `${text} vs ${CASES[k]![2]}`).toBe(enc[k]));
  });
  it('for every form: llvm-mc(LLVM text) == parseUbpf(uBPF text)', () => {
    const forms = allForms().filter((i) => formatUbpf(i) !== undefined && !(i.opcode === 0x06 && (i.imm < -0x8000 || i.imm > 0x7fff)) && !(i.opcode === 0x50 || i.opcode === 0x48 || i.opcode === 0x40));
    const { stdout, stderr } = llvmMcShow(forms.map((i) => '\t' + formatInstruction(i) + '\n').join(''));
    expect(stderr).toBe('');
    const enc = [...stdout.matchAll(/encoding: \[([^\]]*)\]/g)].map((m) =>
      m[1]!.split(',').map((b) => b.trim().replace(/^0x/, '').padStart(2, '0')).join(' '),
    );
    expect(enc.length).toBe(forms.length);
    forms.forEach((i, k) => expect(hex(ok(formatUbpf(i)!).insn), formatUbpf(i)).toBe(enc[k]));
  });
});
